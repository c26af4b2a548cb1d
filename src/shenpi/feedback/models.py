"""Consultation (咨询), complaints (投诉) and ratings (好差评) from the public, and the department's answers.

Deadlines are stored as dates derived from the working-day calendar (answer_due, due) so that the
supervision rules and the performance assessment read them as plain indexed filters.
"""

from django.conf import settings
from django.db import models

from shenpi.crypto import EncryptedCharField


class Question(models.Model):
    """A question about an item (咨询); answered by the item's department, published into its FAQ."""

    item = models.ForeignKey("catalog.Item", models.PROTECT, related_name="questions", verbose_name="事项")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="questions",
                                    verbose_name="答复部门")
    name = models.CharField("咨询人", max_length=50, blank=True)
    contact = EncryptedCharField("联系方式", blank=True)
    question = models.TextField("问题")
    asked_at = models.DateTimeField("咨询时间")
    answer = models.TextField("答复", blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="答复人")
    published = models.BooleanField("公开到常见问题", default=False)
    published_at = models.DateTimeField("公开时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "咨询"
        ordering = ["-asked_at", "-id"]
        indexes = [
            models.Index(fields=["department", "answered_at"], name="question_dept_answered"),
            models.Index(fields=["item", "published"], name="question_item_published"),
        ]

    def __str__(self):
        return self.question[:30]


class Complaint(models.Model):
    class Subject(models.TextChoices):
        CASE = "case", "办件"
        WINDOW = "window", "窗口"
        PERSON = "person", "工作人员"
        OTHER = "other", "其他"

    class Status(models.TextChoices):
        OPEN = "open", "待答复"
        ANSWERED = "answered", "已答复"

    number = models.CharField("投诉编号", max_length=24, unique=True)
    subject = models.CharField("投诉对象", max_length=10, choices=Subject.choices)
    case = models.ForeignKey("cases.Case", models.PROTECT, null=True, blank=True, related_name="complaints",
                             verbose_name="涉及办件")
    window = models.ForeignKey("catalog.Window", models.PROTECT, null=True, blank=True, related_name="complaints",
                               verbose_name="涉及窗口")
    person = models.CharField("涉及工作人员", max_length=50, blank=True)
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="complaints",
                                   verbose_name="承办部门")
    complainant = models.CharField("投诉人", max_length=50)
    mobile = EncryptedCharField("手机号码")
    mobile_masked = models.CharField("手机号码(脱敏)", max_length=20)
    content = models.TextField("投诉内容")
    filed_at = models.DateTimeField("投诉时间")
    answer_due = models.DateField("答复期限")
    due_provisional = models.BooleanField("期限为估算", default=False)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField("答复", blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="答复人")

    class Meta:
        verbose_name = verbose_name_plural = "投诉"
        ordering = ["-filed_at", "-id"]
        indexes = [
            models.Index(fields=["status", "answer_due"], name="complaint_status_due"),
            models.Index(fields=["department", "status", "answer_due"], name="complaint_dept_status_due"),
            models.Index(fields=["department", "filed_at"], name="complaint_dept_filed"),
        ]

    def __str__(self):
        return self.number


class Level(models.IntegerChoices):
    VERY_SATISFIED = 5, "非常满意"
    SATISFIED = 4, "满意"
    BASIC = 3, "基本满意"
    DISSATISFIED = 2, "不满意"
    VERY_DISSATISFIED = 1, "非常不满意"


BAD_LEVELS = (Level.DISSATISFIED, Level.VERY_DISSATISFIED)


class Rating(models.Model):
    """One rating: of a completed case (一事一评) or of one service at a window (一次一评)."""

    case = models.ForeignKey("cases.Case", models.PROTECT, null=True, blank=True, related_name="ratings",
                             verbose_name="办件")
    window = models.ForeignKey("catalog.Window", models.PROTECT, null=True, blank=True, related_name="ratings",
                               verbose_name="窗口")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="ratings",
                                   verbose_name="被评价部门")
    level = models.PositiveSmallIntegerField("评价等级", choices=Level.choices)
    comment = models.TextField("评价内容", blank=True)
    reason = models.TextField("差评原因", blank=True)
    rater_name = models.CharField("评价人", max_length=50, blank=True)
    rater_mobile = EncryptedCharField("联系电话", blank=True)
    rated_at = models.DateTimeField("评价时间")
    by_default = models.BooleanField("默认评价", default=False, help_text="超期未评价，系统默认基本满意。")
    excluded = models.BooleanField("不计入统计", default=False, help_text="申诉复核成立的评价。")

    class Meta:
        verbose_name = verbose_name_plural = "好差评"
        ordering = ["-rated_at", "-id"]
        constraints = [
            # 一事一评: a case is rated once, also when two submissions race.
            models.UniqueConstraint(fields=["case"], condition=models.Q(case__isnull=False),
                                    name="rating_once_per_case"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="rating_level_1_5"),
        ]
        indexes = [models.Index(fields=["department", "rated_at"], name="rating_dept_rated")]

    def __str__(self):
        return f"{self.get_level_display()} {self.department}"

    @property
    def bad(self) -> bool:
        return self.level in BAD_LEVELS


class RatingFollowUp(models.Model):
    """The department's task on a bad rating: 回访核实, then 立行立改 / 限期整改 / 解释说明, by `due`."""

    class Outcome(models.TextChoices):
        FIX_NOW = "fix_now", "立行立改"
        FIX_BY_DEADLINE = "fix_by_deadline", "限期整改"
        EXPLAIN = "explain", "解释说明"

    rating = models.OneToOneField(Rating, models.CASCADE, related_name="follow_up", verbose_name="差评")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="rating_follow_ups",
                                   verbose_name="整改部门")
    due = models.DateField("整改期限")
    visited_at = models.DateTimeField("回访时间", null=True, blank=True)
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="回访人")
    visit_note = models.TextField("回访核实情况", blank=True)
    outcome = models.CharField("整改方式", max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField("整改情况", blank=True)
    done_at = models.DateTimeField("办结时间", null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name="办结人")

    class Meta:
        verbose_name = verbose_name_plural = "差评整改"
        ordering = ["due", "id"]
        indexes = [models.Index(fields=["department", "done_at", "due"], name="followup_dept_open_due")]

    def __str__(self):
        return f"差评整改 {self.rating_id}"


class RatingAppeal(models.Model):
    """申诉复核: the department or the applicant says a rating is mistaken or malicious; a supervisor decides."""

    class By(models.TextChoices):
        DEPARTMENT = "department", "被评价部门"
        APPLICANT = "applicant", "申请人"

    class Decision(models.TextChoices):
        PENDING = "pending", "待复核"
        UPHELD = "upheld", "申诉成立"
        REJECTED = "rejected", "申诉不成立"

    rating = models.ForeignKey(Rating, models.CASCADE, related_name="appeals", verbose_name="评价")
    by = models.CharField("申诉方", max_length=12, choices=By.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name="申诉人")
    reason = models.TextField("申诉理由")
    requested_at = models.DateTimeField("申诉时间")
    decision = models.CharField("复核结论", max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decision_note = models.TextField("复核意见", blank=True)
    decided_at = models.DateTimeField("复核时间", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="复核人")

    class Meta:
        verbose_name = verbose_name_plural = "评价申诉复核"
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rating"], condition=models.Q(decision="pending"),
                                    name="appeal_one_pending_per_rating"),
        ]

    def __str__(self):
        return f"申诉复核 {self.rating_id}"
