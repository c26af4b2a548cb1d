"""重点项目: the key projects under way in a period, with their stages' progress.

Key projects are few (thousands), so the report reads the joint tables directly, with the
key-project board's own figures (shenpi.joint.board: days used against the allotment, late stages
and parts, trend), as the projects stood at the period's last day (today while it runs), the way
the board's 专报 does. A project is listed when one of its stages was under way during the period:
accepted on or before its last day and not concluded or ended before its first day.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from shenpi import clock
from shenpi.cases.deadlines import case_overdue
from shenpi.cases.models import Case
from shenpi.joint import board
from shenpi.joint.models import Project, Stage, StagePart
from shenpi.workdays.services import get_calendar

from .registry import Ask, Column, Report, register

COLUMNS = (
    Column("code", "项目代码", "text", "投资项目统一代码", drill=False),
    Column("name", "项目名称", "text", drill=False),
    Column("district", "所在区县", "text", drill=False),
    Column("lead", "牵头部门", "text", drill=False),
    Column("stages_total", "阶段数", definition="统计期末已受理的阶段"),
    Column("stages_done", "已办结阶段", definition="统计期末已办结或终止的阶段"),
    Column("current", "当前阶段", "text", "办理中的阶段（多个时取最近受理的），否则最后一个阶段", drill=False),
    Column("current_state", "阶段状态", "text", drill=False),
    Column("used", "当前阶段已用(工作日)", definition="当前阶段已用工作日（不含暂停计时），已办结阶段为实际用时",
           drill=False),
    Column("allotment", "当前阶段时限(工作日)", definition="当前阶段承诺时限加已批准延长", drill=False),
    Column("overdue_stages", "超期阶段", definition="办理中且超过承诺期限（计时未暂停），或实际用时超过时限的阶段"),
    Column("late_parts", "超期办件", definition="项目的办件中计时进行且已超过承诺办结期限的"),
    Column("saved", "较承诺(工作日)", definition="已办结阶段节约的工作日加当前阶段超出的工作日（负数为滞后）",
           drill=False),
    Column("trend", "进度", "text", "提前 / 正常 / 滞后（当前阶段或办件超期即为滞后）", drill=False),
)


def projects(ask: Ask):
    """The key projects in the filters with a stage under way during the period (an indexed query)."""
    start = clock.day_start(ask.first)
    active = Stage.objects.filter(project=OuterRef("pk"), accept_date__lte=ask.last).filter(
        Q(concluded_at__isnull=True) | Q(concluded_at__gte=start))
    found = Project.objects.filter(Exists(active), key_project=True)
    if ask.district:
        found = found.filter(district_id=ask.district)
    elif ask.scope.departments:
        departments = list(ask.scope.departments)
        found = found.filter(Q(lead_department_id__in=departments) | Q(Exists(StagePart.objects.filter(
            stage__project=OuterRef("pk"), department_id__in=departments))))
    return found


def as_of(ask: Ask):
    return min(clock.today(), ask.last)


def rows(ask: Ask) -> list[dict]:
    day = as_of(ask)
    chosen = list(projects(ask).select_related("district", "lead_department").order_by("code"))
    out = []
    calendar = get_calendar()
    for start in range(0, len(chosen), 500):
        for row in board.rows_for(chosen[start:start + 500], calendar, day):
            row.stages = [s for s in row.stages if s.stage.accept_date <= day]
            row.current = board._current(row.stages)
            board._trend(row)
            p, c = row.project, row.current
            out.append({
                "project": p.pk, "code": p.code, "name": p.name,
                "district": p.district.name if p.district else "", "lead": p.lead_department.name,
                "stages_total": len(row.stages),
                "stages_done": sum(1 for s in row.stages if s.stage.state != Stage.State.OPEN),
                "current": c.stage.name if c else "", "current_state": c.stage.get_state_display() if c else "",
                "used": c.used if c else None, "allotment": c.allotment if c else None,
                "overdue_stages": sum(1 for s in row.stages if s.late), "late_parts": len(row.late_parts),
                "saved": row.saved_days, "trend": row.trend_label,
            })
    return out


def project_cases(ask: Ask, key: dict, column: str):
    """The project's cases: all of them, its late ones, or those of its late stages."""
    project = Project.objects.filter(pk=key.get("project"), key_project=True).first()
    if project is None:
        return Case.objects.none()
    cases = Case.objects.filter(project_code=project.code).exclude(project_code="")
    day = as_of(ask)
    if column == "late_parts":
        return cases.filter(case_overdue(day)).order_by("promised_due", "pk")
    if column == "overdue_stages":
        calendar = get_calendar()
        late = [s.stage.pk for s in (board.stage_figures(stage, calendar, day)
                                     for stage in project.stages.filter(accept_date__lte=day)) if s.late]
        return Case.objects.filter(stage_part__stage_id__in=late).order_by("pk")
    return cases.order_by("pk")


KEY_PROJECTS = register(Report(
    code="key_projects", title="重点项目", group="项目",
    definition=("统计期内有阶段在办（统计期末前受理、且未在统计期初前办结或终止）的重点项目，按统计期末（当月为今天）"
                "的状态列出各阶段进度：阶段数、已办结阶段、当前阶段及其已用与时限、超期阶段、超期办件和进度。"
                "按区县筛选项目所在区县；按部门筛选牵头部门或有该部门办件的项目。下钻列出项目的办件。"),
    columns=COLUMNS, rows=rows, groupings=("project",), cases=project_cases, chart="none",
    filters=("period", "department", "district"), reads=("joint.Project", "joint.Stage"),
))
