"""What each rule (监察点) looks for: one set-based query per rule, registered under its code.

A finder gets a `Look` (the moment, the calendar, the rule's thresholds, and the cases in scope)
and returns the findings that hold now, each at the highest level that applies — or None when the
data it needs do not exist yet (a capability not installed), in which case nothing is raised or
closed. Two kinds of rule:

- state rules look at how things stand (a case due soon or overdue, an order unanswered): their
  alert closes by itself when the condition ends;
- event rules look at what was done (a second correction notice, 先批后录): a violation stays a
  violation, so they look only at cases with new events since the last scan, and their alert
  closes when the department's rectification answer (整改说明) is recorded.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable, Iterable

from django.apps import apps
from django.db.models import BigIntegerField, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from shenpi.cases import deadlines
from shenpi.cases.deadlines import Horizon
from shenpi.cases.lifecycle import end_of_day
from shenpi.cases.models import (
    CLOCK_RUNNING_STATES,
    Case,
    CaseEvent,
    CaseMaterial,
    CaseStep,
    ClockStop,
    Decision,
    State,
)
from shenpi.catalog.models import FlowStep
from shenpi.errors import ServiceError

from .models import Category, Flag, Level, Order
from .registry import Finding, Look, rule


def _case_subject(case_id: int) -> str:
    return f"case:{case_id}"


def _current_handler() -> Coalesce:
    """Who answers for a case now: the assignee of its first active step, else whoever received it."""
    active = CaseStep.objects.filter(case=OuterRef("pk"), status=CaseStep.Status.ACTIVE).order_by("seq", "pk")
    return Coalesce(Subquery(active.values("assignee_id")[:1]), F("received_by_id"), output_field=BigIntegerField())


def case_handlers(case_ids: Iterable[int]) -> dict[int, int | None]:
    """The person who answers for each case now (see _current_handler)."""
    ids = sorted(set(case_ids))
    handlers: dict[int, int | None] = {}
    for start in range(0, len(ids), 2000):
        handlers.update(Case.objects.filter(pk__in=ids[start:start + 2000]).order_by()
                        .annotate(responsible=_current_handler()).values_list("pk", "responsible"))
    return handlers


# -- time (时限) -------------------------------------------------------------------------------

TIME_PARAMS = {"warn_days_left": 1, "warn_share_left": 0.2, "red_overdue_days": 3, "red_unanswered_days": 2}


def _time_level(look: Look, due: dt.date, allotment: int) -> tuple[int | None, dict]:
    cal, today, p = look.calendar, look.today, look.params
    if due < today:
        overdue = cal.between(due, today)
        level = Level.RED if overdue >= int(p["red_overdue_days"]) else Level.YELLOW
        return level, {"due": due.isoformat(), "overdue_days": overdue}
    if deadlines.is_case_due_soon(State.IN_PROGRESS, due, allotment, today, cal, Horizon.of(p)):
        left = cal.between(today, due)
        return Level.WARNING, {"due": due.isoformat(), "days_left": left, "allotment": allotment}
    return None, {}


def _unanswered_yellows(look: Look, code: str) -> set[str]:
    """Subjects whose yellow card has had no rectification answer for the set working days."""
    from .models import Alert

    cutoff = look.calendar.latest_start(look.today, int(look.params["red_unanswered_days"]))
    return set(Alert.objects.filter(
        rule__code=code, level=Level.YELLOW, status=Alert.Status.OPEN, answered_at__isnull=True,
        detected_at__lt=end_of_day(cutoff) + dt.timedelta(seconds=1),
    ).values_list("subject", flat=True))


@rule("time.case", "办件超时", Category.TIME, Level.RED, params=TIME_PARAMS,
      basis="行政许可法第四十二条；承诺时限")
def case_time(look: Look) -> list[Finding]:
    """承诺办结期限：剩余不超过1个工作日或时限的20%（取先到者，但不早于时限过半）预警；超过期限黄牌；
    超期3个工作日以上，或黄牌2个工作日内未反馈整改情况，红牌。暂停计时期间不计。"""
    running = look.in_scope(Case.objects.filter(state__in=CLOCK_RUNNING_STATES, promised_due__isnull=False))
    running = running.annotate(allotment=F("promised_limit") + F("extension_days"))
    unanswered = _unanswered_yellows(look, "time.case")
    # Hundreds of thousands of cases share a few thousand (due date, allotment) pairs: count each once.
    level_of = functools.cache(functools.partial(_time_level, look))
    findings = []
    for pk, due, allotment, department_id in itertools.chain.from_iterable(
            part.order_by().values_list("pk", "promised_due", "allotment", "department_id")
            for part in deadlines.running_late_or_soon(running, look.today, look.calendar, Horizon.of(look.params))):
        level, figures = level_of(due, allotment)
        if level is None:  # an extended case not yet in its warning days
            continue
        subject = _case_subject(pk)
        if level == Level.YELLOW and subject in unanswered:
            level, figures = Level.RED, {**figures, "unanswered": True}
        findings.append(Finding(subject, level, department_id, pk, None, None, figures, handler_of_case=True))
    return findings


def _longest(unit: str) -> int:
    """The longest step allotment in this unit. Steps without their own limit have none: NULL, which
    PostgreSQL puts first in a descending order."""
    return FlowStep.objects.filter(limit_unit=unit, limit__isnull=False).order_by("-limit").values_list(
        "limit", flat=True).first() or 0


@rule("time.step", "环节超时", Category.TIME, Level.RED, params=TIME_PARAMS, basis="各环节时限（办件未超期亦计）")
def step_time(look: Look) -> list[Finding]:
    """有独立时限的环节：剩余不超过1个工作日或环节时限的20%预警，但不早于环节时限过半（时限1个工作日的环节
    到期当日预警，按小时计的环节按小时比例）；超过环节期限黄牌；超期3个工作日以上或黄牌2个工作日内未反馈，红牌。"""
    now, today, cal, p = look.now, look.today, look.calendar, look.params
    steps = CaseStep.objects.filter(status=CaseStep.Status.ACTIVE, own_limit=True, due_at__isnull=False,
                                    case__state__in=CLOCK_RUNNING_STATES)
    if look.changed is not None:
        # Besides changed cases: steps whose due moment (or hour-based warning) fell since the last look.
        hours = _longest(FlowStep.LimitUnit.HOURS)
        window = dt.timedelta(hours=Horizon.of(p).hours(hours))
        steps = steps.filter(Q(case_id__in=look.changed) | Q(due_at__gt=look.since - window, due_at__lte=now + window))
    longest = _longest(FlowStep.LimitUnit.DAYS)
    horizon = end_of_day(cal.add(today, max(0, Horizon.of(p).days(longest))))
    rows = steps.filter(due_at__lte=horizon).order_by().values_list(
        "pk", "case_id", "due_at", "department_id", "assignee_id", "flow_step__limit", "flow_step__limit_unit")
    unanswered = _unanswered_yellows(look, "time.step")
    findings = []
    for pk, case_id, due_at, department_id, assignee_id, limit, unit in rows:
        due_day = timezone.localdate(due_at)
        if due_at < now:
            overdue = cal.between(due_day, today)
            level = Level.RED if overdue >= int(p["red_overdue_days"]) else Level.YELLOW
            figures = {"due_at": due_at.isoformat(), "overdue_days": overdue}
        elif not deadlines.is_step_due_soon(due_at, limit, unit, now, cal, Horizon.of(p)):
            continue
        elif unit == FlowStep.LimitUnit.HOURS:
            left = (due_at - now).total_seconds() / 3600
            level, figures = Level.WARNING, {"due_at": due_at.isoformat(), "hours_left": round(left, 1),
                                             "allotment_hours": limit}
        else:
            left = cal.between(today, due_day)
            level, figures = Level.WARNING, {"due_at": due_at.isoformat(), "days_left": left, "allotment": limit}
        subject = f"step:{pk}"
        if level == Level.YELLOW and subject in unanswered:
            level, figures = Level.RED, {**figures, "unanswered": True}
        findings.append(Finding(subject, level, department_id, case_id, pk, assignee_id, figures))
    return findings


@rule("time.delivery", "决定未按期送达", Category.TIME, Level.YELLOW, basis="行政许可法第四十四条")
def delivery_late(look: Look) -> list[Finding]:
    """作出许可决定之日起10个工作日内未送达（办结）。"""
    rows = look.in_scope(Case.objects.filter(state=State.DECIDED, delivery_due__lt=look.today)).order_by(
    ).values_list("pk", "delivery_due", "department_id")
    return [Finding(_case_subject(pk), Level.YELLOW, dept, pk, None, None,
                    {"delivery_due": due.isoformat(), "overdue_days": look.calendar.between(due, look.today)},
                    handler_of_case=True)
            for pk, due, dept in rows]


@rule("time.parcel", "邮寄送达未签收或被退回", Category.TIME, Level.YELLOW, params={"unsigned_days": 5},
      basis="行政许可法第四十四条", always_full=True)
def parcel_unsigned(look: Look) -> list[Finding]:
    """邮寄送达的结果寄出后超过规定工作日（默认5个）仍未签收，或被退回而办件尚未办结（红牌）。"""
    # Posting is not a case action, so a changed-cases scan would not see it: a full look every time,
    # over the partial index of parcels in transit plus the few returned ones of cases still open.
    from shenpi.delivery.models import Delivery

    cutoff = look.calendar.latest_start(look.today, int(look.params["unsigned_days"]) + 1)
    late = Delivery.objects.filter(status=Delivery.Status.DISPATCHED, method=Delivery.Method.POST,
                                   dispatched_at__lt=end_of_day(cutoff)).values_list(
        "pk", "case_id", "case__department_id", "waybill", "dispatched_at")
    returned = Delivery.objects.filter(status=Delivery.Status.RETURNED, case__state=State.DECIDED).values_list(
        "pk", "case_id", "case__department_id", "waybill", "dispatched_at")
    findings = []
    for level, rows in ((Level.YELLOW, late), (Level.RED, returned)):
        for pk, case_id, dept, waybill, sent in rows:
            findings.append(Finding(f"parcel:{pk}", level, dept, case_id, None, None,
                                    {"waybill": waybill, "dispatched": timezone.localdate(sent).isoformat(),
                                     "returned": level == Level.RED}, handler_of_case=True))
    return findings


# -- procedure (程序) and acceptance (受理): what was done -----------------------------------------

def _event_findings(look: Look, cases: QuerySet, level: int, figures: Callable[[tuple], dict] | None = None,
                    extra: tuple[str, ...] = ()) -> list[Finding]:
    rows = look.in_scope(cases).order_by().values_list("pk", "department_id", *extra)
    return [Finding(_case_subject(row[0]), level, row[1], row[0], None, None, figures(row[2:]) if figures else {},
                    handler_of_case=True)
            for row in rows]


@rule("proc.missing_material", "材料不全即受理", Category.PROCEDURE, Level.YELLOW, event_rule=True,
      basis="行政许可法第三十二条")
def accepted_incomplete(look: Look) -> list[Finding]:
    """已受理的办件仍缺少必要材料（且未按容缺受理）。"""
    missing = CaseMaterial.objects.filter(case=OuterRef("pk"), required=True, received=False, deferred=False)
    return _event_findings(look, Case.objects.filter(accepted_at__isnull=False).filter(Exists(missing)).exclude(
        state=State.VOIDED), Level.YELLOW)


@rule("proc.deferred_overdue", "容缺材料逾期未补交", Category.PROCEDURE, Level.RED, params={"red_overdue_days": 5},
      basis="容缺受理承诺；事项规定的补交时限")
def deferred_overdue(look: Look) -> list[Finding]:
    """容缺受理的材料超过申请人承诺的补交期限仍未补交：黄牌；超期5个工作日以上红牌。材料补交后自动解除。"""
    overdue = (CaseMaterial.objects.filter(deferred=True, received=False, due_on__lt=look.today)
               .exclude(case__state__in=(State.VOIDED, State.WITHDRAWN, State.REFUSED)))
    # Due dates count in days, and the first scan of a day is a full one: a partial look needs the
    # changed cases only (a material brought, a case voided).
    overdue = look.in_scope(overdue, "case_id")
    per_case: dict[int, tuple] = {}
    for case_id, department_id, name, due in overdue.order_by("due_on", "pk").values_list(
            "case_id", "case__department_id", "name", "due_on"):
        first = per_case.setdefault(case_id, (department_id, due, []))
        first[2].append(name)
    findings = []
    for case_id, (department_id, due, names) in per_case.items():
        days = look.calendar.between(due, look.today)
        level = Level.RED if days >= int(look.params["red_overdue_days"]) else Level.YELLOW
        findings.append(Finding(_case_subject(case_id), level, department_id, case_id, None, None,
                                {"deferral_due": due.isoformat(), "overdue_days": days, "deferred": names},
                                handler_of_case=True))
    return findings


@rule("proc.suspension_unexplained", "暂停计时无理由或未说明程序", Category.PROCEDURE, Level.YELLOW, event_rule=True,
      basis="行政许可法第四十五条")
def suspension_unexplained(look: Look) -> list[Finding]:
    """暂停计时（特别程序或补件）未写明理由，或未写明程序种类。"""
    bad = ClockStop.objects.filter(case=OuterRef("pk")).filter(Q(reason="") | Q(kind__isnull=True, kind_name=""))
    return _event_findings(look, Case.objects.filter(Exists(bad)), Level.YELLOW)


@rule("proc.second_correction", "多次要求补正（违反一次性告知）", Category.PROCEDURE, Level.YELLOW, event_rule=True,
      basis="行政许可法第三十二条（一次告知）")
def second_correction(look: Look) -> list[Finding]:
    """同一办件第二次出具补正材料通知。"""
    return _event_findings(look, Case.objects.filter(correction_count__gte=2), Level.YELLOW,
                           lambda row: {"corrections": row[0]}, ("correction_count",))


# The actions that make a result: recorded from a department's own system (一厅双网) long after they
# happened there, the case was decided first and recorded afterwards.
_RESULT_ACTIONS = ("grant", "deny", "complete", "handle_on_the_spot")


@rule("proc.record_after_approval", "先批后录", Category.PROCEDURE, Level.RED, event_rule=True,
      params={"min_minutes": 10, "outside_lag_hours": 24}, basis="网上审批全程留痕")
def record_after_approval(look: Look) -> list[Finding]:
    """非即办件从受理到办结不足10分钟；或某一操作记录的时间早于其前一操作；或部门自建系统的办件，
    审批决定、办结在本平台登记的时间晚于其在部门系统中发生的时间24小时以上。"""
    quick = dt.timedelta(minutes=int(look.params["min_minutes"]))
    earlier = CaseEvent.objects.filter(case=OuterRef("case"), pk__lt=OuterRef("pk"), at__gt=OuterRef("at"))
    backdated = CaseEvent.objects.filter(case=OuterRef("pk")).filter(Exists(earlier))
    # lifecycle.Act.record_outside keeps the lag in the event: a number, compared in the JSON itself.
    lag = int(float(look.params["outside_lag_hours"]) * 60)
    late = CaseEvent.objects.filter(case=OuterRef("pk"), action__in=_RESULT_ACTIONS,
                                    data__recorded_late_minutes__gt=lag)
    cases = Case.objects.filter(
        Q(state=State.COMPLETED, promised_limit__gt=0, completed_at__lt=F("accepted_at") + quick) | Exists(backdated)
        | Q(source_system__gt="") & Exists(late))
    return _event_findings(look, cases, Level.RED)


@rule("proc.no_reason", "不予受理或不予许可未说明理由", Category.PROCEDURE, Level.YELLOW, event_rule=True,
      basis="行政许可法第三十二条、第三十八条")
def decided_without_reason(look: Look) -> list[Finding]:
    """不予受理、不予许可的决定没有写明理由。"""
    cases = Case.objects.filter(Q(state=State.REFUSED, closing_reason="")
                                | Q(decision=Decision.DENY, decision_reason=""))
    return _event_findings(look, cases, Level.YELLOW)


@rule("proc.extension_beyond", "超出法定上限延期", Category.PROCEDURE, Level.RED, event_rule=True,
      basis="行政许可法第四十二条")
def extension_beyond(look: Look) -> list[Finding]:
    """延长的工作日超过事项规定的可延长时限。"""
    cases = Case.objects.filter(extension_days__gt=F("version__extension_limit"))
    return _event_findings(look, cases, Level.RED, lambda row: {"extension_days": row[0], "limit": row[1]},
                           ("extension_days", "version__extension_limit"))


@rule("accept.correction_late", "补正告知超期", Category.ACCEPTANCE, Level.YELLOW, event_rule=True,
      basis="行政许可法第三十二条（5日内一次告知）")
def correction_late(look: Look) -> list[Finding]:
    """收件后超过5个工作日才出具补正材料通知（逾期不告知的，自收到申请之日起即为受理）。"""
    cases = Case.objects.filter(correction_requested_at__date__gt=F("correction_due"))
    return _event_findings(look, cases, Level.YELLOW, lambda row: {"correction_due": row[0].isoformat()},
                           ("correction_due",))


# -- findings people make (人工认定) ----------------------------------------------------------------

def _flagged(look: Look, code: str, level: int) -> list[Finding]:
    rows = (Flag.objects.filter(rule__code=code, withdrawn_at__isnull=True)
            .values_list("case_id", "case__department_id", "case__received_by_id", "pk"))
    return [Finding(_case_subject(case_id), level, dept, case_id, None, who, {"flag": flag})
            for case_id, dept, who, flag in rows]


@rule("accept.wrongful_refusal", "对符合条件的申请不予受理", Category.ACCEPTANCE, Level.RED, always_full=True,
      basis="行政许可法第三十二条；监察员或投诉认定")
def wrongful_refusal(look: Look) -> list[Finding]:
    """监察员核实（或投诉查实）申请符合受理条件而被不予受理。"""
    return _flagged(look, "accept.wrongful_refusal", Level.RED)


@rule("proc.offline_handling", "不按规定实施网上审批", Category.PROCEDURE, Level.RED, always_full=True,
      basis="电子监察：体外循环、线下办理")
def offline_handling(look: Look) -> list[Finding]:
    """监察员核实办件在系统外办理（体外循环），或线下办结后补录。"""
    return _flagged(look, "proc.offline_handling", Level.RED)


# -- supervision itself ---------------------------------------------------------------------------

@rule("order.unanswered", "督办未按期反馈", Category.SERVICE, Level.YELLOW, basis="督办反馈期限", always_full=True)
def order_unanswered(look: Look) -> list[Finding]:
    """督办单超过反馈期限仍未反馈整改情况。"""
    rows = Order.objects.filter(status=Order.Status.OPEN, reply_due__lt=look.today).values_list(
        "pk", "department_id", "reply_due")
    return [Finding(f"order:{pk}", Level.YELLOW, dept, None, None, None,
                    {"reply_due": due.isoformat(), "overdue_days": look.calendar.between(due, look.today)})
            for pk, dept, due in rows]


# -- capabilities still to come: the rule exists, its data do not yet --------------------------------

def _installed(model: str):
    app_label, _, name = model.partition(".")
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _not_yet(model: str):
    def find(look: Look):
        if _installed(model) is None:
            return None
        raise NotImplementedError(f"{model} 已安装，请实现监察点的查询")
    return find


@rule("proc.prereview_late", "网上预审超时", Category.PROCEDURE, Level.YELLOW, basis="网上申报即收即审",
      always_full=True)
def prereview_late(look: Look) -> list[Finding] | None:
    """网上申报提交后超过预审期限（2个工作日）仍未预审。"""
    application = _installed("online.OnlineApplication")
    if application is None:
        return None
    rows = application.objects.filter(status="submitted", prereview_due__lt=look.today).values_list(
        "pk", "department_id", "prereview_due", "number")
    return [Finding(f"online:{pk}", Level.YELLOW, dept, None, None, None,
                    {"prereview_due": due.isoformat(), "application": number,
                     "overdue_days": look.calendar.between(due, look.today)})
            for pk, dept, due, number in rows]


@rule("service.complaint_late", "投诉未按期答复", Category.SERVICE, Level.YELLOW, basis="投诉答复期限",
      always_full=True)
def complaint_late(look: Look) -> list[Finding] | None:
    """投诉超过答复期限（默认10个工作日）仍未答复。"""
    complaint = _installed("feedback.Complaint")
    if complaint is None:
        return None
    rows = complaint.objects.filter(status="open", answer_due__lt=look.today).values_list(
        "pk", "department_id", "case_id", "answer_due", "number")
    return [Finding(f"complaint:{pk}", Level.YELLOW, dept, case_id, None, None,
                    {"answer_due": due.isoformat(), "complaint": number,
                     "overdue_days": look.calendar.between(due, look.today)})
            for pk, dept, case_id, due, number in rows]


@rule("service.bad_rating_unhandled", "差评未按期整改", Category.SERVICE, Level.YELLOW,
      basis="国办发〔2019〕51号：差评回访整改", always_full=True)
def bad_rating_unhandled(look: Look) -> list[Finding] | None:
    """不满意、非常不满意评价超过整改期限（默认5个工作日）未完成回访整改。"""
    follow_up = _installed("feedback.RatingFollowUp")
    if follow_up is None:
        return None
    rows = follow_up.objects.filter(done_at__isnull=True, due__lt=look.today, rating__excluded=False).values_list(
        "pk", "department_id", "rating__case_id", "due", "visited_at")
    return [Finding(f"rating:{pk}", Level.YELLOW, dept, case_id, None, None,
                    {"rectify_due": due.isoformat(), "visited": visited is not None,
                     "overdue_days": look.calendar.between(due, look.today)})
            for pk, dept, case_id, due, visited in rows]


# -- fees (收费) ---------------------------------------------------------------------------------------

def _charges_since(look: Look) -> QuerySet:
    """Charges made since the last scan (all of them the first time): a charge's amounts are written
    once, when it is made, so a violation is found when it is new and stays one."""
    from shenpi.fees.models import Charge

    charges = Charge.objects.exclude(status=Charge.Status.CANCELLED).order_by()
    return charges if look.since is None else charges.filter(created_at__gte=look.since)


def _charge_finding(row: tuple, figures: dict) -> Finding:
    pk, department_id, case_id, number = row
    return Finding(f"charge:{pk}", Level.RED, department_id, case_id, None, None, {"charge": number, **figures},
                   handler_of_case=True)


@rule("fee.off_standard", "收费与标准不符", Category.FEE, Level.RED, event_rule=True, always_full=True,
      basis="行政事业性收费标准；收费公示")
def fee_off_standard(look: Look) -> list[Finding]:
    """收费单的应缴金额不等于标准金额减去法定减免，或某项收费的金额与收费标准按数量计算的不一致
    （定额不符、按数量或分档计算不符、减免比例不符、引用了其他事项版本的标准）。"""
    from shenpi.fees import standards
    from shenpi.fees.models import ChargeLine

    # Two reads, the charges and their lines; the sums are checked here in Decimal, since SQLite
    # would subtract the amounts as floating point and see differences of 1e-14 yuan.
    charges = {row[0]: row for row in _charges_since(look).values_list(
        "pk", "department_id", "case_id", "number", "standard_total", "waived_total", "total", "version_id")}
    wrong: dict[int, dict] = {}
    sums: dict[int, list] = {pk: [standards.ZERO, standards.ZERO, standards.ZERO] for pk in charges}
    lines = ChargeLine.objects.filter(charge_id__in=list(charges), standard__isnull=False).order_by() \
        .select_related("standard", "waiver")
    for line in lines.iterator(chunk_size=2000):
        kept = sums[line.charge_id]
        kept[0] += line.standard_amount
        kept[1] += line.waived_amount
        kept[2] += line.amount
        try:
            expected = standards.line_amounts(line.standard, line.quantity, line.waiver)
        except ServiceError:
            expected = None
        if (expected is None or line.standard.version_id != charges[line.charge_id][7]
                or (expected.standard_amount, expected.waived_amount, expected.amount)
                != (line.standard_amount, line.waived_amount, line.amount)):
            wrong.setdefault(line.charge_id, {"problem": "收费项目金额与标准不符", "line": line.name})
    for pk, (_, _, _, _, standard_total, waived_total, total, _) in charges.items():
        if pk in wrong:
            continue
        if total != standard_total - waived_total or sums[pk] != [standard_total, waived_total, total]:
            wrong[pk] = {"problem": "应缴金额与标准金额、减免金额不符", "total": str(total),
                         "standard_total": str(standard_total), "waived_total": str(waived_total)}
    return [_charge_finding(charges[pk][:4], figures) for pk, figures in wrong.items()]


@rule("fee.free_item_charged", "免费事项收费", Category.FEE, Level.RED, event_rule=True, always_full=True,
      basis="行政事业性收费目录清单；目录之外不得收费")
def fee_free_item_charged(look: Look) -> list[Finding]:
    """对标为不收费的事项开具了收费单，或收费单中有没有收费标准的收费项目（无标准收费）。"""
    from shenpi.fees.models import ChargeLine

    charges = _charges_since(look)
    columns = ("pk", "department_id", "case_id", "number")
    found = {row[0]: _charge_finding(row, {"problem": "免费事项收费"})
             for row in charges.filter(version__free_of_charge=True).values_list(*columns)}
    unstandard = ChargeLine.objects.filter(standard__isnull=True).values("charge_id")
    for row in charges.filter(pk__in=unstandard).values_list(*columns):
        found.setdefault(row[0], _charge_finding(row, {"problem": "无收费标准收费"}))
    return list(found.values())


@rule("fee.unpaid_late", "逾期未缴费", Category.FEE, Level.YELLOW, params={"red_overdue_days": 10},
      always_full=True, basis="缴款通知书缴费期限")
def fee_unpaid_late(look: Look) -> list[Finding]:
    """收费单超过缴费期限（默认开单后15个工作日）仍未缴费黄牌；逾期10个工作日以上红牌。缴费或撤销后解除。"""
    from shenpi.fees.models import Charge

    red_after = int(look.params["red_overdue_days"])
    rows = Charge.objects.filter(status=Charge.Status.UNPAID, pay_due__lt=look.today).values_list(
        "pk", "department_id", "case_id", "number", "pay_due", "total")
    findings = []
    for pk, dept, case_id, number, due, total in rows:
        overdue = look.calendar.between(due, look.today)
        level = Level.RED if overdue >= red_after else Level.YELLOW
        findings.append(Finding(f"charge:{pk}", level, dept, case_id, None, None,
                                {"charge": number, "pay_due": due.isoformat(), "overdue_days": overdue,
                                 "total": str(total)}, handler_of_case=True))
    return findings
