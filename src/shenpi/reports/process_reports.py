"""Process reports (过程): suspensions and corrections by kind and length; refusals with their reasons.

Both read the process family of aggregates (shenpi.figures.family_process), which also defines what
each figure counts and gives the cases behind it (drill-down).
"""

from __future__ import annotations

from django.db.models import QuerySet

from shenpi.figures import family_process as process
from shenpi.figures.definitions import percent, ratio

from .registry import Ask, Column, Report, register
from .row_keys import keys_q, period_of, scope_q

GROUP = "过程"
# A row's keys (and the asked scope) on the cases behind its figures.
CASE_FIELDS = {"department": "department_id", "item": "item_id"}
DEFAULT_TOP = 20


# -- 暂停计时与补正 --------------------------------------------------------------------------------
SUSPENSION_COLUMNS = (
    Column("started", "开始次数", definition=process.DEFINITIONS["started"]),
    Column("ended", "结束次数", definition=process.DEFINITIONS["ended"]),
    Column("avg_days", "平均时长(工作日)", "days", "统计期内结束的暂停（补正）的平均时长：时长合计 ÷ 结束次数",
           drill=False),
    *(Column(length.name, length.label, definition=process.DEFINITIONS[length.name]) for length in process.LENGTHS),
    Column("notices", "补正通知书", definition=process.DEFINITIONS["notices"]),
)


def _kinds(ask: Ask) -> tuple[str, ...]:
    kind = (ask.extra.get("kind") or "").strip()
    return (kind,) if kind else ()


def suspension_rows(ask: Ask) -> list[dict]:
    rows = process.suspension_totals(ask.first, ask.last, by=ask.by, departments=ask.scope.departments,
                                     items=ask.scope.items, kinds=_kinds(ask))
    for row in rows:
        row["avg_days"] = ratio(row.pop("days"), row["ended"])
    return rows


def suspension_cases(ask: Ask, key: dict, column: str) -> QuerySet | None:
    if column == "avg_days":
        return None
    first, last = period_of(ask, key)
    if first > last:
        return process.cases_behind(column, ask.first, ask.first).none()
    kind = key.get("kind") or (_kinds(ask) or (None,))[0]
    cases = process.cases_behind(column, first, last, kind=kind)
    return _in_scope(cases, ask, key)


def _in_scope(cases: QuerySet, ask: Ask, key: dict) -> QuerySet:
    return cases.filter(scope_q(ask, CASE_FIELDS), keys_q(key, CASE_FIELDS))


SUSPENSIONS = register(Report(
    code="suspensions",
    title="暂停计时与补正统计",
    group=GROUP,
    definition="按类型统计暂停计时（特别程序、补件）和受理前补正：开始、结束的次数，结束者所用工作日及时长分布。"
               "暂停按办件所属部门、事项计，开始次数计在暂停开始之日，结束次数与时长计在恢复计时（或办件结束）之日；"
               "补正开始计在出具补正材料通知书之日，结束计在补正材料收齐之日。日期均按北京时间，作废件不计。",
    columns=SUSPENSION_COLUMNS,
    rows=suspension_rows,
    groupings=("kind", "department", "item", "month", "year", "day"),
    cases=suspension_cases,
    chart="bar",
    filters=("period", "department", "item", "district", "kind"),
    reads=(process.FAMILY,),
))


# -- 不予受理及理由 --------------------------------------------------------------------------------
REFUSAL_COLUMNS = (
    Column("refused", "不予受理件数", definition=process.DEFINITIONS["refused"]),
    Column("share", "占比", "rate", "该行不予受理件数占统计范围内全部不予受理件数的比例", drill=False),
)


def _top(ask: Ask) -> int:
    try:
        top = int(ask.extra.get("top") or DEFAULT_TOP)
    except (TypeError, ValueError):
        return DEFAULT_TOP
    return max(1, top)


def refusal_rows(ask: Ask) -> list[dict]:
    """Rows of the refusals; grouped by reason, the most frequent reasons first (the top N)."""
    rows = process.refusal_totals(ask.first, ask.last, by=ask.by, departments=ask.scope.departments,
                                  items=ask.scope.items)
    whole = sum(row["refused"] for row in rows)
    for row in rows:
        row["share"] = percent(row["refused"], whole)
    if "reason" in ask.by:
        rows.sort(key=lambda row: -row["refused"])
        rows = rows[:_top(ask)]
    return rows


def refusal_cases(ask: Ask, key: dict, column: str) -> QuerySet | None:
    if column != "refused":
        return None
    first, last = period_of(ask, key)
    if first > last:
        return process.refusals_behind(ask.first, ask.first).none()
    return _in_scope(process.refusals_behind(first, last, reason=key.get("reason")), ask, key)


REFUSALS = register(Report(
    code="refusals",
    title="不予受理及理由",
    group=GROUP,
    definition="状态为不予受理的办件，计在其结束（出具不予受理通知书）之日（北京时间），按办件所属部门、事项计；"
               "按理由分组时，以理由原文相同者为一组，件数多者在前，列出前N种（默认20种）。",
    columns=REFUSAL_COLUMNS,
    rows=refusal_rows,
    groupings=("reason", "department", "item", "month", "year", "day"),
    cases=refusal_cases,
    chart="bar",
    filters=("period", "department", "item", "district", "top"),
    reads=(process.FAMILY,),
))

