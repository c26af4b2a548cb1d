"""Online payment of a charge through the payment gateway (网上缴费): the order, the notification, the
query for lost notifications. Whichever way the gateway's word arrives — its notification, once or
twice, or our query when none came — it goes through `settle`, which records the payment through
payments.record_payment, idempotent on the gateway's transaction number: one payment per charge.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shenpi import clock
from shenpi.errors import InvalidInput, TransitionRefused

from . import bills
from . import gateway as gateway_module
from .gateway import GatewayError, OrderResult
from .models import Charge, GatewayOrder, Payment
from .payments import record_payment

logger = logging.getLogger("shenpi.fees")

PAY_LINK_SALT = "shenpi.fees.pay"
PAY_LINK_SECONDS = 24 * 3600
# An order nobody paid within a day is closed after its last query (the applicant starts a new one).
ORDER_LIFETIME = dt.timedelta(days=1)


# -- the applicant's way in -------------------------------------------------------------------------

def pay_token(charge: Charge, user) -> str:
    """A link token for `user` to pay `charge`: made by the page that checked the user owns the case
    (我的办件), honoured for a day and only for the same signed-in account."""
    return signing.dumps({"c": charge.number, "u": user.pk}, salt=PAY_LINK_SALT, compress=True)


def charge_for_token(token: str, user) -> Charge | None:
    try:
        data = signing.loads(token, salt=PAY_LINK_SALT, max_age=PAY_LINK_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user.pk:
        return None
    return Charge.objects.select_related("case", "department").filter(number=data.get("c")).first()


# -- ordering ---------------------------------------------------------------------------------------

def new_order_no() -> str:
    """SP + local date and time + 8 random digits: unique, and sortable by when it was made."""
    return f"SP{timezone.localtime(clock.now()):%Y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"


def start(charge: Charge, *, notify_url: str, return_url: str) -> GatewayOrder:
    """The order to pay `charge` with: the one still open for its amount, else a new one placed with
    the gateway. InvalidInput / TransitionRefused when the charge cannot be paid online."""
    with transaction.atomic():
        charge = Charge.objects.select_for_update().get(pk=charge.pk)
        if charge.status != Charge.Status.UNPAID:
            raise TransitionRefused(f"收费单{charge.number}{charge.get_status_display()}，无需缴费。")
        if charge.total <= 0:
            raise InvalidInput("应缴金额为零，无需网上缴费。")
        open_order = charge.orders.filter(status=GatewayOrder.Status.CREATED, amount=charge.total).first()
        if open_order is not None and open_order.pay_url:
            return open_order
        order = GatewayOrder.objects.create(charge=charge, order_no=new_order_no(), amount=charge.total,
                                            created_at=clock.now())
        try:
            placed = gateway_module.gateway().place_order(
                order_no=order.order_no, amount=order.amount, payment_code=charge.number,
                subject=f"{charge.case.number} 行政事业性收费", notify_url=notify_url, return_url=return_url)
        except GatewayError as error:
            raise TransitionRefused(str(error)) from error  # rolls the order back
        order.pay_url = placed.pay_url
        order.save(update_fields=["pay_url"])
        return order


# -- the gateway's word -----------------------------------------------------------------------------

def receive_notification(headers, body: bytes, path: str) -> Payment:
    """Verify and apply a notification; BadSignature when it is not the gateway's, InvalidInput when it
    names no order of ours or another amount (both answered as failures: the gateway retries)."""
    result = gateway_module.gateway().read_notification(headers, body, path)
    GatewayOrder.objects.filter(order_no=result.order_no).update(notifications=F("notifications") + 1)
    return settle(result)


def settle(result: OrderResult) -> Payment:
    """Record what the gateway says was paid: one payment whatever number of times it is said."""
    if not result.paid:
        raise InvalidInput(f"订单{result.order_no}未支付（{result.status}）。")
    with transaction.atomic():
        order = GatewayOrder.objects.select_for_update().select_related("charge").filter(
            order_no=result.order_no).first()
        if order is None:
            raise InvalidInput(f"订单{result.order_no}不是本平台的订单。")
        if result.amount != order.amount:
            # Never paid for another amount: left for the reconciliation to list.
            logger.error("payment gateway: order %s paid %s, ordered %s", order.order_no, result.amount, order.amount)
            raise InvalidInput(f"订单{order.order_no}支付金额{result.amount}元与订单金额{order.amount}元不符。")
        payment, created = record_payment(order.charge, channel=Payment.Channel.ONLINE, amount=result.amount,
                                          paid_at=result.paid_at, gateway_order=order.order_no,
                                          gateway_transaction=result.transaction)
        if order.status != GatewayOrder.Status.PAID:
            order.status, order.paid_at = GatewayOrder.Status.PAID, result.paid_at
            order.save(update_fields=["status", "paid_at"])
        # The charge's other open orders can no longer be paid for it.
        order.charge.orders.filter(status=GatewayOrder.Status.CREATED).update(status=GatewayOrder.Status.CLOSED)
        if created:
            issue_electronic_bill(order.charge, payment)
    return payment


def issue_electronic_bill(charge: Charge, payment: Payment) -> None:
    """The electronic bill (财政电子票据) of an online payment, on the department's electronic stock.

    The money has arrived whatever happens to the bill: with no electronic stock left the payment
    stays recorded (the gateway must hear SUCCESS), the bill is missing from the day's closing, and
    the department issues it once it has a stock (docs/fees.md)."""
    try:
        bills.issue_bill(charge, electronic=True, actor=None)
    except TransitionRefused as refusal:
        logger.warning("No electronic bill for charge %s (payment %s): %s", charge.number, payment.pk, refusal)


def refresh(order: GatewayOrder) -> GatewayOrder:
    """Ask the gateway about one waiting order (a lost notification) and apply its answer."""
    try:
        result = gateway_module.gateway().query(order.order_no)
    except GatewayError:
        return order
    GatewayOrder.objects.filter(pk=order.pk).update(last_queried_at=clock.now())
    if result.paid:
        try:
            settle(result)
        except InvalidInput as error:
            logger.error("payment gateway: query of %s: %s", order.order_no, error.message)
    elif result.status in ("closed", "unknown") or order.created_at < clock.now() - ORDER_LIFETIME:
        GatewayOrder.objects.filter(pk=order.pk, status=GatewayOrder.Status.CREATED).update(
            status=GatewayOrder.Status.CLOSED)
    order.refresh_from_db()
    return order


def query_waiting(older_than: dt.timedelta, limit: int = 200) -> dict[str, int]:
    """Query every order waiting longer than `older_than` (oldest first): {"queried": n, "paid": m}."""
    cutoff = clock.now() - older_than
    waiting = list(GatewayOrder.objects.filter(status=GatewayOrder.Status.CREATED, created_at__lte=cutoff)
                   .order_by("created_at")[:limit])
    paid = 0
    for order in waiting:
        if refresh(order).status == GatewayOrder.Status.PAID:
            paid += 1
    return {"queried": len(waiting), "paid": paid}
