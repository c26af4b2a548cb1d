"""The scan (监察扫描): run every enabled rule, raise what is new, close what has ended.

A full scan looks at everything the state rules cover; it runs on the first scan of each day
(thresholds counted in working days move at midnight), after a rule's thresholds change, and on
request. An incremental scan looks only at cases with new events since the last scan and at step
deadlines that fell since then. Event rules always look at changed cases only (the first scan
ever looks at all). Scans take a lock, so two at once run one after the other, and alerts are
unique per rule × subject × level, so none is ever raised twice.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from django.db import connection, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.cases.models import CLOCK_RUNNING_STATES, Case, CaseEvent, State
from shenpi.workdays.services import get_calendar

from .alerts import subject_label
from .models import Alert, Level, Rule, ScanRun
from .registry import REGISTRY, Finding, Look
from .rules import case_handlers

# Events committed late by a slower transaction can carry an id below the last scan's mark;
# looking a little back in time as well catches them.
_EVENT_MARGIN = dt.timedelta(minutes=2)
_CHUNK = 2000
# A number no other PostgreSQL advisory lock of this database uses: "SHENPI" in ASCII.
_SCAN_LOCK = 0x5348454E5049


@dataclass
class ScanResult:
    kind: str
    raised: Counter = field(default_factory=Counter)
    closed: Counter = field(default_factory=Counter)
    unavailable: list[str] = field(default_factory=list)
    seconds: float = 0.0
    run: ScanRun | None = None

    def lines(self) -> list[str]:
        out = [f"{'全量' if self.kind == ScanRun.Kind.FULL else '增量'}扫描，用时 {self.seconds:.2f} 秒"]
        for level in Level:
            out.append(f"{level.label}：新发 {self.raised[level.value]}，解除 {self.closed[level.value]}")
        if self.unavailable:
            out.append("尚无数据的监察点：" + "、".join(self.unavailable))
        return out


def scan(*, full: bool = False, now: dt.datetime | None = None, notify: bool = True) -> ScanResult:
    """One scan as of `now`. notify=False replays history (the demo): nobody is told of the past."""
    started = time.perf_counter()
    with transaction.atomic():
        _take_scan_lock()
        now = now or clock.now()
        last = ScanRun.objects.filter(finished_at__isnull=False).order_by("-pk").first()
        rules = list(Rule.objects.order_by("code"))
        rules_changed = max((r.updated_at for r in rules), default=None)
        kind = _kind(full, last, now, rules_changed)
        mark = CaseEvent.objects.aggregate(mark=Max("pk"))["mark"] or 0
        changed = None if last is None else CaseEvent.objects.filter(
            Q(pk__gt=last.last_event_id) | Q(at__gte=last.as_of - _EVENT_MARGIN)).values("case_id")
        result = ScanResult(kind)
        calendar = get_calendar()
        for rule in rules:
            definition = REGISTRY.get(rule.code)
            if definition is None:
                continue
            if not rule.enabled:
                _close(_open_alerts(rule), now, "监察点已停用", result)
                continue
            scope = None if definition.always_full else (
                changed if definition.event_rule or kind == ScanRun.Kind.INCREMENTAL else None)
            look = Look(now=now, calendar=calendar, params={**definition.params, **(rule.params or {})},
                        changed=scope, since=last.as_of if last else None)
            findings = definition.find(look)
            if findings is None:
                result.unavailable.append(rule.name)
                continue
            _apply(rule, definition.event_rule, list(findings), look, now, result)
        if notify:
            _notify_new(now)
        result.seconds = time.perf_counter() - started
        result.run = ScanRun.objects.create(
            kind=kind, started_at=now, as_of=now, finished_at=clock.now(), last_event_id=mark,
            rules_changed_at=rules_changed, raised={str(k): v for k, v in result.raised.items()},
            closed={str(k): v for k, v in result.closed.items()}, seconds=result.seconds)
    return result


def _take_scan_lock() -> None:
    """PostgreSQL: wait for any other scan to finish. SQLite serialises writers by itself.

    JIT is off for the scan's transaction: on a million open cases it spent longer compiling the
    time rules' queries than running them (docs/benchmarks.md)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SCAN_LOCK])
            cursor.execute("SET LOCAL jit = off")


def _kind(full: bool, last: ScanRun | None, now: dt.datetime, rules_changed) -> str:
    if full or last is None or timezone.localdate(last.as_of) != timezone.localdate(now):
        return ScanRun.Kind.FULL
    if rules_changed and (last.rules_changed_at is None or rules_changed > last.rules_changed_at):
        return ScanRun.Kind.FULL
    return ScanRun.Kind.INCREMENTAL


def _open_alerts(rule: Rule):
    return Alert.objects.filter(rule=rule, status=Alert.Status.OPEN)


