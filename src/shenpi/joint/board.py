"""The key-project board (重点项目跟踪督查): where each key project stands, who holds it back, its trend.

Built for a hundred thousand projects and a million cases: one page of projects at a time, and a
handful of set-based queries per page — the page's projects, their stages, their late parts —
never one query per project. The figures of a stage (days used and left) come from its own columns
and the working-day calendar in memory.

- current stage: the open stage (the latest opened if several), else the last one opened;
- late parts: the project's running cases past their own promised due (shenpi.cases.deadlines), with
  the department answering for each;
- trend: the working days saved (or lost) so far — each concluded stage's allotment less the days it
  used, and the current stage's overrun — read as 提前 / 正常 / 滞后.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from shenpi.cases.deadlines import case_overdue
from shenpi.cases.models import Case
from shenpi.catalog.models import Department
from shenpi.errors import InvalidInput
from shenpi.workdays.calendar import WorkCalendar

from .clock import stage_days_left, stage_used_days
from .models import Project, Stage

PER_PAGE = 30
_OPTIONS_SECONDS = 120
TRENDS = {"ahead": "提前", "on_time": "正常", "behind": "滞后"}


# -- who sees what ---------------------------------------------------------------------------------------

def may_see_all(user) -> bool:
    """Supervisors and administrators see every key project; a lead department's staff see its own."""
    return user.sees_all_departments


def visible_projects(user) -> QuerySet | None:
    """The key projects the user may follow, or None when the user may follow none."""
    projects = Project.objects.filter(key_project=True)
    if may_see_all(user):
        return projects
    if user.department_id is None:
        return None
    return projects.filter(lead_department_id=user.department_id)


