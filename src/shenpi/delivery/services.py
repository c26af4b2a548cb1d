"""送达 (行政许可法第四十四条): the result reaches the applicant within 10 working days of the decision.

Three ways, each ending in 办结 (`complete`, the one action that says the result was delivered):

- at the window (窗口领取): `deliver_at_window` completes the case with the receiver's identity — the
  applicant in person by default, or an agent whose ID number is checked (GB 11643), kept encrypted
  and shown masked; receivers.py records the Delivery row inside the action;
- by post (邮寄送达): `post` asks the courier for a waybill and records the parcel as dispatched; the
  case stays DECIDED. Tracking events arrive pushed by the courier (`receive_tracking`, idempotent
  on each event's id) or queried by the periodic job (`track_in_transit`); the 签收 event marks the
  parcel delivered and completes the case as the clerk who posted it, exactly once;
- electronically (电子送达): `deliver_electronically` completes the case with its latest valid
  e-licence pushed to the holder; refused when the case has none.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from shenpi import clock
from shenpi.accounts import identifiers
from shenpi.accounts.models import User
from shenpi.cases import services as cases
from shenpi.cases.models import Case, State
from shenpi.errors import InvalidInput, ServiceError, TransitionRefused
from shenpi.licences.models import Licence
from shenpi.workdays.services import get_calendar

from . import courier as couriers
from .models import Delivery

logger = logging.getLogger("shenpi.delivery")

Method = Delivery.Method
Status = Delivery.Status

# The words people (and older records, and the demo) use for each way of delivering, as given in
# `complete`'s {"delivery": …}; an empty one is a window pickup by the applicant in person.
WORDS: dict[str, str] = {
    "窗口领取": Method.WINDOW, "当场送达": Method.WINDOW, "申请人现场领取": Method.WINDOW, "现场领取": Method.WINDOW,
    "邮寄送达": Method.POST, "EMS邮寄送达": Method.POST, "邮寄": Method.POST,
    "电子送达": Method.ELECTRONIC, "电子证照推送": Method.ELECTRONIC,
}
LABELS = {Method.WINDOW: "窗口领取", Method.POST: "邮寄送达", Method.ELECTRONIC: "电子送达"}


class CourierUnavailable(ServiceError):
    http_status = 503
    code = "unavailable"


def method_of(params: dict) -> str:
    word = str(params.get("delivery") or "").strip()
    if not word:
        return Method.WINDOW
    method = WORDS.get(word) or (word if word in Method.values else None)
    if method is None:
        raise InvalidInput(f"未知的送达方式：{word}", {"delivery": ["请选择窗口领取、邮寄送达或电子送达。"]})
    return method


def latest_licence(case: Case | int) -> Licence | None:
    """The case's latest valid e-licence (a renewal replaces the earlier one)."""
    case_id = case.pk if isinstance(case, Case) else case
    return Licence.objects.filter(case_id=case_id, status=Licence.Status.VALID).order_by("-issued_at", "-pk").first()


def receiver_of(case: Case, params: dict) -> tuple[str, str, str]:
    """(name, ID number, masked ID) of whoever collects at the window: an agent named in the params,
    whose ID number must pass the check, else the applicant in person."""
    name = str(params.get("receiver_name") or "").strip()
    number = identifiers.normalise(str(params.get("receiver_id") or ""))
    if not name and not number:
        return case.applicant_name, case.applicant_id, case.applicant_id_masked
    errors = {}
    if not name:
        errors["receiver_name"] = ["请填写领取人姓名。"]
    try:
        number = identifiers.validate_id_number(number)
    except identifiers.IdentifierError as error:
        errors["receiver_id"] = [str(error) if number else "请填写领取人身份证号码。"]
    if errors:
        raise InvalidInput("领取人身份信息有误，请核对。", errors)
    return name, number, identifiers.mask_id(number)


def in_transit(case_id: int) -> Delivery | None:
    return Delivery.objects.filter(case_id=case_id, method=Method.POST, status=Status.DISPATCHED).first()


