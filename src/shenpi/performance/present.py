"""Indicators and scores as tables: the same columns on the pages, in the Excel file and on the console."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from .measures import Indicators, percent
from .scoring import SubjectScore
from .services import Ranking


@dataclass(frozen=True)
class Column:
    code: str
    label: str
    kind: str  # count | rate | days
    get: Callable[[Indicators], Fraction | int | None]


def _attr(name: str) -> Callable[[Indicators], Fraction | int | None]:
    return lambda ind: getattr(ind, name)


INDICATOR_COLUMNS: list[Column] = [
    Column("received", "收件", "count", _attr("received")),
    Column("accepted", "受理", "count", _attr("accepted")),
    Column("completed", "办结", "count", _attr("completed")),
    Column("on_time_rate", "按时办结率", "rate", _attr("on_time_rate")),
    Column("early_rate", "提前办结率", "rate", _attr("early_rate")),
    Column("on_the_spot_rate", "即办率", "rate", _attr("on_the_spot_rate")),
    Column("online_rate", "网办率", "rate", _attr("online_rate")),
    Column("avg_used_days", "平均用时(工作日)", "days", _attr("avg_used_days")),
    Column("avg_promised_days", "平均承诺时限(工作日)", "days", _attr("avg_promised_days")),
    Column("suspensions", "暂停计时", "count", _attr("suspensions")),
    Column("refused", "不予受理", "count", _attr("refused")),
    Column("denied", "不予许可", "count", _attr("denied")),
    Column("warnings", "预警", "count", _attr("warnings")),
    Column("yellow_cards", "黄牌", "count", _attr("yellow_cards")),
    Column("red_cards", "红牌", "count", _attr("red_cards")),
    # In the table a department without cards has no rate to show; in scoring it has full marks.
    Column("rectification_rate", "黄红牌整改反馈率", "rate", lambda ind: percent(ind.cards_answered, ind.cards)),
    Column("procedure_rate", "规范办结率", "rate", _attr("procedure_rate")),
    Column("complaints", "投诉", "count", _attr("complaints")),
    Column("satisfaction_rate", "满意率", "rate", _attr("satisfaction_rate")),
    Column("rectify_rate", "差评整改率", "rate", _attr("rectify_rate")),
    Column("visit_rate", "差评回访率", "rate", _attr("visit_rate")),
]

DASH = "—"


def number(value: Fraction | int | None, kind: str = "count") -> float | int | None:
    """The value as a spreadsheet stores it: rates in percent and days to two decimals."""
    if value is None:
        return None
    if kind == "count":
        return int(value)
    return round(float(value), 2)


def text(value: Fraction | int | None, kind: str = "count") -> str:
    if value is None:
        return DASH
    if kind == "rate":
        return f"{float(value):.1f}%"
    if kind in ("days", "points"):
        return f"{float(value):.{1 if kind == 'days' else 2}f}"
    return str(int(value))


def indicator_values(ind: Indicators) -> list[tuple[Fraction | int | None, str]]:
    return [(column.get(ind), column.kind) for column in INDICATOR_COLUMNS]


# -- the ranking ---------------------------------------------------------------------------------------

def points_label(full: Fraction) -> str:
    """满分 of an area as its head says it: 14, or 33.33 when windows share the base."""
    return f"{float(full):.2f}".rstrip("0").rstrip(".")


def ranking_header(ranking: Ranking) -> list[str]:
    head = ["名次", "名称"] + ([] if ranking.level == "department" else ["所属部门"])
    if ranking.single_month:
        areas = [f"{area.name}(满分{points_label(full)})" for area, full in ranking.area_heads()]
        return [*head, "得分", *areas, "扣分", "加分", "未录入项"]
    return [*head, "平均得分", "计入月数", *[m.label for m in ranking.months]]


def ranking_values(ranking: Ranking, row: SubjectScore) -> list:
    """One row of the ranking: names as text, scores and points as numbers, None where there is none."""
    head = [row.rank, row.subject.name] + ([] if ranking.level == "department" else [row.subject.department_name])
    if ranking.single_month:
        month = row.months[0]
        areas = [number(a.points, "points") for a in month.areas if a.points is not None]
        return [*head, number(month.score, "points"), *areas, number(month.deducted, "points"),
                number(month.added, "points"), "、".join(month.not_entered)]
    by_month = {m.month: m for m in row.months}
    scores = [number(by_month[m].score, "points") if m in by_month else None for m in ranking.months]
    return [*head, number(row.score, "points"), len(row.months), *scores]
