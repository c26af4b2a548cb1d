"""月汇总 (monthly summary): takings per department and fee item for a month, by channel.

Read from FeeDayTotal, one row per day, department, fee item and channel, added to in the same
transaction as each payment (the receiver below, whoever records it: the window, the gateway's
notification, the query). A month is then a few thousand rows whatever the number of bills
(bench/fees.py measures it over 10,000,000). `rebuild` recomputes days from the payments, for data
loaded in bulk (bypassing the receiver) or a repair.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.signals import post_save
from django.dispatch import receiver
from openpyxl import Workbook

from shenpi import spreadsheets

from .models import ChargeLine, FeeDayTotal, Payment
from .periods import days_range, local_day, month_days

CHANNELS = [channel for channel, _ in Payment.Channel.choices]


# One statement per payment: its lines grouped by fee item, added to the day's rows or making them.
# (A charge's lines are grouped so that no row is touched twice by the one statement.)
_UPSERT = """
INSERT INTO {totals} (day, department_id, item, channel, count, amount)
SELECT %s, %s, name, %s, count(*), sum(amount) FROM {lines} WHERE charge_id = %s GROUP BY name
ON CONFLICT (day, department_id, item, channel)
DO UPDATE SET count = {totals}.count + excluded.count, amount = {totals}.amount + excluded.amount
"""


@receiver(post_save, sender=Payment, dispatch_uid="shenpi.fees.summary.count_payment")
def count_payment(sender, instance: Payment, created: bool, raw: bool = False, **kwargs) -> None:
    """A payment's lines, added to its day's totals (same transaction: a rolled-back payment counts nothing)."""
    if not created or raw:
        return
    sql = _UPSERT.format(totals=FeeDayTotal._meta.db_table, lines=ChargeLine._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [local_day(instance.paid_at), instance.charge.department_id, instance.channel,
                             instance.charge_id])


def rebuild(first_day: dt.date, last_day: dt.date) -> int:
    """Recompute the days' totals from the payments; the number of rows written."""
    start, end = days_range(first_day, last_day)
    sums: dict[tuple, list] = {}
    lines = (ChargeLine.objects.filter(charge__payments__paid_at__gte=start, charge__payments__paid_at__lt=end)
             .values_list("charge__payments__paid_at", "charge__department_id", "name", "charge__payments__channel",
                          "amount"))
    for paid_at, department_id, name, channel, amount in lines.iterator(chunk_size=5000):
        entry = sums.setdefault((local_day(paid_at), department_id, name, channel), [0, Decimal("0")])
        entry[0] += 1
        entry[1] += amount
    with transaction.atomic():
        FeeDayTotal.objects.filter(day__gte=first_day, day__lte=last_day).delete()
        FeeDayTotal.objects.bulk_create([
            FeeDayTotal(day=day, department_id=department_id, item=name, channel=channel, count=count, amount=amount)
            for (day, department_id, name, channel), (count, amount) in sums.items()], batch_size=2000)
    return len(sums)


@dataclass
class Row:
    department: str
    item: str
    count: int = 0
    amount: Decimal = Decimal("0.00")
    by_channel: dict[str, Decimal] = field(default_factory=dict)

    def channel_amounts(self) -> list[Decimal]:
        return [self.by_channel.get(channel, Decimal("0.00")) for channel in CHANNELS]


@dataclass
class MonthSummary:
    year: int
    month: int
    rows: list[Row]
    total: Row

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"


def month_summary(year: int, month: int, *, departments=None) -> MonthSummary:
    """Per department and fee item: count and amount, by channel. `departments`: a queryset or ids to
    keep (None: every department)."""
    first, last = month_days(year, month)
    totals = FeeDayTotal.objects.filter(day__gte=first, day__lte=last)
    if departments is not None:
        totals = totals.filter(department__in=departments)
    grouped = (totals.values("department__name", "department__code", "item", "channel")
               .annotate(count=Sum("count"), amount=Sum("amount"))
               .order_by("department__code", "item", "channel"))
    rows: dict[tuple, Row] = {}
    total = Row("合计", "")
    for entry in grouped:
        row = rows.setdefault((entry["department__code"], entry["item"]), Row(entry["department__name"], entry["item"]))
        for target in (row, total):
            target.count += entry["count"]
            target.amount += entry["amount"]
            target.by_channel[entry["channel"]] = target.by_channel.get(entry["channel"], Decimal("0")) \
                + entry["amount"]
    return MonthSummary(year, month, list(rows.values()), total)


def export(summary: MonthSummary, conditions: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "月汇总"
    names = dict(Payment.Channel.choices)
    header = ["执收部门", "收费项目", "笔数", "金额(元)", *[f"{names[c]}(元)" for c in CHANNELS]]
    rows = [[row.department, row.item, row.count, float(row.amount), *[float(a) for a in row.channel_amounts()]]
            for row in [*summary.rows, summary.total]]
    spreadsheets.titled_table(sheet, f"{summary.label}收费汇总表", conditions, header, rows, frozen_columns=2)
    return spreadsheets.saved(book)