def signed_parcel(case_id: int) -> Delivery | None:
    return Delivery.objects.filter(case_id=case_id, method=Method.POST, status=Status.DELIVERED).first()


# -- at the window and electronically: through 办结 -------------------------------------------------

def deliver_at_window(case: Case | int | str, *, actor: User, receiver_name: str = "", receiver_id: str = "",
                      ip: str | None = None) -> Case:
    """窗口领取 recorded with the receiver's identity, and the case completed."""
    params = {"delivery": LABELS[Method.WINDOW]}
    if receiver_name or receiver_id:
        params.update(receiver_name=receiver_name, receiver_id=receiver_id)
    return cases.perform(case, "complete", actor=actor, params=params, ip=ip)


def deliver_electronically(case: Case | int | str, *, actor: User, ip: str | None = None) -> Case:
    """电子送达: the case's e-licence pushed to the holder, and the case completed."""
    return cases.perform(case, "complete", actor=actor, params={"delivery": LABELS[Method.ELECTRONIC]}, ip=ip)


# -- by post ---------------------------------------------------------------------------------------

def _sender() -> dict:
    name, _, rest = settings.COURIER_SENDER.partition("|")
    phone, _, address = rest.partition("|")
    return {"name": name or settings.CENTRE_NAME, "phone": phone, "address": address}


def callback_url() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("courier:push")


def _may_post(case: Case, actor: User) -> None:
    if case.state != State.DECIDED:
        raise TransitionRefused(f"办件当前状态为“{case.get_state_display()}”，不能邮寄送达。")
    if not any(t.action == "complete" for t in cases.allowed_actions(case, actor)):
        raise TransitionRefused("您不能为该办件办理送达。")
    if Delivery.objects.filter(case=case, method=Method.POST,
                               status__in=[Status.DISPATCHED, Status.DELIVERED]).exists():
        raise TransitionRefused("该办件已邮寄送达，请查看物流信息。")


def _checked_address(name: str, phone: str, address: str) -> tuple[str, str, str]:
    name, phone, address = name.strip(), phone.strip().replace(" ", ""), address.strip()
    errors = {}
    if not name:
        errors["receiver_name"] = ["请填写收件人。"]
    if not phone.replace("-", "").isdigit() or not 7 <= len(phone.replace("-", "")) <= 12:
        errors["phone"] = ["请填写手机号码或带区号的固定电话。"]
    if len(address) < 6:
        errors["address"] = ["请填写详细的邮寄地址（省市区、街道、门牌号）。"]
    if errors:
        raise InvalidInput("收件信息有误，请核对。", errors)
    return name, phone, address


def post(case: Case | int, *, actor: User, receiver_name: str, phone: str, address: str) -> Delivery:
    """邮寄送达: a waybill from the courier, the parcel recorded as dispatched. The case stays 已决定
    until the courier reports it signed for."""
    case = Case.objects.get(pk=case.pk if isinstance(case, Case) else case)
    _may_post(case, actor)
    name, phone, address = _checked_address(receiver_name, phone, address)
    sent = Delivery.objects.filter(case=case, method=Method.POST).count()
    # The order number is ours and stable: asked again after a lost answer, the courier gives the
    # same waybill rather than a second parcel.
    order_no = f"{case.number}-{sent + 1}"
    try:
        waybill = couriers.courier().create_waybill(
            order_no, {"name": name, "phone": phone, "address": address}, _sender(), callback_url())
    except couriers.CourierUnavailable as error:
        raise CourierUnavailable(str(error)) from error
    return record_dispatch(case, actor=actor, waybill=waybill, receiver_name=name, phone=phone, address=address)


