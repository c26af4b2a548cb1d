"""Fees (统一收费): a case's bill of fees computed from the item's standard, the numbered paper and
electronic bills (票据) it is printed on, payments at the window and through the payment gateway,
refunds, and the daily closing, weekly reconciliation and monthly summary (日结清、周对账、月汇总).

The names follow the glossary: a `Charge` is what a case owes (收费单 / 缴款通知书, its `number` the
缴款码 the applicant pays with); a `Bill` is one numbered 票据 from a `BillStock` issued to a window
(领、用、缴、销): every number of a stock is blank, used on exactly one paid charge, or voided.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class WaiverReason(models.Model):
    """A legal ground for waiving or reducing a fee (减免), chosen, never typed, when a bill is made."""

    name = models.CharField("减免事由", max_length=100, unique=True)
    basis = models.TextField("减免依据")
    # Share of the standard amount waived: 1.00 free of charge, 0.50 halved.
    share = models.DecimalField("减免比例", max_digits=3, decimal_places=2, default=1)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "收费减免事由"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Charge(models.Model):
    """The fees of one case (收费单): its lines, what the standard asks and what was charged."""

    class Status(models.TextChoices):
        UNPAID = "unpaid", "待缴费"
        PAID = "paid", "已缴费"
        WAIVED = "waived", "已免缴"
        REFUNDED = "refunded", "已退费"
        CANCELLED = "cancelled", "已撤销"

    case = models.ForeignKey("cases.Case", models.PROTECT, related_name="charges", verbose_name="办件")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="+", verbose_name="执收部门")
    version = models.ForeignKey("catalog.ItemVersion", models.PROTECT, related_name="+", verbose_name="事项版本")
    number = models.CharField("缴款码", max_length=20, unique=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.UNPAID)
    # What the item's standard asks for these quantities (before waivers) and what the bill charges.
    standard_total = models.DecimalField("标准金额(元)", max_digits=14, decimal_places=2)
    waived_total = models.DecimalField("减免金额(元)", max_digits=14, decimal_places=2, default=0)
    total = models.DecimalField("应缴金额(元)", max_digits=14, decimal_places=2)
    created_at = models.DateTimeField("开单时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", null=True,
                                   blank=True, verbose_name="开单人")
    pay_due = models.DateField("缴费期限", help_text="逾期未缴纳纳入电子监察。")
    paid_at = models.DateTimeField("缴费时间", null=True, blank=True)
    cancelled_reason = models.CharField("撤销理由", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "收费单"
        ordering = ["-id"]
        indexes = [
            # Supervision (fee.unpaid_late): unpaid bills by due date.
            models.Index(fields=["pay_due"], name="charge_unpaid_due", condition=models.Q(status="unpaid")),
            models.Index(fields=["department", "paid_at"], name="charge_dept_paid"),
        ]

    def __str__(self):
        return self.number


class ChargeLine(models.Model):
    """One fee item on a bill: the standard it comes from, the quantity, the amount it gives, a waiver."""

    charge = models.ForeignKey(Charge, models.CASCADE, related_name="lines", verbose_name="收费单")
    # Null only for a line charged without a standard: refused by the services, flagged by supervision.
    standard = models.ForeignKey("catalog.FeeStandard", models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name="收费标准")
    name = models.CharField("收费项目", max_length=200)
    quantity = models.DecimalField("数量", max_digits=14, decimal_places=2, default=1)
    unit = models.CharField("单位", max_length=20, blank=True)
    standard_amount = models.DecimalField("标准金额(元)", max_digits=14, decimal_places=2)
    waiver = models.ForeignKey(WaiverReason, models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name="减免事由")
    waived_amount = models.DecimalField("减免金额(元)", max_digits=14, decimal_places=2, default=0)
    amount = models.DecimalField("应缴金额(元)", max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = verbose_name_plural = "收费明细"
        ordering = ["charge", "pk"]

    def __str__(self):
        return self.name


class BillStock(models.Model):
    """A run of numbered bills (票据) issued to a window (领), used and voided there (用), handed back with
    the day's takings (缴) and written off by the finance office (销). Electronic bills (财政电子票据)
    are a stock of their own per department, with no window."""

    class Kind(models.TextChoices):
        PAPER = "paper", "纸质票据"
        ELECTRONIC = "electronic", "电子票据"

    class Status(models.TextChoices):
        ISSUED = "issued", "已领用"
        HANDED_IN = "handed_in", "已缴回"
        WRITTEN_OFF = "written_off", "已核销"

    kind = models.CharField("票据类型", max_length=10, choices=Kind.choices, default=Kind.PAPER)
    series = models.CharField("票据代码", max_length=20)
    first = models.PositiveIntegerField("起始号码")
    last = models.PositiveIntegerField("终止号码")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="+", verbose_name="执收部门")
    window = models.ForeignKey("catalog.Window", models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name="领用窗口")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name="领用人")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.ISSUED)
    issued_at = models.DateTimeField("领用时间")
    handed_in_at = models.DateTimeField("缴回时间", null=True, blank=True)
    written_off_at = models.DateTimeField("核销时间", null=True, blank=True)
    written_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name="核销人")

    class Meta:
        verbose_name = verbose_name_plural = "票据领用"
        ordering = ["-issued_at"]
        constraints = [models.CheckConstraint(condition=models.Q(first__lte=models.F("last")),
                                              name="bill_stock_range")]

    def __str__(self):
        return f"{self.series} {self.first:08d}-{self.last:08d}"


class Bill(models.Model):
    """One numbered bill (票据) of a stock: blank until printed for a paid charge, or voided with a reason."""

    class Status(models.TextChoices):
        BLANK = "blank", "未使用"
        USED = "used", "已开具"
        VOIDED = "voided", "已作废"

    stock = models.ForeignKey(BillStock, models.PROTECT, related_name="bills", verbose_name="票据领用")
    number = models.PositiveIntegerField("票据号码")
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.BLANK)
    charge = models.ForeignKey(Charge, models.PROTECT, null=True, blank=True, related_name="bills",
                               verbose_name="收费单")
    used_at = models.DateTimeField("开具时间", null=True, blank=True)
    used_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name="开票人")
    voided_at = models.DateTimeField("作废时间", null=True, blank=True)
    void_reason = models.CharField("作废原因", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "票据"
        ordering = ["stock", "number"]
        constraints = [models.UniqueConstraint(fields=["stock", "number"], name="unique_bill_number")]

    def __str__(self):
        return f"{self.stock.series}-{self.number:08d}"


class Payment(models.Model):
    """Money received for a charge: at the window (cash, card, transfer) or through the payment gateway,
    whose transaction number is unique, so a repeated notification records nothing twice."""

    class Channel(models.TextChoices):
        CASH = "cash", "现金"
        CARD = "card", "刷卡"
        TRANSFER = "transfer", "转账"
        ONLINE = "online", "网上支付"

    charge = models.ForeignKey(Charge, models.PROTECT, related_name="payments", verbose_name="收费单")
    channel = models.CharField("缴费方式", max_length=10, choices=Channel.choices)
    amount = models.DecimalField("金额(元)", max_digits=14, decimal_places=2)
    paid_at = models.DateTimeField("缴费时间")
    recorded_at = models.DateTimeField("登记时间")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="收款人")
    window = models.ForeignKey("catalog.Window", models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name="收款窗口")
    reference = models.CharField("凭证号", max_length=64, blank=True, help_text="刷卡/转账的交易凭证号。")
    gateway_order = models.CharField("支付订单号", max_length=32, blank=True)
    # The gateway's own transaction number: unique where present (the idempotency of its callbacks).
    gateway_transaction = models.CharField("支付流水号", max_length=64, null=True, blank=True, unique=True)
    closing = models.ForeignKey("DailyClosing", models.PROTECT, null=True, blank=True, related_name="payments",
                                verbose_name="日结")

    class Meta:
        verbose_name = verbose_name_plural = "缴费记录"
        ordering = ["-paid_at"]
        indexes = [models.Index(fields=["paid_at"], name="payment_paid_at")]

    def __str__(self):
        return f"{self.charge.number} {self.amount}"


class GatewayOrder(models.Model):
    """An order placed with the payment gateway for a charge (统一公共支付平台下单)."""

    class Status(models.TextChoices):
        CREATED = "created", "待支付"
        PAID = "paid", "已支付"
        CLOSED = "closed", "已关闭"

    charge = models.ForeignKey(Charge, models.PROTECT, related_name="orders", verbose_name="收费单")
    order_no = models.CharField("支付订单号", max_length=32, unique=True)
    amount = models.DecimalField("金额(元)", max_digits=14, decimal_places=2)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.CREATED)
    pay_url = models.URLField("支付地址", max_length=500, blank=True)
    created_at = models.DateTimeField("下单时间")
    paid_at = models.DateTimeField("支付时间", null=True, blank=True)
    notifications = models.PositiveIntegerField("收到通知次数", default=0)
    last_queried_at = models.DateTimeField("最近查询时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "支付订单"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"], name="order_waiting",
                                condition=models.Q(status="created"))]

    def __str__(self):
        return self.order_no


class Refund(models.Model):
    """A refund of a payment (退费): requested with a reason, approved by another person, then paid out."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "待审批"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "已驳回"
        PAID = "paid", "已退款"

    charge = models.ForeignKey(Charge, models.PROTECT, related_name="refunds", verbose_name="收费单")
    payment = models.ForeignKey(Payment, models.PROTECT, related_name="refunds", verbose_name="缴费记录")
    amount = models.DecimalField("退费金额(元)", max_digits=14, decimal_places=2)
    reason = models.TextField("退费理由")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField("申请时间")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                     verbose_name="申请人")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="审批人")
    decision_note = models.CharField("审批意见", max_length=300, blank=True)
    paid_at = models.DateTimeField("退款时间", null=True, blank=True)
    gateway_refund = models.CharField("退款流水号", max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "退费"
        ordering = ["-requested_at"]

    def __str__(self):
        return f"{self.charge.number} 退 {self.amount}"


class DailyClosing(models.Model):
    """日结: a window's takings of one day, by channel, with the bills used and voided, closed by the clerk."""

    window = models.ForeignKey("catalog.Window", models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name="窗口", help_text="空为网上支付（按执收部门）。")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="+", verbose_name="执收部门")
    day = models.DateField("日期")
    totals = models.JSONField("分方式合计", default=dict)
    payments_count = models.PositiveIntegerField("笔数", default=0)
    amount = models.DecimalField("合计金额(元)", max_digits=14, decimal_places=2, default=0)
    bills_used = models.PositiveIntegerField("开具票据数", default=0)
    bills_voided = models.PositiveIntegerField("作废票据数", default=0)
    closed_at = models.DateTimeField("日结时间")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="日结人")

    class Meta:
        verbose_name = verbose_name_plural = "日结"
        ordering = ["-day"]
        # One closing per window and day, and one per department's online takings (no window) and day:
        # two partial constraints, which both SQLite and PostgreSQL enforce.
        constraints = [
            models.UniqueConstraint(fields=["department", "window", "day"], name="unique_window_closing",
                                    condition=models.Q(window__isnull=False)),
            models.UniqueConstraint(fields=["department", "day"], name="unique_online_closing",
                                    condition=models.Q(window__isnull=True)),
        ]

    def __str__(self):
        return f"{self.day} {self.window or self.department}"


