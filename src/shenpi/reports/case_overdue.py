"""超期办件清单: the open cases whose clock runs past their promised due date, one row per case.

A list, not a figure: it reads the running cases directly (the partial index `case_running_due`
holds exactly the cases whose clock runs, by promised due date), with the same definition of
overdue as supervision and the workbench (shenpi.cases.deadlines.case_overdue). A suspended case's
clock is stopped, so it is never overdue. The most overdue come first; the list stops at LIMIT rows
and its last row then says how many more there are.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Prefetch, QuerySet

from shenpi import clock
from shenpi.cases.deadlines import case_overdue
from shenpi.cases.models import Case, CaseStep, State
from shenpi.workdays.services import get_calendar

from .registry import Ask, Column, Report, register

LIMIT = 1000


def overdue_cases(ask: Ask) -> QuerySet:
    """Every overdue running case in the asked scope, most overdue first (uncapped)."""
    return (Case.objects.filter(case_overdue(clock.today())).filter(ask.scope.q())
            .order_by("promised_due", "pk"))


def _current_step(case: Case) -> str:
    names = [s.name for s in case.active_steps]
    return "、".join(names) if names else State(case.state).label


def rows(ask: Ask) -> list[dict]:
    today, calendar = clock.today(), get_calendar()
    cases = overdue_cases(ask).select_related("version", "department").prefetch_related(
        Prefetch("steps", queryset=CaseStep.objects.filter(status=CaseStep.Status.ACTIVE).order_by("pk"),
                 to_attr="active_steps"))
    listed = [{
        "case": case.pk, "number": case.number, "item": case.version.name, "department": case.department.name,
        "promised_due": case.promised_due, "overdue_days": calendar.between(case.promised_due, today),
        "step": _current_step(case),
    } for case in cases[:LIMIT]]
    if len(listed) == LIMIT:
        more = overdue_cases(ask).count() - LIMIT
        if more:
            listed.append({"case": None, "number": f"另有{more}件超期办件未列出，请按部门、事项或窗口缩小范围",
                           "item": "", "department": "", "promised_due": None, "overdue_days": None, "step": ""})
    return listed


def cases(ask: Ask, key: Mapping, column: str):
    """A listed case itself; without a case key, every overdue case of the scope."""
    if key.get("case") is not None:
        return Case.objects.filter(pk=key["case"])
    return overdue_cases(ask)


OVERDUE_LIST = register(Report(
    code="overdue-list", title="超期办件清单", group="时效",
    definition="当前（统计时刻）正在计时办理（办理中、待决定、已决定待送达）且承诺办结期限早于今天（北京时间）的办件，"
               "每件一行：办件编号、事项、部门、承诺办结期限、已超期工作日数（期限次日起至今天的工作日数，按工作日历）、"
               "当前环节。暂停计时、补正中、待受理的办件时钟未走，不列入。按承诺办结期限从早到晚排列，"
               f"最多列出{LIMIT}件，超出时末行注明未列出的件数。统计期不适用：清单反映当前状态；部门、事项、渠道、窗口筛选有效。",
    columns=(
        Column("number", "办件编号", "text", "办件编号", drill=False),
        Column("item", "事项", "text", "办件受理时的事项名称", drill=False),
        Column("department", "部门", "text", "实施部门", drill=False),
        Column("promised_due", "承诺办结期限", "date", "办件当前的承诺办结期限", drill=False),
        Column("overdue_days", "超期(工作日)", "count", "承诺办结期限次日起至今天（北京时间）的工作日数", drill=False),
        Column("step", "当前环节", "text", "正在办理的环节；无办理中环节时为办件状态", drill=False),
    ),
    rows=rows, cases=cases, groupings=(), chart="none",
    filters=("department", "item", "channel", "window", "district")))
