"""The process family's aggregates (过程统计): suspensions and corrections by kind, refusals by reason.

Rows are rebuilt by whole days from the source rows (shenpi.figures.family_process), never edited
one by one; a month row is the sum of its days' rows.
"""

from django.db import models

SUSPENSION_VALUES = ("started", "ended", "days", "len_5", "len_10", "len_20", "len_over", "notices")
REFUSAL_VALUES = ("refused",)


class SuspensionBase(models.Model):
    department = models.ForeignKey("catalog.Department", models.DO_NOTHING, db_constraint=False,
                                   related_name="+", verbose_name="部门")
    item = models.ForeignKey("catalog.Item", models.DO_NOTHING, db_constraint=False, related_name="+",
                             verbose_name="事项")
    kind = models.CharField("类型", max_length=30, help_text="特别程序名称、“补件”或“补正”。")
    started = models.BigIntegerField("开始", default=0)
    ended = models.BigIntegerField("结束", default=0)
    days = models.BigIntegerField("已结束的时长合计(工作日)", default=0)
    len_5 = models.BigIntegerField("≤5个工作日", default=0)
    len_10 = models.BigIntegerField("6–10个工作日", default=0)
    len_20 = models.BigIntegerField("11–20个工作日", default=0)
    len_over = models.BigIntegerField(">20个工作日", default=0)
    notices = models.BigIntegerField("补正通知书", default=0)

    class Meta:
        abstract = True


class SuspensionDay(SuspensionBase):
    day = models.DateField("日期")

    class Meta:
        verbose_name = verbose_name_plural = "暂停计时与补正日汇总"
        indexes = [models.Index(fields=["day", "department"], name="figures_suspday_day")]

    def __str__(self):
        return f"{self.day} {self.department_id}/{self.item_id} {self.kind}"


class SuspensionMonth(SuspensionBase):
    month = models.DateField("月份", help_text="当月第一天。")

    class Meta:
        verbose_name = verbose_name_plural = "暂停计时与补正月汇总"
        indexes = [models.Index(fields=["month", "department"], name="figures_suspmonth_month")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.department_id}/{self.item_id} {self.kind}"


class RefusalBase(models.Model):
    department = models.ForeignKey("catalog.Department", models.DO_NOTHING, db_constraint=False,
                                   related_name="+", verbose_name="部门")
    item = models.ForeignKey("catalog.Item", models.DO_NOTHING, db_constraint=False, related_name="+",
                             verbose_name="事项")
    reason = models.TextField("不予受理理由")
    refused = models.BigIntegerField("不予受理", default=0)

    class Meta:
        abstract = True


class RefusalDay(RefusalBase):
    day = models.DateField("日期")

    class Meta:
        verbose_name = verbose_name_plural = "不予受理日汇总"
        indexes = [models.Index(fields=["day", "department"], name="figures_refusalday_day")]

    def __str__(self):
        return f"{self.day} {self.department_id}/{self.item_id}"


class RefusalMonth(RefusalBase):
    month = models.DateField("月份", help_text="当月第一天。")

    class Meta:
        verbose_name = verbose_name_plural = "不予受理月汇总"
        indexes = [models.Index(fields=["month", "department"], name="figures_refusalmonth_month")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.department_id}/{self.item_id}"