class Reconciliation(models.Model):
    """周对账: the gateway's statement file for a period against the payments recorded here."""

    first_day = models.DateField("起始日期")
    last_day = models.DateField("截止日期")
    statement = models.FileField("对账单", upload_to="fees/statements/%Y/")
    statement_digest = models.CharField("对账单SM3摘要", max_length=64)
    gateway_count = models.PositiveIntegerField("对账单笔数", default=0)
    gateway_amount = models.DecimalField("对账单金额(元)", max_digits=16, decimal_places=2, default=0)
    recorded_count = models.PositiveIntegerField("本平台笔数", default=0)
    recorded_amount = models.DecimalField("本平台金额(元)", max_digits=16, decimal_places=2, default=0)
    created_at = models.DateTimeField("对账时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="对账人")

    class Meta:
        verbose_name = verbose_name_plural = "对账"
        ordering = ["-last_day", "-pk"]

    def __str__(self):
        return f"{self.first_day}～{self.last_day}"


class Difference(models.Model):
    """One difference a reconciliation found, listed until somebody resolves it."""

    class Kind(models.TextChoices):
        PAID_NOT_RECORDED = "paid_not_recorded", "已支付未入账"
        RECORDED_NOT_PAID = "recorded_not_paid", "已入账未支付"
        AMOUNT_DIFFERS = "amount_differs", "金额不符"

    reconciliation = models.ForeignKey(Reconciliation, models.CASCADE, related_name="differences",
                                       verbose_name="对账")
    kind = models.CharField("差异类型", max_length=20, choices=Kind.choices)
    order_no = models.CharField("支付订单号", max_length=32)
    transaction = models.CharField("支付流水号", max_length=64, blank=True)
    gateway_amount = models.DecimalField("对账单金额(元)", max_digits=14, decimal_places=2, null=True, blank=True)
    recorded_amount = models.DecimalField("本平台金额(元)", max_digits=14, decimal_places=2, null=True, blank=True)
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolution = models.CharField("处理说明", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "对账差异"
        ordering = ["reconciliation", "kind", "order_no"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.order_no}"


class FeeDayTotal(models.Model):
    """One day's takings of one fee item in one department by one channel (for 月汇总): kept in the same
    transaction as every payment recorded (fees/summary.py), so the month's summary reads some
    thousand rows instead of every bill of the month."""

    day = models.DateField("日期")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="+", verbose_name="执收部门")
    item = models.CharField("收费项目", max_length=200)
    channel = models.CharField("缴费方式", max_length=10, choices=Payment.Channel.choices)
    count = models.PositiveIntegerField("笔数", default=0)
    amount = models.DecimalField("金额(元)", max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = verbose_name_plural = "收费日汇总"
        ordering = ["day", "department", "item", "channel"]
        constraints = [models.UniqueConstraint(fields=["day", "department", "item", "channel"],
                                               name="unique_fee_day_total")]

    def __str__(self):
        return f"{self.day} {self.item} {self.amount}"
