"""This app's section of the staff case page: the workbench calls `case_panel(user, case)` and shows
the section when it answers anything but None (decided and completed cases)."""

from __future__ import annotations

from shenpi.accounts import identifiers
from shenpi.cases.models import State

from . import courier, services
from .models import Delivery


def case_panel(user, case):
    if case.state not in (State.DECIDED, State.COMPLETED) or case.delivery_due is None:
        return None
    deliveries = list(Delivery.objects.filter(case=case).select_related("licence", "recorded_by"))
    if case.state == State.COMPLETED and not deliveries:
        return None
    for d in deliveries:
        d.phone_masked = identifiers.mask_phone(d.receiver_phone)
        d.events = [{**e, "label": courier.CODES.get(e["code"], e["code"])} for e in reversed(d.tracking)]
    open_case = case.state == State.DECIDED
    may_deliver = open_case and any(t.action == "complete" for t in services.cases.allowed_actions(case, user))
    in_transit = next((d for d in deliveries if d.status == Delivery.Status.DISPATCHED), None)
    licence = services.latest_licence(case) if open_case else None
    return {
        "due": case.delivery_due,
        "days_left": services.days_left(case) if open_case else None,
        "deliveries": deliveries,
        "may_post": may_deliver and in_transit is None and not any(
            d.method == Delivery.Method.POST and d.status == Delivery.Status.DELIVERED for d in deliveries),
        "in_transit": in_transit,
        "licence": licence,
        "open": open_case,
        "applicant_name": case.applicant_name,
    }
