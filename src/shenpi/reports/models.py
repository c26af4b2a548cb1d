"""Stored reports: the monthly department report (月度统计报告), one per department and month."""

from django.db import models


class MonthlyReport(models.Model):
    """A department's 月度统计报告 as it was generated, with both files.

    The files are kept in the row: a report is a few tens of kilobytes, is written in the same
    transaction as its row (a failed generation leaves neither), and is backed up with the database.
    """

    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="monthly_reports",
                                   verbose_name="部门")
    month = models.DateField("月份", help_text="当月第一天。")
    generated_at = models.DateTimeField("生成时间")
    as_of = models.DateTimeField("数据截至", null=True, blank=True,
                                 help_text="统计汇总在此刻之前提交的变更都已计入。")
    figures = models.JSONField("本月计数", default=dict, blank=True)
    pdf = models.BinaryField("PDF")
    xlsx = models.BinaryField("Excel")
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    sent_to = models.JSONField("收件人", default=list, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "月度统计报告"
        ordering = ["-month", "department__sort", "department__code"]
        constraints = [models.UniqueConstraint(fields=["department", "month"], name="monthly_report_once")]

    def __str__(self):
        return f"{self.department} {self.month:%Y-%m}"

    @property
    def label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"

    def filename(self, extension: str) -> str:
        return f"月度统计报告-{self.department.code}-{self.month:%Y-%m}.{extension}"
