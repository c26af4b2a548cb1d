"""Receivers of case actions (cases/hooks.py) for this app: 办结 means delivered.

Before 办结: the way of delivering is read from {"delivery": …} (services.WORDS); by post the parcel
must have been signed for, electronically the case must have a valid e-licence, and no parcel may
still be on its way whatever the way; an agent collecting at the window must give a valid ID number.
After 办结, in the action's transaction: the Delivery row of a window pickup (the applicant in person
unless an agent is named) or of the e-licence pushed; a posted result's row is already there.
"""

from shenpi.cases import hooks
from shenpi.cases.lifecycle import Act
from shenpi.errors import TransitionRefused

from . import services
from .models import Delivery


@hooks.before("complete", order=300, name="delivery.delivered_before_completion")
def delivered_before_completion(act: Act) -> None:
    method = services.method_of(act.params)
    case = act.case
    parcel = services.in_transit(case.pk)
    record = {"method": method}
    if method == Delivery.Method.POST:
        if parcel is not None:
            raise TransitionRefused(f"邮件（运单号 {parcel.waybill}）尚未签收，签收后自动办结。")
        signed = services.signed_parcel(case.pk)
        if signed is None:
            raise TransitionRefused("邮寄送达须先在“送达”中寄出并由快递公司反馈签收。")
        record["waybill"] = signed.waybill
    elif parcel is not None:
        raise TransitionRefused(f"结果已邮寄（运单号 {parcel.waybill}），尚未签收，不能再以其他方式送达。")
    elif method == Delivery.Method.ELECTRONIC:
        licence = services.latest_licence(case)
        if licence is None:
            raise TransitionRefused("该办件没有有效的电子证照，不能电子送达。")
        record["licence"] = licence.identifier
    else:
        name, _, masked = services.receiver_of(case, act.params)
        record.update(receiver=name, receiver_id=masked)
    act.event_data["delivery"] = record


@hooks.after("complete", order=300, name="delivery.record_delivery")
def record_delivery(act: Act) -> None:
    method = act.event_data["delivery"]["method"]  # read and checked before the effect
    case = act.case
    common = {"case": case, "method": method, "status": Delivery.Status.DELIVERED,
              "due": case.delivery_due or act.today, "delivered_at": act.now, "recorded_by": act.actor}
    if method == Delivery.Method.WINDOW:
        name, number, masked = services.receiver_of(case, act.params)
        act.insert(Delivery(**common, receiver_name=name, receiver_id=number, receiver_id_masked=masked))
    elif method == Delivery.Method.ELECTRONIC:
        licence = services.latest_licence(case)
        act.insert(Delivery(**common, licence=licence, receiver_name=licence.holder_name, dispatched_at=act.now))
