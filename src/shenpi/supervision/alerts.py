"""告警 (alerts) as people meet them: who sees which, the department's rectification answer
(整改说明), the supervisors' manual findings (人工认定), and the figures of the live board.

Who may do what:
- see every alert, the board and its figures: supervisors (监察员) and centre administrators;
- see an alert of a department: that department's staff, and the alert's responsible person;
- answer (整改说明): the responsible person, or the department's liaison (部门联络员) or approver;
- flag a case and withdraw a flag (人工认定): supervisors.

An answer is kept as given (one per alert). For an event rule (a violation already done: a second
correction notice, 先批后录 …) the answer also closes the alert; a state rule's alert closes by
itself when its condition ends, and an answered yellow card does not turn red for lack of one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.cases.models import Case, State
from shenpi.catalog.models import Department
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused

from .models import Alert, Category, Flag, Level, Order, Rule, ScanRun
from .orders import may_issue
from .registry import REGISTRY

ANSWERING_ROLES = (Role.LIAISON, Role.APPROVER)
# The rules whose findings only a person can make (rules.py reads their flags).
MANUAL_RULES = ("accept.wrongful_refusal", "proc.offline_handling")
MAX_TEXT = 2000
CLOSED_BY_ANSWER = "已反馈整改"
CLOSED_BY_WITHDRAWAL = "人工认定已撤销"
TREND_DAYS = 30

Status = Alert.Status


# -- who may see and do what ------------------------------------------------------------------

def sees_all(user: User) -> bool:
    """Supervisors and centre administrators watch every department."""
    return bool(user.is_active and user.sees_all_departments)


def may_flag(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or user.has_role(Role.SUPERVISOR)))


def answers_for_department(user: User) -> bool:
    return bool(user.is_active and user.department_id and user.has_role(*ANSWERING_ROLES))


def may_answer(user: User, alert: Alert) -> bool:
    if not user.is_active:
        return False
    if alert.responsible_id is not None and alert.responsible_id == user.pk:
        return True
    return answers_for_department(user) and user.department_id == alert.department_id


def visible_alerts(user: User) -> QuerySet[Alert]:
    if sees_all(user):
        return Alert.objects.all()
    if not user.is_active:
        return Alert.objects.none()
    mine = Q(responsible=user)
    if user.department_id:
        mine |= Q(department_id=user.department_id)
    return Alert.objects.filter(mine)


def to_answer(user: User) -> QuerySet[Alert]:
    """我的告警: the alerts this person answers for, open or not (the caller filters the status)."""
    if not user.is_active:
        return Alert.objects.none()
    mine = Q(responsible=user)
    if answers_for_department(user):
        mine |= Q(department_id=user.department_id)
    return Alert.objects.filter(mine)


def open_to_answer_count(user: User) -> int:
    return to_answer(user).filter(status=Status.OPEN).count()


def red_unanswered_days() -> int:
    """Working days a yellow card may wait for its answer before it turns red (the case time rule's threshold)."""
    rule = Rule.objects.filter(code="time.case").only("params").first()
    params = {**REGISTRY["time.case"].params, **((rule.params or {}) if rule else {})}
    return int(params["red_unanswered_days"])


def sees_case_alerts(user: User, case: Case) -> bool:
    return sees_all(user) or bool(user.is_active and user.department_id and user.department_id == case.department_id)


# -- reading the input ------------------------------------------------------------------------

def _text(value, field: str, label: str, errors: dict[str, list[str]]) -> str:
    text = (value or "").strip()
    if not text:
        errors.setdefault(field, []).append(f"请填写{label}。")
    elif len(text) > MAX_TEXT:
        errors.setdefault(field, []).append(f"{label}不能超过{MAX_TEXT}字（现有{len(text)}字）。")
    return text


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise InvalidInput("；".join(m for messages in errors.values() for m in messages), errors)


def is_event_rule(code: str) -> bool:
    definition = REGISTRY.get(code)
    return bool(definition and definition.event_rule)


# -- 整改说明: the department answers an alert ----------------------------------------------------

def _lock_alert(pk: int) -> Alert:
    """The alert's row, locked: two answers at once, or an answer and a scan closing it, take turns."""
    return Alert.objects.select_for_update(of=("self",)).select_related("rule", "department").get(pk=pk)


@transaction.atomic
def answer_alert(alert: Alert | int, actor: User, text: str) -> Alert:
    """Record the rectification answer; for an event rule it also closes the alert."""
    alert = _lock_alert(alert.pk if isinstance(alert, Alert) else alert)
    if not may_answer(actor, alert):
        raise Forbidden(f"整改说明须由责任人或{alert.department}的部门联络员、审批人填报。")
    if alert.answered_at is not None:
        raise TransitionRefused(
            f"该告警已于{timezone.localtime(alert.answered_at):%Y-%m-%d %H:%M}反馈整改情况，不能重复反馈。")
    if alert.status != Status.OPEN:
        raise TransitionRefused(f"该告警已解除（{alert.closed_reason or '条件已解除'}），无需反馈。")
    errors: dict[str, list[str]] = {}
    text = _text(text, "text", "整改说明", errors)
    _raise_if(errors)
    now = clock.now()
    alert.answer, alert.answered_at, alert.answered_by = text, now, actor
    fields = ["answer", "answered_at", "answered_by"]
    if is_event_rule(alert.rule.code):
        # A violation already done cannot end by itself: the answer is what closes it.
        alert.status, alert.closed_at, alert.closed_reason = Status.CLOSED, now, CLOSED_BY_ANSWER
        fields += ["status", "closed_at", "closed_reason"]
    alert.save(update_fields=fields)
    return alert


# -- 人工认定: findings only a supervisor can make ---------------------------------------------------

def manual_rules() -> list[Rule]:
    return list(Rule.objects.filter(code__in=MANUAL_RULES).order_by("code"))


def _case(value, errors: dict[str, list[str]]) -> Case | None:
    if isinstance(value, Case):
        return value
    text = str(value or "").strip().upper()
    case = Case.objects.filter(number=text).first() if text else None
    if case is None:
        errors.setdefault("case", []).append(f"办件编号不存在：{text}。" if text else "请填写办件编号。")
    return case


def _manual_rule(code, case: Case | None, errors: dict[str, list[str]]) -> Rule | None:
    rule = Rule.objects.filter(code=code).first() if code in MANUAL_RULES else None
    if rule is None:
        errors.setdefault("rule", []).append("请选择人工认定的监察点。")
    elif not rule.enabled:
        errors.setdefault("rule", []).append(f"监察点“{rule.name}”已停用，不能认定。")
    elif code == "accept.wrongful_refusal" and case is not None and case.state != State.REFUSED:
        errors.setdefault("rule", []).append(f"办件{case.number}未被不予受理，不能认定为“{rule.name}”。")
    return rule


def _lock_case(pk: int) -> Case:
    """The case row's lock makes two supervisors flagging at once take turns: one flag, one refusal."""
    return Case.objects.select_for_update().get(pk=pk)


@transaction.atomic
def flag_case(actor: User, case: Case | str, rule_code: str, note: str) -> Flag:
    """A supervisor's finding on a case; the next scan raises its red card."""
    if not may_flag(actor):
        raise Forbidden("人工认定须由监察员作出。")
    errors: dict[str, list[str]] = {}
    case = _case(case, errors)
    rule = _manual_rule(rule_code, case, errors)
    note = _text(note, "note", "情况说明", errors)
    _raise_if(errors)
    case = _lock_case(case.pk)
    if Flag.objects.filter(rule=rule, case=case, withdrawn_at__isnull=True).exists():
        raise TransitionRefused(f"办件{case.number}已有“{rule.name}”的人工认定，撤销前不能重复认定。")
    return Flag.objects.create(rule=rule, case=case, note=note, flagged_by=actor, flagged_at=clock.now())


@transaction.atomic
def withdraw_flag(flag: Flag | int, actor: User) -> Flag:
    """Withdraw a finding; its alert closes now rather than at the next full scan."""
    if not may_flag(actor):
        raise Forbidden("撤销人工认定须由监察员办理。")
    pk = flag.pk if isinstance(flag, Flag) else flag
    flag = Flag.objects.select_for_update(of=("self",)).select_related("rule", "case").get(pk=pk)
    if flag.withdrawn_at is not None:
        raise TransitionRefused(
            f"该人工认定已于{timezone.localtime(flag.withdrawn_at):%Y-%m-%d %H:%M}撤销。")
    now = clock.now()
    flag.withdrawn_at, flag.withdrawn_by = now, actor
    flag.save(update_fields=["withdrawn_at", "withdrawn_by"])
    Alert.objects.filter(rule=flag.rule, subject=f"case:{flag.case_id}", status=Status.OPEN).update(
        status=Status.CLOSED, closed_at=now, closed_reason=CLOSED_BY_WITHDRAWAL)
    return flag


# -- the case page ----------------------------------------------------------------------------------

@dataclass
class CaseSupervision:
    alerts: list[Alert]
    flags: list[Flag]
    open_count: int
    may_flag: bool
    may_order: bool
    rules: list[Rule]
    order_query: str  # 督办 from the case page: the case and its open alerts, as the order form reads them


def case_supervision(user: User, case: Case) -> CaseSupervision | None:
    """The alerts and findings of a case, for supervisors and the case's department; None for others."""
    if not sees_case_alerts(user, case):
        return None
    alerts = list(Alert.objects.filter(case=case).select_related("rule", "step", "responsible")
                  .order_by("-detected_at", "-pk"))
    flags = list(Flag.objects.filter(case=case).select_related("rule", "flagged_by", "withdrawn_by"))
    flagging = may_flag(user)
    still_open = [a for a in alerts if a.status == Status.OPEN]
    return CaseSupervision(
        alerts=alerts, flags=flags, open_count=len(still_open), may_flag=flagging, may_order=may_issue(user),
        rules=manual_rules() if flagging else [],
        order_query=urlencode([("case", case.number), *(("alert", a.pk) for a in still_open)]))


# -- the live board: one aggregated query per figure ------------------------------------------------

def open_counts() -> tuple[dict[int, int], list[dict]]:
    """Open alerts per level, and per department and level (departments with most red cards first).

    One query for both: a GROUP BY over the index alert_board (status, level, department), which
    PostgreSQL answers from the index alone.
    """
    rows = (Alert.objects.filter(status=Status.OPEN).order_by().values_list("department_id", "level")
            .annotate(n=Count("*")))
    by_level = {level.value: 0 for level in Level}
    by_department: dict[int, dict[int, int]] = {}
    for department_id, level, n in rows:
        by_level[level] = by_level.get(level, 0) + n
        by_department.setdefault(department_id, {lv.value: 0 for lv in Level})[level] = n
    names = {d.pk: d.short_name or d.name for d in Department.objects.filter(pk__in=list(by_department))}
    departments = [{"id": pk, "name": names.get(pk, str(pk)), "levels": [levels[lv.value] for lv in Level],
                    "total": sum(levels.values())} for pk, levels in by_department.items()]
    departments.sort(key=lambda d: (-d["levels"][-1], -d["total"], d["name"]))
    return by_level, departments


def open_by_category() -> list[dict]:
    rows = dict(Alert.objects.filter(status=Status.OPEN).order_by().values_list("rule__category")
                .annotate(n=Count("*")))
    return [{"code": value, "name": label, "value": rows.get(value, 0)} for value, label in Category.choices]


def raised_per_day(days: int = TREND_DAYS, today: dt.date | None = None) -> dict:
    """Alerts raised (or raised again) per day and level over the last `days` days, today included.

    Filtering on every department lets the index alert_dept_time (department, detected_at) serve
    the date range instead of a scan of all alerts ever raised.
    """
    today = today or clock.today()
    first = today - dt.timedelta(days=days - 1)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min))
    departments = list(Department.objects.values_list("pk", flat=True))
    rows = (Alert.objects.filter(department_id__in=departments, detected_at__gte=start, detected_at__lt=end)
            .order_by().annotate(day=TruncDate("detected_at", tzinfo=timezone.get_current_timezone()))
            .values_list("day", "level").annotate(n=Count("*")))
    labels = [first + dt.timedelta(days=i) for i in range(days)]
    index = {day: i for i, day in enumerate(labels)}
    series = {level.value: [0] * days for level in Level}
    for day, level, n in rows:
        if day in index and level in series:
            series[level][index[day]] = n
    return {"days": [d.isoformat() for d in labels], "series": series}