def _apply(rule: Rule, event_rule: bool, findings: list[Finding], look: Look, now, result: ScanResult) -> None:
    found: dict[str, Finding] = {}
    for finding in findings:  # one level per subject: the highest that applies
        if finding.subject not in found or finding.level > found[finding.subject].level:
            found[finding.subject] = finding
    if event_rule:
        # A violation stays one: raise what is new, never reopen what an answer closed.
        _create(rule, _with_responsible(list(found.values())), now, result)
        return
    open_rows = _open_rows(rule, look, found)
    current = {(subject, level) for _, subject, level, _ in open_rows}
    _raise(rule, [f for f in found.values() if (f.subject, f.level) not in current], now, result)
    ending = [row for row in open_rows if row[1] not in found or found[row[1]].level != row[2]]
    _close_ending(ending, found, now, result)


def _open_rows(rule: Rule, look: Look, found: dict[str, Finding]) -> list[tuple]:
    """Open alerts of the rule the look can speak for: all of them, or those of the changed cases."""
    columns = ("pk", "subject", "level", "case_id")
    alerts = _open_alerts(rule).order_by()
    if look.changed is None:
        return list(alerts.values_list(*columns))
    rows = {row[0]: row for row in alerts.filter(case_id__in=look.changed).values_list(*columns)}
    subjects = list(found)
    for start in range(0, len(subjects), _CHUNK):
        rows.update((row[0], row) for row in alerts.filter(subject__in=subjects[start:start + _CHUNK])
                    .values_list(*columns))
    return list(rows.values())


def _with_responsible(findings: list[Finding]) -> list[Finding]:
    """Name the case's current handler on the findings that are about to become alerts."""
    handlers = case_handlers(f.case_id for f in findings if f.handler_of_case)
    return [replace(f, responsible_id=handlers.get(f.case_id)) if f.handler_of_case else f for f in findings]


def _raise(rule: Rule, new: list[Finding], now, result: ScanResult) -> None:
    """Reopen an alert that ended and came back (one per rule × subject × level); create the rest."""
    if not new:
        return
    new = _with_responsible(new)
    wanted = {(f.subject, f.level): f for f in new}
    closed = Alert.objects.filter(rule=rule, status=Alert.Status.CLOSED)
    subjects = sorted({f.subject for f in new})
    reopened = set()
    for start in range(0, len(subjects), _CHUNK):
        for pk, subject, level in closed.filter(subject__in=subjects[start:start + _CHUNK]).values_list(
                "pk", "subject", "level"):
            finding = wanted.get((subject, level))
            if finding is None:
                continue
            Alert.objects.filter(pk=pk).update(
                status=Alert.Status.OPEN, closed_at=None, closed_reason="", detected_at=now, notified_at=None,
                answer="", answered_at=None, answered_by=None,
                figures=finding.figures, responsible_id=finding.responsible_id, reopened=F("reopened") + 1)
            reopened.add((subject, level))
            result.raised[level] += 1
    _create(rule, [f for key, f in wanted.items() if key not in reopened], now, result)


def _create(rule: Rule, findings, now, result: ScanResult) -> None:
    rows = [Alert(rule=rule, level=f.level, subject=f.subject, case_id=f.case_id, step_id=f.step_id,
                  department_id=f.department_id, responsible_id=f.responsible_id, detected_at=now,
                  figures=f.figures) for f in findings]
    if not rows:
        return
    before = Counter(dict(Alert.objects.filter(rule=rule, detected_at=now).values_list("level")
                          .annotate(n=Count("pk")).values_list("level", "n")))
    Alert.objects.bulk_create(rows, batch_size=_CHUNK, ignore_conflicts=True)
    after = Counter(dict(Alert.objects.filter(rule=rule, detected_at=now).values_list("level")
                         .annotate(n=Count("pk")).values_list("level", "n")))
    result.raised.update(after - before)


def _close_ending(ending: list[tuple], found: dict[str, Finding], now, result: ScanResult) -> None:
    if not ending:
        return
    states = dict(Case.objects.filter(pk__in={row[3] for row in ending if row[3]}).values_list("pk", "state"))
    by_reason: dict[str, list[int]] = defaultdict(list)
    for pk, subject, level, case_id in ending:
        by_reason[_closing_reason(found.get(subject), level, states.get(case_id))].append(pk)
        result.closed[level] += 1
    for reason, pks in by_reason.items():
        for start in range(0, len(pks), _CHUNK):
            Alert.objects.filter(pk__in=pks[start:start + _CHUNK]).update(
                status=Alert.Status.CLOSED, closed_at=now, closed_reason=reason)


def _closing_reason(now_found: Finding | None, level: int, state: str | None) -> str:
    if now_found is not None:
        word = "升级" if now_found.level > level else "降为"
        return f"{word}{Level(now_found.level).label}"
    if state is not None and state not in CLOCK_RUNNING_STATES:
        return f"办件{State(state).label}"
    return "条件已解除"


def _close(alerts, now, reason: str, result: ScanResult) -> None:
    for level, n in alerts.values_list("level").annotate(n=Count("pk")).values_list("level", "n"):
        result.closed[level] += n
    alerts.update(status=Alert.Status.CLOSED, closed_at=now, closed_reason=reason)


