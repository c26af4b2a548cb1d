"""日结 (daily closing): a window's takings of a day by channel, with the bills used and voided there,
closed once by its clerk; the online channel's takings are closed per department the same way.

A closing takes every payment of its window (or the department's online payments) made up to the
end of its day that no closing holds yet, and marks them as its own: a payment recorded late for a
day already closed is counted by the next closing, and none is ever counted twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from openpyxl import Workbook

from shenpi import clock, spreadsheets
from shenpi.catalog.models import Department
from shenpi.errors import InvalidInput, TransitionRefused

from .models import Bill, BillStock, DailyClosing, Payment
from .periods import day_start, days_range, local_day, local_time


@dataclass
class Takings:
    """What a closing counts (before it is closed: the preview)."""

    day: dt.date
    department: object
    window: object | None
    totals: dict[str, Decimal] = field(default_factory=dict)
    count: int = 0
    amount: Decimal = Decimal("0.00")
    bills_used: int = 0
    bills_voided: int = 0
    payments: list = field(default_factory=list)

    @property
    def rows(self) -> list[tuple[str, Decimal]]:
        names = dict(Payment.Channel.choices)
        return [(names.get(channel, channel), amount) for channel, amount in self.totals.items()]


def _payments(department, window, day: dt.date) -> QuerySet[Payment]:
    end = day_start(day + dt.timedelta(days=1))
    payments = Payment.objects.filter(closing__isnull=True, paid_at__lt=end)
    if window is not None:
        return payments.filter(window=window, charge__department=department).exclude(channel=Payment.Channel.ONLINE)
    return payments.filter(channel=Payment.Channel.ONLINE, charge__department=department)


def _bills(department, window, day: dt.date) -> tuple[int, int]:
    start, end = days_range(day, day)
    if window is not None:
        bills = Bill.objects.filter(stock__window=window, stock__department=department)
    else:
        bills = Bill.objects.filter(stock__department=department, stock__kind=BillStock.Kind.ELECTRONIC)
    used = bills.filter(Q(status=Bill.Status.USED) | Q(status=Bill.Status.VOIDED, used_at__isnull=False),
                        used_at__gte=start, used_at__lt=end).count()
    voided = bills.filter(status=Bill.Status.VOIDED, voided_at__gte=start, voided_at__lt=end).count()
    return used, voided


def takings(department, window, day: dt.date) -> Takings:
    """The day's takings as a closing would count them now."""
    found = Takings(day, department, window)
    for payment in _payments(department, window, day).select_related("charge").order_by("paid_at", "pk"):
        found.payments.append(payment)
        found.totals[payment.channel] = found.totals.get(payment.channel, Decimal("0.00")) + payment.amount
        found.count += 1
        found.amount += payment.amount
    found.bills_used, found.bills_voided = _bills(department, window, day)
    return found


def close_day(*, department, window, day: dt.date, actor) -> DailyClosing:
    """Close the day: once per window (or department's online channel) and day."""
    if day > clock.today():
        raise InvalidInput("不能对未来的日期日结。", {"day": ["不能对未来的日期日结。"]})
    if window is not None and window.department_id != department.pk and not window.department.comprehensive:
        # A comprehensive window (综合窗口) takes every department's fees, each closed apart.
        raise InvalidInput("窗口不属于该部门。")
    with transaction.atomic():
        # One closing at a time per department, so that two clerks closing at once get the clear
        # refusal below rather than the unique constraints' error.
        Department.objects.select_for_update().filter(pk=department.pk).first()
        if DailyClosing.objects.filter(department=department, window=window, day=day).exists():
            raise TransitionRefused(f"{day:%Y年%m月%d日}已日结，不能重复日结。")
        # The payments are locked first: one recorded meanwhile waits and goes to the next closing.
        found = takings(department, window, day)
        ids = list(_payments(department, window, day).select_for_update().values_list("pk", flat=True))
        if sorted(ids) != sorted(p.pk for p in found.payments):
            raise TransitionRefused("日结期间有新的缴费登记，请刷新后重试。")
        try:
            with transaction.atomic():
                closing = DailyClosing.objects.create(
                    window=window, department=department, day=day,
                    totals={channel: f"{amount:.2f}" for channel, amount in found.totals.items()},
                    payments_count=found.count, amount=found.amount, bills_used=found.bills_used,
                    bills_voided=found.bills_voided, closed_at=clock.now(), closed_by=actor)
        except IntegrityError:
            raise TransitionRefused(f"{day:%Y年%m月%d日}已日结，不能重复日结。") from None
        Payment.objects.filter(pk__in=ids, closing__isnull=True).update(closing=closing)
    return closing


def export(closing: DailyClosing) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "日结"
    place = str(closing.window) if closing.window else f"{closing.department.name} 网上支付"
    conditions = (f"{place}　日期：{closing.day:%Y-%m-%d}　日结人：{closing.closed_by}　"
                  f"日结时间：{local_day(closing.closed_at):%Y-%m-%d}　合计{closing.payments_count}笔"
                  f" {closing.amount}元　开具票据{closing.bills_used}张、作废{closing.bills_voided}张")
    names = dict(Payment.Channel.choices)
    rows = [[p.charge.number, p.charge.case.number, names.get(p.channel, p.channel), float(p.amount),
             local_time(p.paid_at),
             p.gateway_transaction or p.reference or None]
            for p in closing.payments.select_related("charge__case").order_by("paid_at", "pk")]
    for channel, amount in closing.totals.items():
        rows.append([f"{names.get(channel, channel)}合计", None, None, float(Decimal(amount)), None, None])
    spreadsheets.titled_table(sheet, f"{closing.day:%Y年%m月%d日}收费日结单", conditions,
                              ["缴款码", "办件编号", "缴费方式", "金额(元)", "缴费时间", "流水/凭证号"], rows)
    return spreadsheets.saved(book)
