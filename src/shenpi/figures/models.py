"""The aggregates (统计汇总): counters per day (and per month) × department × item × channel × window.

Rows are never edited one by one: shenpi.figures.build recomputes whole days from the cases and
replaces their rows (and then the rows of their months), so a row is always exactly what a
GROUP BY over the cases gives. Which counters there are, and which cases each counts, is defined
once in shenpi.figures.counters; the columns below are generated from it.
"""

from django.db import models

from . import counters


class CaseFiguresBase(models.Model):
    department = models.ForeignKey("catalog.Department", models.DO_NOTHING, db_constraint=False,
                                   related_name="+", verbose_name="部门")
    item = models.ForeignKey("catalog.Item", models.DO_NOTHING, db_constraint=False, related_name="+",
                             verbose_name="事项")
    channel = models.CharField("申报渠道", max_length=10)
    window = models.ForeignKey("catalog.Window", models.DO_NOTHING, db_constraint=False, null=True,
                               related_name="+", verbose_name="窗口")

    class Meta:
        abstract = True


for _counter in counters.CASE_COUNTERS:
    # Sums of working days of a year over all departments reach millions: 64 bits.
    models.BigIntegerField(_counter.label, default=0).contribute_to_class(CaseFiguresBase, _counter.name)


class CaseDay(CaseFiguresBase):
    day = models.DateField("日期")

    class Meta:
        verbose_name = verbose_name_plural = "办件日汇总"
        indexes = [models.Index(fields=["day", "department"], name="figures_caseday_day")]

    def __str__(self):
        return f"{self.day} {self.department_id}/{self.item_id}/{self.channel}"


class CaseMonth(CaseFiguresBase):
    month = models.DateField("月份", help_text="当月第一天。")

    class Meta:
        verbose_name = verbose_name_plural = "办件月汇总"
        indexes = [models.Index(fields=["month", "department"], name="figures_casemonth_month")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.department_id}/{self.item_id}/{self.channel}"


class Upkeep(models.Model):
    """Where the upkeep stands, per family of aggregates: one row each."""

    family = models.CharField("汇总类别", max_length=30, unique=True)
    last_event = models.BigIntegerField("已处理的最后记录号", default=0)
    as_of = models.DateTimeField("数据截至", null=True, blank=True,
                                 help_text="此刻之前提交的变更都已计入汇总。")
    rebuilt_at = models.DateTimeField("最近全量重建", null=True, blank=True)
    days_built = models.BigIntegerField("累计重算天数", default=0)
    # Families kept by differences (the cases'): the rows hold every moment before `window_start` for
    # good, and `provisional` holds what the rows hold of the moments since, per row key, so that the
    # next run can replace it by a fresh count of the window (shenpi.figures.upkeep).
    window_start = models.DateTimeField("暂计窗口起点", null=True, blank=True)
    provisional = models.JSONField("暂计数", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "汇总维护状态"

    def __str__(self):
        return self.family


# The other families' tables, each in its own module.
from .models_feedback import ComplaintDay, ComplaintMonth, RatingDay, RatingMonth  # noqa: E402, F401
from .models_fees import FeeDay, FeeMonth, FeeTouchedDay  # noqa: E402, F401
from .models_process import RefusalDay, RefusalMonth, SuspensionDay, SuspensionMonth  # noqa: E402, F401
from .models_supervision import AlertDay, AlertMonth, OrderDay, OrderMonth  # noqa: E402, F401
