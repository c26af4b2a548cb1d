"""What writes the outbox: case actions (a hooks receiver in the action's transaction), payments and
ratings (the fees and feedback apps' signals, in theirs).

A payload says what the province's supervision platform needs to watch the case without asking back:
the case's number, item and department codes, channel, its moments (Asia/Shanghai, with offset), its
limits and dues, and what this event adds (the step and its opinion, the special procedure's kind and
length, the result and its reason …). It never carries the applicant's ID number or phone: the
province matches cases by number, and a feed is no place for personal data it does not need.
"""

from __future__ import annotations

from django.db.models import BigIntegerField
from django.dispatch import receiver

from shenpi.cases import hooks
from shenpi.cases.models import Case, State
from shenpi.catalog.models import Department, ProcedureKind
from shenpi.feedback.signals import rated
from shenpi.fees.signals import payment_recorded
from shenpi.prepared import Param, Prepared

from . import outbox
from .models import EventKind

NAMES = ("item__code", "version__name", "department__code", "department__name")
_NAMES_OF_ONE = Prepared(Case.objects.filter(pk=Param("case", BigIntegerField())).values_list(*NAMES))


def _names(case_ids: list[int]) -> dict[int, tuple[str, str, str, str]]:
    """Item and department codes and names of these cases, in one query (read afresh each time: a
    process-wide cache would outlive a renamed department, and this is one indexed join)."""
    return {pk: rest for pk, *rest in Case.objects.filter(pk__in=case_ids).values_list("pk", *NAMES)}


def _department(department_id: int) -> tuple[str, str]:
    return tuple(Department.objects.filter(pk=department_id).values_list("code", "name").get())


def _day(value) -> str | None:
    return value.isoformat() if value else None


def case_payload(case: Case, names: tuple[str, str, str, str] | None = None) -> dict:
    """What every event of a case says about it, in the platform's own names (a Mapping renames)."""
    item_code, item_name, department_code, department_name = names or _NAMES_OF_ONE.first(case=case.pk)
    return {
        "case": case.number, "item": item_code, "item_name": item_name, "department": department_code,
        "department_name": department_name, "channel": case.channel, "applicant_kind": case.applicant_kind,
        "applicant_name": case.applicant_name, "state": case.state,
        "received_at": outbox.local_iso(case.received_at), "accepted_at": outbox.local_iso(case.accepted_at),
        "promised_limit": case.promised_limit, "statutory_limit": case.statutory_limit,
        "extension_days": case.extension_days, "stopped_days": case.stopped_days,
        "promised_due": _day(case.promised_due), "statutory_due": _day(case.statutory_due),
        "decision": case.decision or None, "completed_at": outbox.local_iso(case.completed_at),
        # 一厅双网: a case handled in a department's own system, registered here (docs/outside-cases.md).
        "source_system": case.source_system or None, "external_number": case.external_number or None,
    }


# -- what each kind adds, from the action's trail entry (its data) and the case as the action left it ---

def _process(act, data: dict) -> dict:
    step = act.step
    extra = {"step": step.name if step else "", "step_department": _step_department(act, step),
             "opinion": act.event.comment}
    if act.action == "extend":
        extra.update(step=extra["step"] or "延期", extension=data.get("days"), reason=act.event.comment)
    elif act.action in ("receive_deferred", "supply_deferred"):
        extra["step"] = "容缺材料补交"
    elif act.action == "recompute_dues":
        extra["step"] = "重新计算办理期限"
    return extra


def _step_department(act, step) -> str | None:
    """The code of the department working the step: the case's own but in a joint (并联) stage."""
    if step is None:
        return None
    if step.department_id == act.case.department_id:
        return None  # the same as the case's "department": not repeated
    return _department(step.department_id)[0]


def _stop(act, data: dict) -> dict:
    """暂停/特别程序 and 补件: the procedure's kind and length, read from the stop the action wrote."""
    supplement = act.action == "request_supplement"
    return {"procedure": "supplement" if supplement else data.get("kind"),
            "procedure_name": "补件" if supplement else _procedure_name(act),
            "expected_days": data.get("expected_days"), "limit_due": data.get("limit_due"),
            "reason": act.event.comment,
            "step": act.step.name if act.step else ""}


def _procedure_name(act) -> str:
    # Not the stop the action wrote: on PostgreSQL the action's rows go in together, at its end.
    return ProcedureKind.objects.filter(code=act.params.get("kind")).values_list("name", flat=True).first() or ""


