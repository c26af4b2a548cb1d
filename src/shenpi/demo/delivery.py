"""The demo's 送达: each completion of the timeline delivered the way its plan says.

The demo runs without the sandbox server, and its completions lie in the past: a posted result is
recorded the way the courier's pushes would have recorded it at the time — the parcel handed over
under an EMS waybill some hours after the decision (`services.record_dispatch`), then the courier's
揽收 → 运输 → 派送 → 签收 events fed to the same `services.receive_tracking` the callback uses, whose
签收 completes the case as the posting clerk. Nothing in the platform's code knows of the demo.

An electronic delivery needs the case's e-licence: where the demo issued none (items without a
certificate template), the result is collected at the window instead.
"""

from __future__ import annotations

import datetime as dt

from shenpi import clock
from shenpi.accounts.models import User
from shenpi.cases import services as cases
from shenpi.cases.models import Case, State
from shenpi.delivery import courier
from shenpi.delivery import services as delivery
from shenpi.delivery.models import Delivery
from shenpi.errors import TransitionRefused

STREETS = ("中山路", "香港中路", "延安三路", "福州南路", "辽阳西路", "银川东路", "长江中路", "黄河东路")


def _waybill(case_id: int) -> str:
    serial = f"{60_000_000 + case_id % 40_000_000:08d}"
    return f"EE{serial}{courier.s10_check_digit(serial)}CN"


def _address(case_id: int) -> str:
    return f"示范市{STREETS[case_id % len(STREETS)]}{case_id % 300 + 1}号{case_id % 6 + 1}单元{case_id % 30 + 101}室"


def complete(case_id: int, *, actor: User, params: dict, ip: str | None = None) -> None:
    """送达办结 at the current (demo) moment, by the way the plan's words say."""
    method = delivery.method_of(params)
    if method == Delivery.Method.POST:
        _posted(case_id, actor)
        return
    if method == Delivery.Method.ELECTRONIC and delivery.latest_licence(case_id) is None:
        params = {"delivery": delivery.LABELS[Delivery.Method.WINDOW]}
    cases.perform(case_id, "complete", actor=actor, params=params, ip=ip)


def _posted(case_id: int, actor: User) -> None:
    signed = clock.now()
    case = Case.objects.get(pk=case_id)
    sent = min(signed - dt.timedelta(hours=20), case.decided_at + dt.timedelta(hours=3))
    sent = max(sent, case.decided_at + dt.timedelta(minutes=30))
    waybill = _waybill(case_id)
    try:
        clock.set_now(sent)
        delivery.record_dispatch(case, actor=actor, waybill=waybill, receiver_name=case.applicant_name,
                                 phone=case.contact_phone or "13800000000", address=_address(case_id))
    finally:
        clock.set_now(signed)
    span = signed - sent
    walk = [(courier.COLLECTED, sent + span * 0.1), (courier.IN_TRANSIT, sent + span * 0.4),
            (courier.OUT_FOR_DELIVERY, sent + span * 0.8), (courier.SIGNED, signed)]
    events = [courier.TrackingEvent(f"{waybill}-{n}", code, courier.CODES[code], "示范市", moment)
              for n, (code, moment) in enumerate(walk, start=1)]
    parcel = delivery.receive_tracking(waybill, events)
    if Case.objects.filter(pk=case_id).values_list("state", flat=True).get() != State.COMPLETED:
        raise TransitionRefused(parcel.note or "邮件已签收，办结未成功。")
