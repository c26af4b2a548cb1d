"""The fees aggregates: charges, payments and refunds per local day (and month) × department × item.

fees.FeeDayTotal already keeps the takings per day × department × fee line (收费项目) × payment
channel for the monthly summary; it has no catalogue item and no charges or refunds, which the
reports need, so this family keeps those and the reports read FeeDayTotal for the channels.
"""

from django.db import models

MONEY = {"max_digits": 18, "decimal_places": 2, "default": 0}


class FeeBase(models.Model):
    """执收部门 × item: charges made, payments received, refunds paid (each on the local day of its moment)."""

    department = models.ForeignKey("catalog.Department", models.DO_NOTHING, db_constraint=False,
                                   related_name="+", verbose_name="执收部门")
    item = models.ForeignKey("catalog.Item", models.DO_NOTHING, db_constraint=False, related_name="+",
                             verbose_name="事项")
    charges = models.IntegerField("开单数", default=0)
    standard = models.DecimalField("标准金额(元)", **MONEY)
    waived = models.DecimalField("减免金额(元)", **MONEY)
    waived_charges = models.IntegerField("有减免的收费单", default=0)
    charged = models.DecimalField("应缴金额(元)", **MONEY)
    cancelled = models.IntegerField("已撤销收费单", default=0)
    payments = models.IntegerField("缴费笔数", default=0)
    paid = models.DecimalField("实缴金额(元)", **MONEY)
    refunds = models.IntegerField("退费笔数", default=0)
    refunded = models.DecimalField("退费金额(元)", **MONEY)


    class Meta:
        abstract = True


class FeeDay(FeeBase):
    """One day: charges made that day, payments received that day, refunds paid that day."""

    day = models.DateField("日期")

    class Meta:
        verbose_name = verbose_name_plural = "收费日汇总(按事项)"
        indexes = [models.Index(fields=["day", "department"], name="figures_feeday_day")]

    def __str__(self):
        return f"{self.day} {self.department_id}/{self.item_id}"


class FeeMonth(FeeBase):
    """One month: the sums of its days' rows."""

    month = models.DateField("月份", help_text="当月第一天。")

    class Meta:
        verbose_name = verbose_name_plural = "收费月汇总(按事项)"
        indexes = [models.Index(fields=["month", "department"], name="figures_feemonth_month")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.department_id}/{self.item_id}"


class FeeTouchedDay(models.Model):
    """A day whose charges changed without a timestamp (a charge cancelled): rebuilt at the next upkeep run."""

    day = models.DateField("日期", unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "待重算收费日"

    def __str__(self):
        return str(self.day)
