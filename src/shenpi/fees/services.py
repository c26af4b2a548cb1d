"""A case's charge (开具收费单) after 准予, its cancellation, payment at the window and refunds.

Who may do what: the charge is made by the clerk or the approver of the case's department (or the
platform itself after 准予 when every fee is a fixed amount); the window's clerk takes the money and
prints the bill; a refund is requested by one person and approved by another (4-eyes), then paid.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.cases.models import Case, Decision, State
from shenpi.catalog.models import FeeStandard, ItemVersion
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.workdays.services import get_calendar

from . import bills, standards
from .models import Bill, Charge, ChargeLine, Payment, Refund, WaiverReason
from .payments import record_payment

OPEN_STATUSES = (Charge.Status.UNPAID, Charge.Status.PAID, Charge.Status.WAIVED)
WINDOW_CHANNELS = (Payment.Channel.CASH, Payment.Channel.CARD, Payment.Channel.TRANSFER)


def chargeable(version: ItemVersion) -> bool:
    """The item charges fees by a standard: not marked free and with at least one standard."""
    return not version.free_of_charge and version.fees.exists()


def must_pay_first(version: ItemVersion) -> bool:
    """办结 waits for the fees (缴费后方可办结)."""
    return version.pay_before_completion and chargeable(version)


def settled(case: Case) -> bool:
    """A paid or waived charge stands for the case."""
    return Charge.objects.filter(case=case, status__in=[Charge.Status.PAID, Charge.Status.WAIVED]).exists()


def current_charge(case: Case) -> Charge | None:
    """The case's charge that stands (unpaid, paid or waived); a cancelled or refunded one does not."""
    return Charge.objects.filter(case=case, status__in=OPEN_STATUSES).order_by("-pk").first()


