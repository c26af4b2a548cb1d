"""Supervision report (监察): yellow and red cards and supervision orders (黄牌红牌与督办).

Reads the supervision families of aggregates (shenpi.figures.family_supervision), which define what
each figure counts. Drill-down: the cases of the alerts (or orders) behind a figure; an alert about a
step or an order may have no case, so `alerts_behind` gives the alerts themselves for a list of them.
"""

from __future__ import annotations

from django.db.models import QuerySet

from shenpi.figures import family_supervision as supervision
from shenpi.figures.definitions import percent
from shenpi.supervision.models import Level

from .registry import Ask, Column, Report, register
from .row_keys import key_order, keys_q, period_of, scope_q

GROUP = "监察"
CARDS = (Level.YELLOW, Level.RED)
BY_LEVEL = {"warnings": Level.WARNING, "yellow": Level.YELLOW, "red": Level.RED}
# Card columns: (alert figure, levels it sums).
CARD_FIGURES = {"cards_answered": ("answered", CARDS), "cards_open": ("still_open", CARDS)}
ORDER_COLUMNS = {"orders_issued": "issued", "orders_answered": "answered", "orders_closed": "closed",
                 "orders_overdue": "overdue"}
# Orders have a department and days, but no rule category or level.
ALERT_ONLY = ("category", "level")
# A row's department (and the asked scope's) on the alerts and orders behind its figures.
DEPARTMENT = {"department": "department_id"}

COLUMNS = (
    Column("warnings", "预警", definition=supervision.DEFINITIONS["raised"] + "：级别为预警的"),
    Column("yellow", "黄牌", definition=supervision.DEFINITIONS["raised"] + "：级别为黄牌的"),
    Column("red", "红牌", definition=supervision.DEFINITIONS["raised"] + "：级别为红牌的"),
    Column("cards_answered", "已整改说明", definition="统计期内发出的黄牌、红牌中，责任部门已填写整改说明的"),
    Column("cards_open", "未解除", definition="统计期内发出的黄牌、红牌中，至今未解除的"),
    Column("answer_rate", "整改说明率", "rate", "已整改说明的黄牌、红牌 ÷ 统计期内发出的黄牌、红牌", drill=False),
    Column("orders_issued", "发出督办", definition=supervision.DEFINITIONS["orders_issued"]),
    Column("orders_answered", "督办已反馈", definition=supervision.DEFINITIONS["orders_answered"]),
    Column("orders_closed", "督办办结", definition=supervision.DEFINITIONS["orders_closed"]),
    Column("orders_overdue", "督办逾期未反馈", definition=supervision.DEFINITIONS["orders_overdue"]),
)


def _filters(ask: Ask) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The report's own filters: a rule category and a level (ask.extra), already checked by the page."""
    category = (ask.extra.get("category") or "").strip()
    level = ask.extra.get("level")
    return ((category,) if category else ()), ((int(level),) if level not in (None, "") else ())


def _with_orders(ask: Ask) -> bool:
    categories, levels = _filters(ask)
    return not (set(ask.by) & set(ALERT_ONLY) or categories or levels)


def rows(ask: Ask) -> list[dict]:
    categories, levels = _filters(ask)
    by = tuple(ask.by)
    alert_by = by if "level" in by else (*by, "level")
    table: dict[tuple, dict] = {}

    def row_of(source: dict) -> dict:
        key = tuple(source[g] for g in by)
        return table.setdefault(key, {**{g: source[g] for g in by}, **{c.code: 0 for c in COLUMNS}})

    for source in supervision.alert_totals(ask.first, ask.last, by=alert_by, departments=ask.scope.departments,
                                           categories=categories, levels=levels):
        row, level = row_of(source), source["level"]
        for code, wanted in BY_LEVEL.items():
            row[code] += source["raised"] if level == wanted else 0
        if level in CARDS:
            row["cards_answered"] += source["answered"]
            row["cards_open"] += source["still_open"]
    with_orders = _with_orders(ask)
    if with_orders:
        for source in supervision.order_totals(ask.first, ask.last, by=by, departments=ask.scope.departments):
            row = row_of(source)
            for code, figure in ORDER_COLUMNS.items():
                row[code] += source[figure]
    out = [table[key] for key in sorted(table, key=key_order)]
    for row in out:
        row["answer_rate"] = percent(row["cards_answered"], row["yellow"] + row["red"])
        if not with_orders:
            row.update(dict.fromkeys(ORDER_COLUMNS))
    return out


def alerts_behind(ask: Ask, key: dict, column: str) -> QuerySet | None:
    """The alerts behind an alert figure of a row (None for order figures and rates)."""
    if column in BY_LEVEL:
        figure, levels = "raised", (BY_LEVEL[column],)
    elif column in CARD_FIGURES:
        figure, levels = CARD_FIGURES[column]
    else:
        return None
    first, last = period_of(ask, key)
    if first > last:
        return supervision.alerts_behind(figure, ask.first, ask.last).none()
    alerts = supervision.alerts_behind(figure, first, last).filter(level__in=levels)
    categories, chosen_levels = _filters(ask)
    if key.get("level") is not None:
        chosen_levels = (key["level"],)
    if chosen_levels:
        alerts = alerts.filter(level__in=chosen_levels)
    if key.get("category") is not None:
        categories = (key["category"],)
    if categories:
        alerts = alerts.filter(rule__category__in=categories)
    return alerts.filter(scope_q(ask, DEPARTMENT), keys_q(key, DEPARTMENT))


def orders_behind(ask: Ask, key: dict, column: str) -> QuerySet | None:
    if column not in ORDER_COLUMNS or not _with_orders(ask):
        return None
    first, last = period_of(ask, key)
    if first > last:
        return supervision.orders_behind(ORDER_COLUMNS[column], ask.first, ask.last).none()
    orders = supervision.orders_behind(ORDER_COLUMNS[column], first, last)
    return orders.filter(scope_q(ask, DEPARTMENT), keys_q(key, DEPARTMENT))


def cases(ask: Ask, key: dict, column: str) -> QuerySet | None:
    """The cases behind a figure: those of its alerts that are about a case, or those its orders name."""
    alerts = alerts_behind(ask, key, column)
    if alerts is not None:
        return supervision.cases_of_alerts(alerts)
    orders = orders_behind(ask, key, column)
    return supervision.cases_of_orders(orders) if orders is not None else None


CARDS_REPORT = register(Report(
    code="cards",
    title="黄牌红牌与督办",
    group=GROUP,
    definition="监察告警按发现时间（北京时间）所在日、责任部门、监察点类别和级别统计：发出的预警、黄牌、红牌，"
               "其中已填写整改说明的和至今未解除的；督办单按责任部门统计，发出、首次反馈、办结各计在当日，"
               "逾期未反馈指统计期内发出、至今待反馈且已过反馈期限的。按类别或级别分组、筛选时督办各列不适用。"
               "点击数字可查看其背后的办件（不涉及办件的告警不在办件清单中）。",
    columns=COLUMNS,
    rows=rows,
    groupings=("department", "category", "level", "month", "year", "day"),
    cases=cases,
    chart="bar",
    filters=("period", "department", "district", "category", "level"),
    reads=(supervision.ALERTS_FAMILY, supervision.ORDERS_FAMILY),
))
