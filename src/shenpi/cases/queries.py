"""The workbench buckets (待办, 已办, 即将到期, 已超期, 暂停) as querysets.

Every bucket is one SQL query over stored, indexed facts: steps by CaseStep.status/department/
due_at, cases by state/promised_due. Nothing is computed per row in Python, so the same functions
serve a clerk's page and a supervisor's count over a whole province. Every bucket starts from
services.visible_cases(user): least privilege is never re-implemented here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from shenpi import clock
from shenpi.accounts import routing
from shenpi.accounts.models import Role, User
from shenpi.catalog.models import Item, ItemVersion
from shenpi.workdays.calendar import WorkCalendar
from shenpi.workdays.services import get_calendar

from . import deadlines
from .lifecycle import clock_used_days
from .models import CLOCK_RUNNING_STATES, OPEN_STATES, Case, CaseEvent, CaseStep, ClockStop, State
from .services import visible_cases

# Roles that work the steps of a flow (审查 / 审核 / 审批).
STEP_ROLES = frozenset({Role.HANDLER, Role.REVIEWER, Role.APPROVER})
# Roles that watch a department (or the centre) rather than work a queue of their own.
WATCHER_ROLES = frozenset({Role.LIAISON, Role.SUPERVISOR, Role.ADMIN})
# Cases a clerk must act on at the window: decide acceptance, take corrections, deliver results.
CLERK_STATES = (State.RECEIVED, State.CORRECTING, State.DECIDED)
BUCKETS = {
    "todo": "待办",
    "done": "已办",
    "due_soon": "即将到期",
    "overdue": "已超期",
    "suspended": "暂停",
}


def _start_of(today: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(today, dt.time.min))


# -- whose work is it --------------------------------------------------------------------------

def _department_scope(user: User) -> Q:
    """The cases a user acts for: their department's, or all for a comprehensive window (一窗受理)."""
    if user.is_superuser or (user.department_id and user.department.comprehensive):
        return Q()
    if not user.department_id:
        return Q(pk__in=[])
    return Q(department_id=user.department_id)


def my_steps(user: User, today: dt.date | None = None) -> QuerySet[CaseStep]:
    """Active steps assigned to me, or unassigned in my department for one of my roles, or held by a
    colleague away today whose stand-in (B角) I am (代办)."""
    mine = Q(assignee=user)
    roles = sorted(user.role_codes() & STEP_ROLES)
    if user.department_id and roles:
        mine |= Q(assignee__isnull=True, department_id=user.department_id, role_id__in=roles)
        mine |= Q(assignee__in=routing.covered_by(user, today or clock.today()).values("pk"))
    return CaseStep.objects.filter(mine, status=CaseStep.Status.ACTIVE)


def covering_ids(user: User, today: dt.date | None = None) -> set[int]:
    """The colleagues away today whose steps this user works as their stand-in: lists mark them 代办."""
    return set(routing.covered_by(user, today or clock.today()).values_list("pk", flat=True))


def _open_supplement_stops() -> QuerySet[ClockStop]:
    """补件 stops still open: the applicant brings the materials back to the window."""
    return ClockStop.objects.filter(kind__isnull=True, ended_at__isnull=True)


def _todo_q(user: User, today: dt.date | None = None) -> Q | None:
    parts = []
    if user.role_codes() & STEP_ROLES or user.is_superuser:
        steps = my_steps(user, today).filter(case__state=State.IN_PROGRESS)
        parts.append(Q(id__in=steps.values("case_id")))
    scope = _department_scope(user)
    if user.has_role(Role.CLERK):
        parts.append(scope & (Q(state__in=CLERK_STATES) | Q(
            state=State.SUSPENDED, id__in=_open_supplement_stops().values("case_id"))))
    if user.has_role(Role.APPROVER):
        parts.append(scope & Q(state=State.DECIDING))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return combined


def _watches(user: User) -> bool:
    return user.is_superuser or bool(user.role_codes() & WATCHER_ROLES)