def _check_digit(digits: str) -> str:
    """Luhn (mod 10): one mistyped digit of a 缴款码 is caught before the gateway is asked."""
    total = 0
    for n, char in enumerate(reversed(digits)):
        value = int(char) * (2 if n % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def new_charge_number() -> str:
    """A 20-digit 缴款码: the day, 11 random digits, a check digit."""
    body = f"{clock.today():%Y%m%d}{secrets.randbelow(10 ** 11):011d}"
    return body + _check_digit(body)


def valid_charge_number(number: str) -> bool:
    return len(number) == 20 and number.isdigit() and _check_digit(number[:-1]) == number[-1]


def _may_charge(user: User | None, case: Case) -> None:
    """The case's department's clerk or approver, or a clerk of the comprehensive window (综合窗口),
    which takes every department's cases and, under 统一收费, their fees."""
    if user is None or user.is_superuser:
        return
    own = user.department_id == case.department_id
    comprehensive = bool(user.department and user.department.comprehensive)
    if user.has_role(Role.APPROVER) and own or user.has_role(Role.CLERK) and (own or comprehensive):
        return
    raise Forbidden("收费单由本办件所属部门的窗口人员或审批人（或综合窗口人员）开具。")


@dataclass(frozen=True)
class Quote:
    """What a charge would be: lines and totals, before anything is written (the form's preview)."""

    lines: list[tuple[FeeStandard, standards.LineAmounts, WaiverReason | None]]

    @property
    def standard_total(self) -> Decimal:
        return sum((a.standard_amount for _, a, _ in self.lines), standards.ZERO)

    @property
    def waived_total(self) -> Decimal:
        return sum((a.waived_amount for _, a, _ in self.lines), standards.ZERO)

    @property
    def total(self) -> Decimal:
        return self.standard_total - self.waived_total


def quote(version: ItemVersion, quantities: dict | None = None, waivers: dict | None = None) -> Quote:
    """Lines by the version's standards: quantities and waiver ids keyed by standard id."""
    quantities, waivers = quantities or {}, waivers or {}
    fees = list(version.fees.order_by("pk"))
    if version.free_of_charge or not fees:
        raise InvalidInput("该事项不收费或未列明收费标准，不能开具收费单。")
    reasons = {r.pk: r for r in WaiverReason.objects.filter(active=True, pk__in=[w for w in waivers.values() if w])}
    lines = []
    for fee in fees:
        quantity = standards.parse_quantity(fee, quantities.get(fee.pk))
        waiver_id = waivers.get(fee.pk)
        waiver = None
        if waiver_id:
            waiver = reasons.get(int(waiver_id))
            if waiver is None:
                message = "请选择有效的减免事由。"
                raise InvalidInput(message, {f"waiver_{fee.pk}": [message]})
        lines.append((fee, standards.line_amounts(fee, quantity, waiver), waiver))
    return Quote(lines)


def create_charge(case: Case, *, actor: User | None, quantities: dict | None = None,
                  waivers: dict | None = None) -> Charge:
    """开具收费单 for a granted case (准予, not yet 办结). actor None: made by the platform."""
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("version").get(pk=case.pk)
        _may_charge(actor, case)
        if case.decision != Decision.GRANT or case.state != State.DECIDED:
            raise TransitionRefused("准予许可后、办结前才能开具收费单。")
        if current_charge(case) is not None:
            raise TransitionRefused("该办件已有收费单；如需重开，请先撤销原收费单。")
        priced = quote(case.version, quantities, waivers)
        now = clock.now()
        today = clock.today()
        fields = dict(case=case, department_id=case.department_id, version=case.version,
                      standard_total=priced.standard_total, waived_total=priced.waived_total, total=priced.total,
                      created_at=now, created_by=actor,
                      pay_due=get_calendar().add(today, settings.FEES_PAY_DAYS),
                      status=Charge.Status.UNPAID if priced.total > 0 else Charge.Status.WAIVED)
        charge = None
        for _ in range(5):  # a random 缴款码 colliding is rare; try another
            try:
                with transaction.atomic():
                    charge = Charge.objects.create(number=new_charge_number(), **fields)
                break
            except IntegrityError:
                continue
        if charge is None:
            raise InvalidInput("缴款码生成失败，请重试。")
        ChargeLine.objects.bulk_create(
            ChargeLine(charge=charge, standard=fee, name=fee.name, quantity=amounts.quantity,
                       unit=fee.unit if standards.needs_quantity(fee) else "件",
                       standard_amount=amounts.standard_amount, waiver=waiver, waived_amount=amounts.waived_amount,
                       amount=amounts.amount)
            for fee, amounts, waiver in priced.lines)
        return charge


def all_fixed(version: ItemVersion) -> bool:
    fees = list(version.fees.values_list("kind", "amount"))
    return bool(fees) and all(kind == FeeStandard.Kind.FIXED and amount is not None for kind, amount in fees)


def charge_on_grant(case_id: int) -> Charge | None:
    """The charge the platform makes by itself after 准予: only when every fee is a fixed amount (no
    quantity to ask) and the case has none yet. Safe to repeat."""
    if not settings.FEES_CHARGE_ON_GRANT:
        return None
    case = Case.objects.select_related("version").filter(pk=case_id).first()
    if case is None or case.decision != Decision.GRANT or case.state != State.DECIDED:
        return None
    if not chargeable(case.version) or not all_fixed(case.version) or current_charge(case) is not None:
        return None
    try:
        return create_charge(case, actor=None)
    except TransitionRefused:  # made meanwhile by a person, or the case moved on
        return None


def cancel_charge(charge: Charge, *, actor: User, reason: str) -> Charge:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写撤销理由。", {"reason": ["请填写撤销理由。"]})
    with transaction.atomic():
        charge = Charge.objects.select_for_update().select_related("case").get(pk=charge.pk)
        _may_charge(actor, charge.case)
        if charge.status != Charge.Status.UNPAID:
            raise TransitionRefused(f"收费单{charge.get_status_display()}，不能撤销。")
        charge.status, charge.cancelled_reason = Charge.Status.CANCELLED, reason[:300]
        charge.save(update_fields=["status", "cancelled_reason"])
        return charge


def pay_at_window(charge: Charge, *, channel: str, actor: User, window=None,
                  reference: str = "") -> tuple[Payment, Bill]:
    """The window takes the money (cash, card, transfer) and prints the bill on its next blank number,
    in one transaction: no payment without its bill, no bill without its payment."""
    if channel not in WINDOW_CHANNELS:
        raise InvalidInput("请选择缴费方式：现金、刷卡或转账。", {"channel": ["请选择缴费方式。"]})
    reference = (reference or "").strip()
    if channel != Payment.Channel.CASH and not reference:
        message = "刷卡、转账须登记交易凭证号。"
        raise InvalidInput(message, {"reference": [message]})
    if not (actor.is_superuser or actor.has_role(Role.CLERK)):
        raise Forbidden("窗口收费由窗口人员办理。")
    window = window or actor.window
    if window is None:
        raise InvalidInput("您未分配窗口，不能在窗口收费。")
    with transaction.atomic():
        payment, _ = record_payment(charge, channel=channel, amount=charge.total, actor=actor, window=window,
                                    reference=reference[:64])
        bill = bills.issue_bill(payment.charge, electronic=False, actor=actor, window=window)
        return payment, bill


# -- refunds (退费) ------------------------------------------------------------------------------------

def refundable(charge: Charge) -> Decimal:
    """Paid and not yet refunded or being refunded."""
    paid = charge.payments.aggregate(s=Sum("amount"))["s"] or standards.ZERO
    taken = charge.refunds.exclude(status=Refund.Status.REJECTED).aggregate(s=Sum("amount"))["s"] or standards.ZERO
    return paid - taken


def request_refund(charge: Charge, *, actor: User, reason: str, amount: Decimal | None = None) -> Refund:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写退费理由。", {"reason": ["请填写退费理由。"]})
    with transaction.atomic():
        charge = Charge.objects.select_for_update().select_related("case").get(pk=charge.pk)
        _may_charge(actor, charge.case)
        if charge.status != Charge.Status.PAID:
            raise TransitionRefused("只有已缴费的收费单可以申请退费。")
        left = refundable(charge)
        amount = left if amount is None else standards.to_fen(Decimal(amount))
        if amount <= 0 or amount > left:
            message = f"退费金额应大于0且不超过可退金额{left}元。"
            raise InvalidInput(message, {"amount": [message]})
        payment = charge.payments.order_by("-paid_at").first()
        return Refund.objects.create(charge=charge, payment=payment, amount=amount, reason=reason,
                                     requested_at=clock.now(), requested_by=actor)


def _may_decide(user: User, refund: Refund) -> None:
    if user.pk == refund.requested_by_id:
        raise Forbidden("退费须由申请人以外的人员审批。")
    if user.is_superuser or user.has_role(Role.ADMIN):
        return
    if not (user.has_role(Role.APPROVER) and user.department_id == refund.charge.department_id):
        raise Forbidden("退费由本部门审批人或中心管理员审批。")


def decide_refund(refund: Refund, *, actor: User, approve: bool, note: str = "") -> Refund:
    note = (note or "").strip()
    if not approve and not note:
        raise InvalidInput("驳回退费须写明理由。", {"note": ["驳回退费须写明理由。"]})
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("charge").get(pk=refund.pk)
        _may_decide(actor, refund)
        if refund.status != Refund.Status.REQUESTED:
            raise TransitionRefused(f"该退费{refund.get_status_display()}。")
        refund.status = Refund.Status.APPROVED if approve else Refund.Status.REJECTED
        refund.decided_at, refund.decided_by, refund.decision_note = clock.now(), actor, note[:300]
        refund.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        return refund


def pay_refund(refund: Refund, *, actor: User | None, gateway_refund: str | None = None) -> Refund:
    """The approved refund is paid out; the charge is refunded once all it took has gone back."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status == Refund.Status.PAID:
            return refund
        if refund.status != Refund.Status.APPROVED:
            raise TransitionRefused("退费经审批同意后才能退款。")
        charge = Charge.objects.select_for_update().get(pk=refund.charge_id)
        refund.status, refund.paid_at, refund.gateway_refund = Refund.Status.PAID, clock.now(), gateway_refund
        refund.save(update_fields=["status", "paid_at", "gateway_refund"])
        paid_back = charge.refunds.filter(status=Refund.Status.PAID).aggregate(s=Sum("amount"))["s"]
        if paid_back >= charge.total:
            charge.status = Charge.Status.REFUNDED
            charge.save(update_fields=["status"])
        return refund
