"""The feedback aggregates: ratings (好差评) and complaints (投诉) per local day (and month) and department.

Like the case aggregates, rows are never edited one by one: shenpi.figures.family_feedback
recomputes whole days from the ratings and complaints and replaces their rows; a month row is the
sum of its days' rows (shenpi.figures.daytables).
"""

from django.db import models


class RatingBase(models.Model):
    """Ratings given (rated_at, Asia/Shanghai) × department × item (of the rated case) × window × level."""

    department = models.ForeignKey("catalog.Department", models.DO_NOTHING, db_constraint=False,
                                   related_name="+", verbose_name="被评价部门")
    item = models.ForeignKey("catalog.Item", models.DO_NOTHING, db_constraint=False, null=True,
                             related_name="+", verbose_name="事项", help_text="仅评价办件时有。")
    window = models.ForeignKey("catalog.Window", models.DO_NOTHING, db_constraint=False, null=True,
                               related_name="+", verbose_name="窗口")
    level = models.PositiveSmallIntegerField("评价等级")
    rated = models.IntegerField("计入统计的评价", default=0)
    excluded = models.IntegerField("申诉成立不计入", default=0)
    by_default = models.IntegerField("默认评价(计入)", default=0)
    visited = models.IntegerField("已回访(计入的差评)", default=0)
    rectified = models.IntegerField("已整改(计入的差评)", default=0)

    class Meta:
        abstract = True


class RatingDay(RatingBase):
    """Ratings given on a day."""

    day = models.DateField("日期")

    class Meta:
        verbose_name = verbose_name_plural = "好差评日汇总"
        indexes = [models.Index(fields=["day", "department"], name="figures_ratingday_day")]

    def __str__(self):
        return f"{self.day} {self.department_id} {self.level}"


class RatingMonth(RatingBase):
    """Ratings given in a month: the sums of its days' rows."""

    month = models.DateField("月份", help_text="当月第一天。")

    class Meta:
        verbose_name = verbose_name_plural = "好差评月汇总"
        indexes = [models.Index(fields=["month", "department"], name="figures_ratingmonth_month")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.department_id} {self.level}"


class ComplaintBase(models.Model):
    """Complaints filed (filed_at, Asia/Shanghai) × department × subject (× item, window concerned)."""

    department = models.ForeignKey("catalog.Department", models.DO_NOTHING, db_constraint=False,
                                   related_name="+", verbose_name="承办部门")
    item = models.ForeignKey("catalog.Item", models.DO_NOTHING, db_constraint=False, null=True,
                             related_name="+", verbose_name="事项", help_text="投诉涉及办件时有。")
    window = models.ForeignKey("catalog.Window", models.DO_NOTHING, db_constraint=False, null=True,
                               related_name="+", verbose_name="窗口")
    subject = models.CharField("投诉对象", max_length=10)
    filed = models.IntegerField("投诉数", default=0)
    answered = models.IntegerField("已答复", default=0)
    answered_late = models.IntegerField("逾期答复", default=0)
    open = models.IntegerField("待答复", default=0)

    class Meta:
        abstract = True


class ComplaintDay(ComplaintBase):
    """Complaints filed on a day."""

    day = models.DateField("日期")

    class Meta:
        verbose_name = verbose_name_plural = "投诉日汇总"
        indexes = [models.Index(fields=["day", "department"], name="figures_complaintday_day")]

    def __str__(self):
        return f"{self.day} {self.department_id} {self.subject}"


class ComplaintMonth(ComplaintBase):
    """Complaints filed in a month: the sums of its days' rows."""

    month = models.DateField("月份", help_text="当月第一天。")

    class Meta:
        verbose_name = verbose_name_plural = "投诉月汇总"
        indexes = [models.Index(fields=["month", "department"], name="figures_complaintmonth_month")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.department_id} {self.subject}"