# -- telling people ---------------------------------------------------------------------------------

def _notify_new(now) -> None:
    """The responsible person and the department's liaisons hear of new alerts: one message each per scan."""
    from shenpi.notifications.services import notify

    fresh = list(Alert.objects.filter(detected_at=now, notified_at__isnull=True, status=Alert.Status.OPEN)
                 .select_related("rule", "case", "case__version", "step").order_by("-level", "pk"))
    if not fresh:
        return
    liaisons: dict[int, list[int]] = defaultdict(list)
    for department_id, user_id in User.objects.filter(
            roles=Role.LIAISON, is_active=True, department_id__in={a.department_id for a in fresh}).values_list(
            "department_id", "pk"):
        liaisons[department_id].append(user_id)
    inbox: dict[int, list[Alert]] = defaultdict(list)
    for alert in fresh:
        for user_id in {alert.responsible_id, *liaisons[alert.department_id]} - {None}:
            inbox[user_id].append(alert)
    users = User.objects.in_bulk(list(inbox))
    for user_id, alerts in inbox.items():
        notify("alert_raised", user=users[user_id], topic=f"alert:{alerts[0].pk}", case=alerts[0].case,
               context=_message(alerts))
    Alert.objects.filter(pk__in=[a.pk for a in fresh]).update(notified_at=now)


def _message(alerts: list[Alert]) -> dict:
    first = alerts[0]
    if len(alerts) == 1:
        return {"level": first.get_level_display(), "rule": first.rule.name, "target": subject_label(first),
                "detail": describe(first)}
    names = "、".join(dict.fromkeys(a.rule.name for a in alerts))
    return {"level": first.get_level_display(), "rule": names, "target": f"{len(alerts)}项监察事项",
            "detail": f"本次扫描共{len(alerts)}项，请登录工作台查看。"}


# The figure a rule records its due moment under, and what that moment is called.
_DUE_FIGURES = (("due_at", "环节期限"), ("due", "承诺办结期限"), ("delivery_due", "送达期限"),
                ("reply_due", "反馈期限"), ("answer_due", "答复期限"), ("rectify_due", "整改期限"),
                ("prereview_due", "预审期限"), ("correction_due", "补正告知期限"),
                ("review_due", "联审意见期限"))


def _due_of(figures: dict) -> tuple[str, dt.date] | None:
    for key, label in _DUE_FIGURES:
        raw = figures.get(key)
        if not isinstance(raw, str):
            continue
        try:
            moment = dt.datetime.fromisoformat(raw)
        except ValueError:
            continue
        day = timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
        return label, day
    return None


def _overdue(figures: dict) -> str:
    """超期: a due day passed on a day off, or an hour-limited step past its hour, is late by less
    than a working day — said so, never "已超期0个工作日"."""
    days = int(figures["overdue_days"])
    due = _due_of(figures)
    when = f"已于{due[1].month}月{due[1].day}日到期" if due else "已过期限"
    return f"{when}，超期{days}个工作日" if days > 0 else f"{when}，超期不足1个工作日"


def _left(figures: dict) -> str:
    if "hours_left" in figures:
        hours = float(figures["hours_left"])
        return f"距期限还剩{hours:g}小时" if hours >= 1 else f"距期限不足1小时（还剩{round(hours * 60)}分钟）"
    days = int(figures["days_left"])
    due = _due_of(figures)
    if days == 0:
        return "今日到期"
    on = f"（{due[1].month}月{due[1].day}日到期）" if due else ""
    return f"距期限还剩{days}个工作日{on}"


def describe(alert: Alert) -> str:
    """The figures behind an alert, in words."""
    f = alert.figures or {}
    parts = []
    if "deferral_due" in f:
        parts.append(f"容缺材料{'、'.join(f.get('deferred') or [])}应于{f['deferral_due']}前补交")
    if "days_left" in f or "hours_left" in f:
        parts.append(_left(f))
    if "allotment" in f:
        parts.append(f"时限{f['allotment']}个工作日")
    elif "allotment_hours" in f:
        parts.append(f"时限{f['allotment_hours']}小时")
    if "overdue_days" in f:
        parts.append(_overdue(f))
    if f.get("unanswered"):
        parts.append("黄牌后未按期反馈整改情况")
    if f.get("green"):
        parts.append("绿色通道从严监察")
    if "corrections" in f:
        parts.append(f"已要求补正{f['corrections']}次")
    if "extension_days" in f:
        parts.append(f"已延期{f['extension_days']}个工作日，上限{f['limit']}个工作日")
    if "correction_due" in f and "overdue_days" not in f:
        due = _due_of(f)
        parts.append(f"补正告知期限为{due[1].month}月{due[1].day}日" if due else "")
    if f.get("visited") is False:
        parts.append("尚未回访")
    return "，".join(p for p in parts if p) + ("。" if parts else "")
