"""Recording a payment (缴费) against a charge: the one place a charge becomes paid, whichever way the
money came (the window's cash, card or transfer, or the payment gateway's notification)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction

from shenpi import clock
from shenpi.errors import InvalidInput

from . import signals
from .models import Charge, Payment


def _locked(charge_id: int) -> Charge:
    return Charge.objects.select_for_update().get(pk=charge_id)


def record_payment(charge: Charge, *, channel: str, amount: Decimal, paid_at: dt.datetime | None = None,
                   actor=None, window=None, reference: str = "", gateway_order: str = "",
                   gateway_transaction: str | None = None) -> tuple[Payment, bool]:
    """Record money received for `charge`: (payment, created). A gateway transaction already recorded
    gives back its payment and records nothing (a repeated or late notification)."""
    with transaction.atomic():
        charge = _locked(charge.pk)
        if gateway_transaction:
            known = Payment.objects.filter(gateway_transaction=gateway_transaction).first()
            if known is not None:
                return known, False
        if charge.status != Charge.Status.UNPAID:
            raise InvalidInput(f"收费单{charge.number}{charge.get_status_display()}，不能再登记缴费。")
        if amount != charge.total:
            message = f"缴费金额{amount}元与应缴金额{charge.total}元不符。"
            raise InvalidInput(message, {"amount": [message]})
        now = clock.now()
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    charge=charge, channel=channel, amount=amount, paid_at=paid_at or now, recorded_at=now,
                    recorded_by=actor, window=window, reference=reference, gateway_order=gateway_order,
                    gateway_transaction=gateway_transaction or None)
        except IntegrityError:  # the same notification, recorded by another process meanwhile
            return Payment.objects.get(gateway_transaction=gateway_transaction), False
        charge.status, charge.paid_at = Charge.Status.PAID, payment.paid_at
        charge.save(update_fields=["status", "paid_at"])
        signals.payment_recorded.send(Payment, payment=payment, charge=charge)
        return payment, True
