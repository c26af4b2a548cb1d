"""The supervision family's aggregates (监察统计): alerts by level and category, supervision orders.

Rows are rebuilt by whole days from the alerts and orders (shenpi.figures.family_supervision);
a month row is the sum of its days' rows.
"""

from django.db import models

ALERT_VALUES = ("raised", "answered", "still_open", "on_cases")
ORDER_VALUES = ("issued", "answered", "closed", "still_open", "overdue")


class AlertBase(models.Model):
    department = models.ForeignKey("catalog.Department", models.DO_NOTHING, db_constraint=False,
                                   related_name="+", verbose_name="责任部门")
    category = models.CharField("监察点类别", max_length=12)
    level = models.PositiveSmallIntegerField("级别")
    raised = models.BigIntegerField("发出", default=0)
    answered = models.BigIntegerField("已整改说明", default=0)
    still_open = models.BigIntegerField("未解除", default=0)
    on_cases = models.BigIntegerField("涉及办件的", default=0)

    class Meta:
        abstract = True


class AlertDay(AlertBase):
    day = models.DateField("日期")

    class Meta:
        verbose_name = verbose_name_plural = "监察告警日汇总"
        indexes = [models.Index(fields=["day", "department"], name="figures_alertday_day")]

    def __str__(self):
        return f"{self.day} {self.department_id} {self.category}/{self.level}"


class AlertMonth(AlertBase):
    month = models.DateField("月份", help_text="当月第一天。")

    class Meta:
        verbose_name = verbose_name_plural = "监察告警月汇总"
        indexes = [models.Index(fields=["month", "department"], name="figures_alertmonth_month")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.department_id} {self.category}/{self.level}"


class OrderBase(models.Model):
    department = models.ForeignKey("catalog.Department", models.DO_NOTHING, db_constraint=False,
                                   related_name="+", verbose_name="责任部门")
    issued = models.BigIntegerField("发出督办", default=0)
    answered = models.BigIntegerField("首次反馈", default=0)
    closed = models.BigIntegerField("办结", default=0)
    still_open = models.BigIntegerField("未办结", default=0)
    overdue = models.BigIntegerField("逾期未反馈", default=0)

    class Meta:
        abstract = True


class OrderDay(OrderBase):
    day = models.DateField("日期")

    class Meta:
        verbose_name = verbose_name_plural = "督办日汇总"
        indexes = [models.Index(fields=["day", "department"], name="figures_orderday_day")]

    def __str__(self):
        return f"{self.day} {self.department_id}"


class OrderMonth(OrderBase):
    month = models.DateField("月份", help_text="当月第一天。")

    class Meta:
        verbose_name = verbose_name_plural = "督办月汇总"
        indexes = [models.Index(fields=["month", "department"], name="figures_ordermonth_month")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.department_id}"