def _correction(act, data: dict) -> dict:
    phase = "end" if act.action == "supplement" else "start"
    # 补件 lists what it asks for under "materials", 补正 under "missing" (each entry with its name).
    listed = data.get("materials") or data.get("missing") or []
    materials = [m["name"] if isinstance(m, dict) else str(m) for m in listed]
    return {"phase": phase, "materials": materials, "reason": act.event.comment,
            "limit_due": data.get("limit_due"),  # 补件's deadline for the applicant; a 补正 has none
            "correction_count": act.case.correction_count}


def _resume(act, data: dict) -> dict:
    return {"stopped_days": data.get("stopped_days"), "by_applicant": act.action == "supply"}


def _result(act, data: dict) -> dict:
    case = act.case
    if act.action == "refuse":
        return {"result": "refused", "reason": case.closing_reason}
    return {"result": case.decision, "reason": case.decision_reason, "decided_at": outbox.local_iso(case.decided_at)}


def _complete(act, data: dict) -> dict:
    case = act.case
    result = {State.COMPLETED: "completed", State.REFUSED: "refused", State.WITHDRAWN: "withdrawn",
              State.VOIDED: "voided"}.get(case.state, case.state)
    return {"result": result, "reason": case.closing_reason, "closed_at": outbox.local_iso(case.closed_at),
            "used_days": case.used_days, "delivery": act.event.comment if act.action == "complete" else "",
            "by_applicant": act.action == "withdraw_online"}


def _accept(act, data: dict) -> dict:
    return {"accept_date": _day(act.case.accept_date)}


EXTRA = {EventKind.ACCEPT: _accept, EventKind.PROCESS: _process, EventKind.SUSPEND: _stop,
         EventKind.CORRECTION: _correction, EventKind.RESUME: _resume, EventKind.RESULT: _result,
         EventKind.COMPLETE: _complete}


@hooks.after(*outbox.ACTION_KINDS, order=950, name="exchange.outbox")
def tell_upper_platforms(act) -> None:
    targets = outbox.destinations()
    if not targets:  # the usual case without a feed: one indexed query per action
        return
    event = act.event
    case = act.case
    data = event.data or {}
    base = {**case_payload(case), "action": event.action, "from": event.from_state, "to": event.to_state,
            "at": outbox.local_iso(event.at), "event_number": case.trail_length}
    for kind in outbox.ACTION_KINDS[act.action]:
        payload = {**base, **EXTRA[kind](act, data)}
        outbox.write(kind, at=event.at, payload=payload, case_id=case.pk, department_id=case.department_id,
                     item_id=case.item_id, event_number=case.trail_length, action=event.action, insert=act.insert,
                     targets=targets)


@receiver(payment_recorded, dispatch_uid="exchange.payment")
def tell_payment(sender, payment, charge, **kwargs) -> None:
    targets = outbox.destinations()
    if not targets:
        return
    # The case row's lock orders the payment among the case's actions for every receiver.
    case = Case.objects.select_for_update().get(pk=charge.case_id)
    payload = {**case_payload(case), "charge": charge.number, "amount": str(payment.amount),
               "payment_channel": payment.channel, "at": outbox.local_iso(payment.paid_at)}
    outbox.write(EventKind.PAYMENT, at=payment.paid_at, payload=payload, case_id=case.pk,
                 department_id=case.department_id, item_id=case.item_id, targets=targets)


@receiver(rated, dispatch_uid="exchange.rating")
def tell_ratings(sender, ratings, **kwargs) -> None:
    """评价, to the upper platform and the national rating system (好差评). The day's default ratings come
    in thousands: their cases are read in one query and the events written in two INSERTs."""
    targets = outbox.destinations()
    if not targets:
        return
    case_ids = [r.case_id for r in ratings if r.case_id]
    cases, names = Case.objects.in_bulk(case_ids), _names(case_ids)
    events = []
    for rating in ratings:
        case = cases.get(rating.case_id)
        if case:
            about = case_payload(case, names[case.pk])
        else:  # 一次一评 of a window service: no case
            code, name = _department(rating.department_id)
            about = {"department": code, "department_name": name}
        payload = {**about,
                   "level": rating.level, "by_default": rating.by_default, "comment": rating.comment,
                   "bad_reason": rating.reason, "window": rating.window_id, "at": outbox.local_iso(rating.rated_at)}
        events.append({"kind": EventKind.RATING, "at": rating.rated_at, "payload": payload,
                       "case_id": rating.case_id, "department_id": rating.department_id,
                       "item_id": case.item_id if case else None})
    outbox.write_many(events, targets)