@transaction.atomic
def record_dispatch(case: Case, *, actor: User, waybill: str, receiver_name: str, phone: str, address: str,
                    courier_name: str = "EMS") -> Delivery:
    """The parcel handed to the courier under this waybill (already issued by the courier)."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    _may_post(locked, actor)
    return Delivery.objects.create(
        case=locked, method=Method.POST, status=Status.DISPATCHED, due=locked.delivery_due or clock.today(),
        receiver_name=receiver_name, receiver_phone=phone, address=address, courier=courier_name,
        waybill=waybill, tracking=[], dispatched_at=clock.now(), recorded_by=actor)


def receive_tracking(waybill: str, events: list[couriers.TrackingEvent]) -> Delivery | None:
    """Tracking events of a parcel, pushed or queried: each kept once (by its id); 签收 delivers the
    parcel and completes the case as the clerk who posted it; 退回 marks it returned. None: no such parcel."""
    with transaction.atomic():
        delivery = (Delivery.objects.select_for_update().filter(waybill=waybill, method=Method.POST)
                    .order_by("-pk").first())
        if delivery is None:
            return None
        known = {e["id"] for e in delivery.tracking}
        new = [e for e in events if e.id not in known]
        if not new:
            return delivery
        delivery.tracking = sorted([*delivery.tracking, *(e.as_json() for e in new)], key=lambda e: e["at"])
        fields = ["tracking"]
        signed = next((e for e in new if e.code == couriers.SIGNED), None)
        returned = next((e for e in new if e.code == couriers.RETURNED), None)
        just_delivered = False
        if delivery.status == Status.DISPATCHED and signed is not None:
            delivery.status, delivery.delivered_at, just_delivered = Status.DELIVERED, signed.at, True
            fields += ["status", "delivered_at"]
        elif delivery.status == Status.DISPATCHED and returned is not None:
            delivery.status, delivery.note = Status.RETURNED, returned.description[:300]
            fields += ["status", "note"]
        delivery.save(update_fields=fields)
        if just_delivered:
            _complete_signed(delivery)
    return delivery


def _complete_signed(delivery: Delivery) -> None:
    """办结 after 签收, as the clerk who posted it. Refused (the fee unpaid, the clerk gone): the parcel
    stays delivered, the case 已决定 for the clerk to complete, and the refusal is noted on the parcel."""
    if Case.objects.filter(pk=delivery.case_id, state=State.DECIDED).exists():
        try:
            with transaction.atomic():
                cases.perform(delivery.case_id, "complete", actor=delivery.recorded_by,
                              params={"delivery": LABELS[Method.POST], "waybill": delivery.waybill})
        except ServiceError as error:
            logger.warning("parcel %s signed for; case %s not completed: %s", delivery.waybill, delivery.case_id,
                           error.message)
            delivery.note = f"已签收，办结未成功：{error.message}"[:300]
            delivery.save(update_fields=["note"])


def refresh(delivery: Delivery) -> Delivery:
    """Ask the courier for the parcel's tracking now (a clerk's 刷新, or the periodic job)."""
    try:
        events = couriers.courier().track(delivery.waybill)
    except couriers.CourierUnavailable as error:
        raise CourierUnavailable(str(error)) from error
    return receive_tracking(delivery.waybill, events) or delivery


def track_in_transit(limit: int = 500) -> dict[str, int]:
    """Query every parcel still in transit (pushes can be lost); one courier failure does not stop the rest."""
    result = {"queried": 0, "delivered": 0, "returned": 0, "failed": 0}
    parcels = Delivery.objects.filter(status=Status.DISPATCHED, method=Method.POST).order_by("due", "pk")[:limit]
    for parcel in parcels:
        try:
            after = refresh(parcel)
        except CourierUnavailable:
            result["failed"] += 1
            continue
        result["queried"] += 1
        if after.status == Status.DELIVERED:
            result["delivered"] += 1
        elif after.status == Status.RETURNED:
            result["returned"] += 1
    return result


def days_left(case: Case, today: dt.date | None = None) -> int | None:
    """Working days left to the delivery due date (negative: overdue)."""
    if case.delivery_due is None:
        return None
    return get_calendar().between(today or clock.today(), case.delivery_due)