# -- filters -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    district: int | None = None
    industry: str = ""
    lead: int | None = None
    late: bool = False
    q: str = ""

    @classmethod
    def of(cls, data) -> Filters:
        def number(name: str) -> int | None:
            raw = (data.get(name) or "").strip()
            if not raw:
                return None
            if not raw.isdigit():
                raise InvalidInput("筛选条件有误。", {name: ["请选择列表中的选项。"]})
            return int(raw)

        industry = (data.get("industry") or "").strip()
        if industry and not (len(industry) == 2 and industry.isdigit()):
            raise InvalidInput("筛选条件有误。", {"industry": ["行业代码为两位数字。"]})
        return cls(district=number("district"), industry=industry, lead=number("lead"),
                   late=(data.get("state") or "") == "late", q=(data.get("q") or "").strip()[:50])

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for page links and the export)."""
        out = {"district": self.district, "industry": self.industry, "lead": self.lead,
               "state": "late" if self.late else "", "q": self.q}
        return {k: str(v) for k, v in out.items() if v not in (None, "")}

    def describe(self, options: dict) -> str:
        names = []
        if self.district:
            names.append("区县：" + options["districts"].get(self.district, str(self.district)))
        if self.industry:
            names.append("行业：" + industry_label(self.industry))
        if self.lead:
            names.append("牵头部门：" + options["leads"].get(self.lead, str(self.lead)))
        if self.late:
            names.append("仅滞后项目")
        if self.q:
            names.append(f"关键词：{self.q}")
        return "；".join(names) or "全部重点项目"


# The divisions of GB/T 4754-2017 that investment projects carry most often; others show their code.
INDUSTRY_NAMES = {
    "13": "农副食品加工业", "26": "化学原料和化学制品制造业", "27": "医药制造业", "30": "非金属矿物制品业",
    "34": "通用设备制造业", "35": "专用设备制造业", "36": "汽车制造业", "38": "电气机械和器材制造业",
    "39": "计算机、通信和其他电子设备制造业", "44": "电力、热力生产和供应业", "46": "水的生产和供应业",
    "47": "房屋建筑业", "48": "土木工程建筑业", "54": "道路运输业", "59": "装卸搬运和仓储业",
    "65": "软件和信息技术服务业", "70": "房地产业", "73": "研究和试验发展业", "77": "生态保护和环境治理业",
    "78": "公共设施管理业", "83": "教育", "84": "卫生", "88": "文化艺术业", "89": "体育",
}


def industry_label(code: str) -> str:
    return f"{code} {INDUSTRY_NAMES[code]}" if code in INDUSTRY_NAMES else f"{code} 行业"


def filter_options(projects: QuerySet, scope_key: str) -> dict:
    """Districts, industries and lead departments that key projects have (kept a little while)."""
    def load():
        districts = dict(Department.objects.filter(
            pk__in=projects.filter(district__isnull=False).order_by().values("district_id")).values_list("pk", "name"))
        leads = dict(Department.objects.filter(
            pk__in=projects.order_by().values("lead_department_id")).values_list("pk", "name"))
        industries = sorted(set(projects.order_by().values_list("industry", flat=True).distinct()))
        return {"districts": districts, "leads": leads, "industries": industries}

    return cache.get_or_set(f"joint:board-options:{scope_key}", load, _OPTIONS_SECONDS)


def late_projects(today: dt.date) -> Q:
    """Projects with an open stage past its promised due (clock running) or a part past its own."""
    late_stage = Stage.objects.filter(project=OuterRef("pk"), state=Stage.State.OPEN, clock_stopped_on__isnull=True,
                                      promised_due__lt=today)
    # `project_code` not blank lets PostgreSQL read the partial index case_project_running_due.
    late_case = Case.objects.filter(case_overdue(today), project_code=OuterRef("code")).exclude(project_code="")
    return Q(Exists(late_stage)) | Q(Exists(late_case))


def filtered(projects: QuerySet, filters: Filters, today: dt.date) -> QuerySet:
    if filters.district:
        projects = projects.filter(district_id=filters.district)
    if filters.industry:
        projects = projects.filter(industry=filters.industry)
    if filters.lead:
        projects = projects.filter(lead_department_id=filters.lead)
    if filters.q:
        projects = projects.filter(Q(code__startswith=filters.q) | Q(name__contains=filters.q))
    if filters.late:
        projects = projects.filter(late_projects(today))
    return projects


# -- the figures of one project ----------------------------------------------------------------------------

@dataclass
class StageFigures:
    stage: Stage
    allotment: int
    used: int
    left: int | None
    late: bool
    stopped: bool

    @property
    def overdue(self) -> int:
        return -self.left if self.left is not None and self.left < 0 else 0

    @property
    def share(self) -> float:
        return self.used / self.allotment if self.allotment else 0.0


@dataclass
class LatePart:
    case_number: str
    item: str
    department: str
    department_id: int
    due: dt.date
    overdue_days: int


@dataclass
class ProjectRow:
    project: Project
    stages: list[StageFigures] = field(default_factory=list)
    current: StageFigures | None = None
    late_parts: list[LatePart] = field(default_factory=list)
    trend: str = "on_time"
    saved_days: int = 0

    @property
    def lost_days(self) -> int:
        return max(0, -self.saved_days)

    @property
    def trend_label(self) -> str:
        return TRENDS[self.trend]

    @property
    def departments_late(self) -> list[str]:
        return list(dict.fromkeys(p.department for p in self.late_parts))

    @property
    def late(self) -> bool:
        return self.trend == "behind"

    def sparkline(self) -> list[dict]:
        """One bar per stage (the reform's four fit) for a small SVG: its height the share of the allotment
        used (capped at 150 %)."""
        bars = []
        for i, s in enumerate(self.stages):
            height = round(min(s.share, 1.5) / 1.5 * 20, 1)
            bars.append({"x": i * 10, "y": round(20 - height, 1), "height": max(height, 1),
                         "kind": "late" if s.late else ("open" if s.stage.state == Stage.State.OPEN else "done"),
                         "title": f"{s.stage.name}：用时{s.used}/{s.allotment}个工作日"})
        return bars


def stage_figures(stage: Stage, calendar: WorkCalendar, today: dt.date) -> StageFigures:
    allotment = stage.promised_total + stage.extension_days
    used = stage.used_days if stage.used_days is not None and stage.state != Stage.State.OPEN else \
        stage_used_days(stage, calendar, today)
    if stage.state == Stage.State.OPEN:
        left = stage_days_left(stage, calendar, today)
        late = left < 0 and stage.clock_stopped_on is None
    else:
        left = None
        late = used > allotment
    return StageFigures(stage, allotment, used, left, late, stage.clock_stopped_on is not None)


def _current(stages: list[StageFigures]) -> StageFigures | None:
    open_ones = [s for s in stages if s.stage.state == Stage.State.OPEN]
    if open_ones:
        return open_ones[-1]
    return stages[-1] if stages else None


def _trend(row: ProjectRow) -> None:
    saved = sum(s.allotment - s.used for s in row.stages if s.stage.state != Stage.State.OPEN)
    current = row.current
    overrun = current is not None and current.stage.state == Stage.State.OPEN and current.late
    if current is not None and current.stage.state == Stage.State.OPEN and current.left is not None:
        saved += min(0, current.left)
    row.saved_days = saved
    if overrun or row.late_parts or saved < 0:
        row.trend = "behind"
    elif saved > 0:
        row.trend = "ahead"
    else:
        row.trend = "on_time"


def rows_for(projects: list[Project], calendar: WorkCalendar, today: dt.date) -> list[ProjectRow]:
    """The board's rows for these projects: three queries whatever their number."""
    rows = {p.pk: ProjectRow(p) for p in projects}
    if not rows:
        return []
    for stage in Stage.objects.filter(project_id__in=list(rows)).order_by("opened_at", "pk").only(
            "pk", "number", "name", "project_id", "state", "accept_date", "promised_total", "extension_days",
            "stopped_days", "clock_stopped_on", "promised_due", "concluded_at", "used_days", "green",
            "lead_department_id"):
        rows[stage.project_id].stages.append(stage_figures(stage, calendar, today))
    by_code = {p.code: rows[p.pk] for p in projects}
    for number, code, item, department, department_id, due in Case.objects.filter(
            case_overdue(today), project_code__in=list(by_code)).order_by("promised_due", "pk").values_list(
            "number", "project_code", "version__name", "department__name", "department_id", "promised_due"):
        by_code[code].late_parts.append(LatePart(number, item, department, department_id, due,
                                                 calendar.between(due, today)))
    for row in rows.values():
        row.current = _current(row.stages)
        _trend(row)
    return [rows[p.pk] for p in projects]


@dataclass
class Board:
    rows: list[ProjectRow]
    page: object
    filters: Filters
    options: dict
    today: dt.date


def board(user, data, calendar: WorkCalendar, now: dt.datetime) -> Board | None:
    """One page of the board for the user, or None when the user may follow no project."""
    projects = visible_projects(user)
    if projects is None:
        return None
    today = timezone.localdate(now)
    filters = Filters.of(data)
    scope_key = "all" if may_see_all(user) else f"dept{user.department_id}"
    options = filter_options(projects, scope_key)
    chosen = filtered(projects, filters, today).select_related("district", "lead_department", "project_type")
    page = Paginator(chosen.order_by("-created_at", "-pk"), PER_PAGE).get_page(data.get("page"))
    return Board(rows_for(list(page.object_list), calendar, today), page, filters, options, today)


# -- the monthly report (专报) ------------------------------------------------------------------------------

def month_of(raw: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month asked for ("2026-11"), the current month by default."""
    raw = (raw or "").strip()
    if not raw:
        first = today.replace(day=1)
    else:
        try:
            first = dt.datetime.strptime(raw, "%Y-%m").date()
        except ValueError as error:
            raise InvalidInput("月份格式有误。", {"month": ["请按“2026-11”的格式填写月份。"]}) from error
    if first > today:
        raise InvalidInput("月份有误。", {"month": ["不能选择未来的月份。"]})
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, following - dt.timedelta(days=1)


REPORT_HEADER = ["序号", "项目代码", "项目名称", "项目单位", "所在区县", "行业", "牵头部门", "绿色通道", "当前阶段",
                 "阶段状态", "受理日", "承诺办结期限", "已用(工作日)", "剩余(工作日)", "本月办结阶段", "超期办件",
                 "责任部门", "进度", "较承诺(工作日)"]


def report_rows(projects: QuerySet, calendar: WorkCalendar, today: dt.date, first: dt.date,
                last: dt.date) -> list[list]:
    """The 专报 of a month: every project in the filter as it stands at the month's end (today for the
    month under way); stages accepted after that day are left out."""
    as_of = min(today, last)
    out = []
    chunk = 500
    projects = list(projects.select_related("district", "lead_department").order_by("code"))
    for start in range(0, len(projects), chunk):
        part = projects[start:start + chunk]
        for row in rows_for(part, calendar, as_of):
            row.stages = [s for s in row.stages if s.stage.accept_date <= as_of]
            row.current = _current(row.stages)
            _trend(row)
            concluded = [s.stage.name for s in row.stages if s.stage.concluded_at is not None
                         and first <= timezone.localdate(s.stage.concluded_at) <= last]
            p, c = row.project, row.current
            out.append([
                len(out) + 1, p.code, p.name, p.owner_name, p.district.name if p.district else None,
                industry_label(p.industry), p.lead_department.name, "是" if p.green_channel else "否",
                c.stage.name if c else "尚未申报", c.stage.get_state_display() if c else None,
                c.stage.accept_date if c else None, c.stage.promised_due if c else None,
                c.used if c else None, c.left if c and c.left is not None else None,
                "、".join(concluded) or None,
                "、".join(f"{lp.case_number}（{lp.item}，超期{lp.overdue_days}个工作日）"
                         for lp in row.late_parts) or None,
                "、".join(row.departments_late) or None, row.trend_label, row.saved_days,
            ])
    return out


# -- the Gantt-like chart of one project -------------------------------------------------------------------

def gantt(project: Project, calendar: WorkCalendar, today: dt.date) -> dict:
    """Each stage as its planned bar (accepted → promised due) and its actual one (→ concluded, or today),
    its parts under it the same way (→ their own promised due; → completed or decided, or today)."""
    stages = list(Stage.objects.filter(project=project).order_by("opened_at", "pk").prefetch_related(
        "parts__case__department", "parts__case__version"))
    rows = []

    def day(value):
        return value.isoformat() if value else None

    for stage in stages:
        figures = stage_figures(stage, calendar, today)
        end = timezone.localdate(stage.concluded_at) if stage.concluded_at else today
        rows.append({"kind": "stage", "label": stage.name, "number": stage.number,
                     "state": stage.get_state_display(), "plan": [day(stage.accept_date), day(stage.promised_due)],
                     "actual": [day(stage.accept_date), day(end)], "late": figures.late,
                     "open": stage.state == Stage.State.OPEN, "used": figures.used, "allotment": figures.allotment})
        for part in stage.parts.all():
            case = part.case
            start = case.accept_date or stage.accept_date
            finished = case.completed_at or case.decided_at or case.closed_at
            actual_end = timezone.localdate(finished) if finished else today
            late = case.promised_due is not None and (actual_end > case.promised_due)
            rows.append({"kind": "part", "label": f"{case.version.name}（{case.department.name}）",
                         "number": case.number, "state": case.get_state_display(),
                         "plan": [day(start), day(case.promised_due or start)],
                         "actual": [day(start), day(actual_end)], "late": late, "open": finished is None})
    days = [dt.date.fromisoformat(d) for r in rows for d in (*r["plan"], *r["actual"]) if d]
    start = min(days, default=today)
    for r in rows:
        r["plan_days"] = [(dt.date.fromisoformat(d) - start).days for d in r["plan"]]
        r["actual_days"] = [(dt.date.fromisoformat(d) - start).days for d in r["actual"]]
    return {"project": project.code, "name": project.name, "start": start.isoformat(), "today": today.isoformat(),
            "today_day": (today - start).days, "rows": rows}