def _by_urgency(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.order_by(F("promised_due").asc(nulls_last=True), "-id")


def _for_lists(cases: QuerySet[Case]) -> QuerySet[Case]:
    """What a list row shows: the item version, and the steps that are running now."""
    active = CaseStep.objects.filter(status=CaseStep.Status.ACTIVE).select_related("assignee")
    return cases.select_related("version", "department").prefetch_related(
        Prefetch("steps", queryset=active, to_attr="active_steps"))


# -- the buckets -------------------------------------------------------------------------------

def todo(user: User, today: dt.date) -> QuerySet[Case]:
    """待办: cases waiting for something this user does next."""
    condition = _todo_q(user, today)
    if condition is None:
        return Case.objects.none()
    return _for_lists(_by_urgency(visible_cases(user).filter(condition)))


def done(user: User, today: dt.date) -> QuerySet[Case]:
    """已办: cases this user has acted on, the latest first."""
    mine = CaseEvent.objects.filter(actor=user)
    last = mine.filter(case=OuterRef("pk")).order_by("-at").values("at")[:1]
    cases = visible_cases(user).filter(id__in=mine.values("case_id")).annotate(last_done_at=Subquery(last))
    return _for_lists(cases.order_by("-last_done_at", "-id"))


def _watched(user: User) -> tuple[QuerySet[Case], QuerySet[CaseStep]]:
    """The cases and steps whose time this user answers for (or watches)."""
    if _watches(user):
        return visible_cases(user).filter(state__in=OPEN_STATES), CaseStep.objects.filter(
            status=CaseStep.Status.ACTIVE)
    condition = _todo_q(user)
    if condition is None:
        return Case.objects.none(), CaseStep.objects.none()
    return visible_cases(user).filter(condition), my_steps(user)


def _late(today: dt.date, now: dt.datetime, steps: QuerySet[CaseStep]) -> Q:
    return (
        deadlines.case_overdue(today)
        | Q(state=State.DECIDED, delivery_due__lt=today)
        | Q(state=State.RECEIVED, correction_due__lt=today)
        | Q(state=State.IN_PROGRESS, id__in=steps.filter(deadlines.step_overdue(now)).values("case_id"))
    )


def _near(today: dt.date, now: dt.datetime, steps: QuerySet[CaseStep], calendar: WorkCalendar) -> Q:
    """Due dates at or after today within their horizon (deadlines), and the window's own limits."""
    horizons = deadlines.thresholds()
    near_steps = steps.filter(deadlines.step_due_soon(now, calendar, horizons.step, deadlines.hour_limits()))
    next_day = calendar.add(today, 1)
    return (
        deadlines.case_due_soon(today, calendar, horizons.case)
        | Q(state=State.DECIDED, delivery_due__gte=today, delivery_due__lte=next_day)
        | Q(state=State.RECEIVED, correction_due__gte=today, correction_due__lte=next_day)
        | Q(state=State.IN_PROGRESS, id__in=near_steps.values("case_id"))
    )


def due_soon(user: User, today: dt.date, now: dt.datetime | None = None) -> QuerySet[Case]:
    """即将到期: within the horizon of deadlines.thresholds(), and not yet overdue."""
    now = now or _start_of(today)
    cases, steps = _watched(user)
    calendar = get_calendar()
    cases = cases.annotate(allotment=F("promised_limit") + F("extension_days"))
    return _for_lists(_by_urgency(cases.filter(_near(today, now, steps, calendar)).exclude(
        _late(today, now, steps))))


def overdue(user: User, today: dt.date, now: dt.datetime | None = None) -> QuerySet[Case]:
    """已超期: a running clock past the promised due date, a step past its own due time,
    a decision not delivered in time, or an application left undecided past the correction limit."""
    now = now or _start_of(today)
    cases, steps = _watched(user)
    return _for_lists(_by_urgency(cases.filter(_late(today, now, steps))))


def suspended(user: User, today: dt.date) -> QuerySet[Case]:
    """暂停: cases whose clock is stopped (特别程序 or 补件) that this user can see."""
    return _for_lists(visible_cases(user).filter(state=State.SUSPENDED).order_by(
        F("clock_stopped_on").asc(nulls_last=True), "-id"))


BUCKET_QUERIES = {
    "todo": todo,
    "done": done,
    "due_soon": due_soon,
    "overdue": overdue,
    "suspended": suspended,
}


def bucket(name: str, user: User, today: dt.date, now: dt.datetime | None = None) -> QuerySet[Case]:
    query = BUCKET_QUERIES[name]
    if name in ("due_soon", "overdue"):
        return query(user, today, now)
    return query(user, today)


# -- what the acceptance screen and the case page read ----------------------------------------

def may_receive(user: User) -> bool:
    """Who may register applications at a window: the same people services.receive lets through."""
    return user.is_superuser or user.has_role(Role.CLERK)


def receivable_items(user: User, search: str = "") -> QuerySet[Item]:
    """Published items this user may receive: their department's, or all at a comprehensive window."""
    if not may_receive(user):
        return Item.objects.none()
    published = ItemVersion.objects.current_of(OuterRef("pk"))
    items = Item.objects.filter(_department_scope(user)).annotate(
        current_name=Subquery(published.values("name")[:1]),
        current_limit=Subquery(published.values("promised_limit")[:1]),
    ).filter(current_name__isnull=False)
    search = search.strip()
    if search:
        items = items.filter(Q(code__icontains=search) | Q(current_name__icontains=search))
    return items.select_related("department").order_by("department__sort", "department__code", "code")


def sees_applicant(user: User, case: Case) -> bool:
    """Personal data in full for the case's department and the clerk who received it; masked for others."""
    return user.is_superuser or user.department_id == case.department_id or case.received_by_id == user.pk


@dataclass(frozen=True)
class ClockFacts:
    """A case's legal clock as of a day: working days used, left, and stopped so far."""

    used: int
    promised_left: int | None
    statutory_left: int | None
    stopped_now: int
    running: bool
    allotment: int = 0  # promised limit with extensions, in working days

    @property
    def used_capped(self) -> int:
        return min(self.used, self.allotment)

    @property
    def tone(self) -> str:
        """ok, warn (about to expire) or bad (overdue): the same horizon as the buckets."""
        if self.used > self.allotment:
            return "bad"
        if self.promised_left is not None and self.promised_left <= deadlines.thresholds().case.days(
                self.allotment):
            return "warn"
        return "ok"


def clock_facts(case: Case, today: dt.date, calendar: WorkCalendar | None = None) -> ClockFacts:
    calendar = calendar or get_calendar()
    if case.accept_date is None:
        return ClockFacts(0, None, None, 0, False)
    used = clock_used_days(case, calendar, today)
    stopped_now = calendar.between(case.clock_stopped_on, today) if case.clock_stopped_on else 0
    allotment = case.promised_limit + case.extension_days
    if case.state in OPEN_STATES:
        promised_left = allotment - used
        statutory_left = case.statutory_limit + case.extension_days - used
    else:
        promised_left = statutory_left = None
    return ClockFacts(used, promised_left, statutory_left, max(stopped_now, 0),
                      case.state in CLOCK_RUNNING_STATES, allotment)
