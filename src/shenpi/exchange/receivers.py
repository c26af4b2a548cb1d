"""What writes the outbox: case actions (a hooks receiver in the action's transaction), payments and
ratings (the fees and feedback apps' signals, in theirs)."""

from __future__ import annotations

from functools import lru_cache

from django.dispatch import receiver

from shenpi.cases import hooks
from shenpi.cases.models import Case
from shenpi.catalog.models import Department, ItemVersion
from shenpi.feedback.signals import rated
from shenpi.fees.signals import payment_recorded

from . import outbox
from .models import EventKind


@lru_cache(maxsize=4096)
def _item(version_id: int) -> tuple[str, str]:
    return tuple(ItemVersion.objects.filter(pk=version_id).values_list("item__code", "name").get())


@lru_cache(maxsize=1024)
def _department(department_id: int) -> tuple[str, str]:
    return tuple(Department.objects.filter(pk=department_id).values_list("code", "name").get())


def case_payload(case: Case) -> dict:
    """What every event of a case says about it, in the platform's own names (a Mapping renames)."""
    item_code, item_name = _item(case.version_id)
    department_code, department_name = _department(case.department_id)
    return {
        "case": case.number, "item": item_code, "item_name": item_name, "department": department_code,
        "department_name": department_name, "channel": case.channel, "applicant_kind": case.applicant_kind,
        "applicant_name": case.applicant_name, "state": case.state,
        "received_at": outbox.local_iso(case.received_at), "accepted_at": outbox.local_iso(case.accepted_at),
        "promised_limit": case.promised_limit, "statutory_limit": case.statutory_limit,
        "promised_due": case.promised_due.isoformat() if case.promised_due else None,
        "statutory_due": case.statutory_due.isoformat() if case.statutory_due else None,
        "decision": case.decision or None, "completed_at": outbox.local_iso(case.completed_at),
    }


@hooks.after(*outbox.ACTION_KINDS, order=950, name="exchange.outbox")
def tell_upper_platforms(act) -> None:
    event = act.event
    case = act.case
    targets = outbox.destinations()
    if not targets:
        return
    base = {**case_payload(case), "action": event.action, "from": event.from_state, "to": event.to_state,
            "at": outbox.local_iso(event.at), "comment": event.comment}
    for kind in outbox.ACTION_KINDS[act.action]:
        outbox.write(kind, at=event.at, payload=base, case_id=case.pk, department_id=case.department_id,
                     item_id=case.item_id, event_number=case.trail_length, action=event.action, insert=act.insert,
                     targets=targets)


@receiver(payment_recorded, dispatch_uid="exchange.payment")
def tell_payment(sender, payment, charge, **kwargs) -> None:
    # The case row's lock orders the payment among the case's actions for every receiver.
    case = Case.objects.select_for_update().get(pk=charge.case_id)
    payload = {**case_payload(case), "charge": charge.number, "amount": str(payment.amount),
               "payment_channel": payment.channel, "at": outbox.local_iso(payment.paid_at)}
    outbox.write(EventKind.PAYMENT, at=payment.paid_at, payload=payload, case_id=case.pk,
                 department_id=case.department_id, item_id=case.item_id)


@receiver(rated, dispatch_uid="exchange.rating")
def tell_ratings(sender, ratings, **kwargs) -> None:
    targets = outbox.destinations()
    for rating in ratings:
        case = rating.case if rating.case_id else None
        payload = {**(case_payload(case) if case else {"department": _department(rating.department_id)[0]}),
                   "level": rating.level, "by_default": rating.by_default, "comment": rating.comment,
                   "window": rating.window_id, "at": outbox.local_iso(rating.rated_at)}
        outbox.write(EventKind.RATING, at=rating.rated_at, payload=payload, case_id=rating.case_id,
                     department_id=rating.department_id, item_id=case.item_id if case else None, targets=targets)
