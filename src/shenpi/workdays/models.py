"""The working-day calendar table (工作日历).

Only the days that differ from the plain rule "Monday to Friday work, weekends rest" are stored,
plus every named holiday day. A year is official once the State Council notice for it is in the
table; any other year is estimated and every date computed from it is marked provisional.
"""

from django.db import models


class CalendarYear(models.Model):
    year = models.PositiveIntegerField("年份", primary_key=True)
    official = models.BooleanField("已按国务院通知录入", default=True)
    source = models.CharField("来源", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "日历年度"
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}年（{'正式' if self.official else '估算'}）"


class CalendarDay(models.Model):
    date = models.DateField("日期", primary_key=True)
    is_workday = models.BooleanField("是否工作日")
    name = models.CharField("名称", max_length=50, blank=True, help_text="节日名称或“调休上班”。")

    class Meta:
        verbose_name = verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'上班' if self.is_workday else '休息'} {self.name}"