def last_scan() -> ScanRun | None:
    return ScanRun.objects.filter(finished_at__isnull=False).order_by("-pk").first()


def scan_summary(run: ScanRun | None) -> dict | None:
    if run is None:
        return None
    return {
        "kind": run.get_kind_display(), "as_of": timezone.localtime(run.as_of).isoformat(timespec="seconds"),
        "seconds": round(run.seconds, 2),
        "levels": [{"level": lv.value, "name": lv.label, "raised": int(run.raised.get(str(lv.value), 0)),
                    "closed": int(run.closed.get(str(lv.value), 0))} for lv in Level],
    }


def board_figures() -> dict:
    """Everything the board's charts draw, for the JSON endpoint."""
    counts, departments = open_counts()
    return {
        "levels": [{"level": lv.value, "name": lv.label, "count": counts[lv.value]} for lv in Level],
        "departments": departments,
        "categories": open_by_category(),
        "trend": raised_per_day(),
        "scan": scan_summary(last_scan()),
        "level_names": [lv.label for lv in Level],
    }


# -- the board's list ---------------------------------------------------------------------------

@dataclass
class AlertFilter:
    """What the board's list is narrowed to; None/empty means no condition."""

    status: str | None = Status.OPEN
    level: int | None = None
    department_id: int | None = None
    category: str | None = None
    rule_code: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def apply(self, alerts: QuerySet[Alert]) -> QuerySet[Alert]:
        if self.status:
            alerts = alerts.filter(status=self.status)
        if self.level:
            alerts = alerts.filter(level=self.level)
        if self.department_id:
            alerts = alerts.filter(department_id=self.department_id)
        if self.category:
            alerts = alerts.filter(rule__category=self.category)
        if self.rule_code:
            alerts = alerts.filter(rule__code=self.rule_code)
        if self.since:
            alerts = alerts.filter(detected_at__gte=_start_of(self.since))
        if self.until:
            alerts = alerts.filter(detected_at__lt=_start_of(self.until + dt.timedelta(days=1)))
        return alerts


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def newest_first(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    return alerts.order_by("-detected_at", "-pk")


def rows_of(ids: list[int]) -> list[Alert]:
    """The alerts a page shows, with what each row names, in the order of `ids`.

    A page is chosen on the alert table alone (sorting narrow rows), and only its rows are joined.
    """
    found = Alert.objects.select_related("rule", "case", "step", "department", "responsible").in_bulk(ids)
    return with_orders([found[pk] for pk in ids if pk in found])


# What a subject's kind is called, for a subject whose row the page has not loaded.
SUBJECT_KINDS = {"case": "办件", "step": "办理环节", "order": "督办单", "online": "网上申报", "complaint": "投诉",
                 "rating": "差评回访整改", "stage": "审批阶段", "review": "网上联审"}


def subject_label(alert: Alert) -> str:
    """What an alert is about, in words ("办件 2026…", "投诉 TS…"): never its subject code."""
    kind, _, _ = alert.subject.partition(":")
    figures = alert.figures or {}
    if kind == "order":
        order = getattr(alert, "subject_order", None)
        return f"督办单 {order.number}" if order is not None else "督办单"
    if kind == "online" and figures.get("application"):
        return f"网上申报 {figures['application']}"
    if kind == "complaint" and figures.get("complaint"):
        return f"投诉 {figures['complaint']}"
    if kind == "stage" and figures.get("stage"):
        return f"阶段 {figures['stage']}"
    if kind == "review" and figures.get("review"):
        return f"联审 {figures['review']}"
    if alert.case_id is not None:
        label = f"办件 {alert.case.number}"
        if kind == "step" and alert.step_id is not None:
            label += f" · {alert.step.name}环节"
        elif kind == "rating":
            label += " · 差评回访整改"
        return label
    return SUBJECT_KINDS.get(kind, "监察对象")


def with_orders(alerts: list[Alert]) -> list[Alert]:
    """Alerts about a supervision order (督办未按期反馈) get `subject_order`: one query for the lot."""
    ids = {int(a.subject.split(":", 1)[1]) for a in alerts
           if a.subject.startswith("order:") and a.subject.split(":", 1)[1].isdigit()}
    orders = Order.objects.in_bulk(list(ids)) if ids else {}
    for alert in alerts:
        kind, _, pk = alert.subject.partition(":")
        alert.subject_order = orders.get(int(pk)) if kind == "order" and pk.isdigit() else None
    return alerts
