"""The fees family of aggregates (收费统计): per local day (and month) × 执收部门 × item, kept by the upkeep
in day and month tables (shenpi.figures.daytables).

Each column counts on the local day (Asia/Shanghai) of its own moment:
- charges made (开单, `Charge.created_at`): how many, their standard amount, waivers (减免) and the
  amount due (应缴); a cancelled charge (撤销, replaced by another) counts only as `cancelled`;
- payments (缴费, `Payment.paid_at`, the moment the money was paid — a gateway notification may
  arrive later): how many and how much;
- refunds paid out (退费, `Refund.paid_at` of refunds in state 已退款): how many and how much.

The item is the charged case's item (`Charge.version.item`), the department the charge's. The takings
per fee line (收费项目) and payment channel are already kept by fees.FeeDayTotal in the payment's
transaction; the reports read those from there rather than keeping them twice.

What changes a day: a payment (ids above the last run's, or recorded in the margin: its paid_at may
be days earlier), a charge made or a refund paid in the margin (both written at clock.now()), and a
charge cancelled — the only change without a timestamp, so a receiver marks its day
(`FeeTouchedDay`) in the cancelling transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import TruncDate
from django.db.models.signals import post_save
from django.dispatch import receiver

from shenpi.clock import days_range, local_date
from shenpi.fees.models import Charge, Payment, Refund

from .daytables import Table
from .models_fees import FeeDay, FeeMonth, FeeTouchedDay
from .upkeep import Family, register

FEES = "fees"
COUNTS = ("charges", "waived_charges", "cancelled", "payments", "refunds")
AMOUNTS = ("standard", "waived", "charged", "paid", "refunded")
COLUMNS = COUNTS + AMOUNTS
ZERO = Decimal("0.00")

FEE_TABLE = Table(FeeDay, FeeMonth, ("department", "item"), COLUMNS)


def _zero(name: str):
    return ZERO if name in AMOUNTS else 0


def charges_on(first: dt.date, last: dt.date):
    start, end = days_range(first, last)
    return Charge.objects.filter(created_at__gte=start, created_at__lt=end)


def payments_on(first: dt.date, last: dt.date):
    start, end = days_range(first, last)
    return Payment.objects.filter(paid_at__gte=start, paid_at__lt=end)


def refunds_on(first: dt.date, last: dt.date):
    start, end = days_range(first, last)
    return Refund.objects.filter(status=Refund.Status.PAID, paid_at__gte=start, paid_at__lt=end)


def count_fee_days(first: dt.date, last: dt.date) -> dict[tuple, dict]:
    """The columns per (day, department, item) over the local days first..last."""
    rows: dict[tuple, dict] = defaultdict(lambda: {n: _zero(n) for n in COLUMNS})
    standing = ~Q(status=Charge.Status.CANCELLED)
    made = (charges_on(first, last).order_by()
            .values("department_id", on=TruncDate("created_at"), item_id=F("version__item_id"))
            .annotate(charges=Count("pk", filter=standing),
                      standard=Sum("standard_total", filter=standing), waived=Sum("waived_total", filter=standing),
                      waived_charges=Count("pk", filter=standing & Q(waived_total__gt=0)),
                      charged=Sum("total", filter=standing),
                      cancelled=Count("pk", filter=Q(status=Charge.Status.CANCELLED))))
    paid = (payments_on(first, last).order_by()
            .values(on=TruncDate("paid_at"), department_id=F("charge__department_id"),
                    item_id=F("charge__version__item_id"))
            .annotate(payments=Count("pk"), paid=Sum("amount")))
    refunded = (refunds_on(first, last).order_by()
                .values(on=TruncDate("paid_at"), department_id=F("charge__department_id"),
                        item_id=F("charge__version__item_id"))
                .annotate(refunds=Count("pk"), refunded=Sum("amount")))
    for grouped in (made, paid, refunded):
        for row in grouped:
            key = (row.pop("on"), row.pop("department_id"), row.pop("item_id"))
            rows[key].update({n: v if v is not None else _zero(n) for n, v in row.items()})
    return rows


def rebuild_fee_days(days: Iterable[dt.date]) -> int:
    return FEE_TABLE.rebuild_days(days, _count_and_unmark)


def _count_and_unmark(first: dt.date, last: dt.date) -> dict[tuple, dict]:
    # The marks go first: a cancellation committing while the days are counted leaves a new mark.
    FeeTouchedDay.objects.filter(day__gte=first, day__lte=last).delete()
    return count_fee_days(first, last)


def fee_watermark() -> int:
    return Payment.objects.aggregate(last=Max("pk"))["last"] or 0


def changed_fee_days(after: int, up_to: int, since: dt.datetime) -> set[dt.date]:
    moments = [
        Payment.objects.filter(Q(pk__gt=after, pk__lte=up_to) | Q(recorded_at__gte=since))
        .values_list("paid_at", flat=True),
        Charge.objects.filter(created_at__gte=since).values_list("created_at", flat=True),
        Refund.objects.filter(paid_at__gte=since).values_list("paid_at", flat=True),
    ]
    days = {local_date(m) for query in moments for m in query.order_by().iterator(chunk_size=5000)}
    return days | set(FeeTouchedDay.objects.values_list("day", flat=True))


def first_fee_day() -> dt.date | None:
    first = Charge.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return local_date(first) if first else None


register(Family(FEES, fee_watermark, changed_fee_days, rebuild_fee_days, first_fee_day))


@receiver(post_save, sender=Charge, dispatch_uid="shenpi.figures.family_fees.charge_cancelled")
def charge_cancelled(sender, instance: Charge, created: bool, raw: bool = False, **kwargs) -> None:
    """A cancelled charge leaves its day for the next upkeep run (cancelling writes no timestamp)."""
    if created or raw or instance.status != Charge.Status.CANCELLED:
        return
    FeeTouchedDay.objects.bulk_create([FeeTouchedDay(day=local_date(instance.created_at))], ignore_conflicts=True)
