"""Performance assessment (绩效考核): the scoring scheme and the scores supervisors enter by hand.

The indicators themselves are not stored: they are counted from cases, steps, suspensions and
alerts whenever an assessment is asked for (shenpi.performance.indicators). What is stored is how
they are turned into a score — the areas and their weights, the deductions and bonuses — and the
areas the platform cannot measure, scored per department per month by supervisors.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .measures import BONUS_INDICATORS, DEDUCTION_INDICATORS, MEASURES


class ScoringScheme(models.Model):
    class Period(models.TextChoices):
        MONTHLY = "monthly", "月度考核"

    name = models.CharField("方案名称", max_length=100)
    basis = models.CharField("依据", max_length=200, blank=True, help_text="发布方案的文件名称、文号。")
    period = models.CharField("考核周期", max_length=10, choices=Period.choices, default=Period.MONTHLY,
                              help_text="按月考核；季度、半年、年度得分为各月得分的平均值。")
    base = models.DecimalField("基准分", max_digits=6, decimal_places=2, default=100,
                               validators=[MinValueValidator(1)])
    floor_at_zero = models.BooleanField("扣完为止", default=True, help_text="扣分后得分不低于0分。")
    active = models.BooleanField("当前使用", default=False, help_text="同一时间只能有一个方案在使用。")
    note = models.TextField("说明", blank=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "考核方案"
        ordering = ["-active", "name"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=models.Q(active=True), name="one_active_scheme",
                                    violation_error_message="已有一个正在使用的考核方案，请先停用它。"),
        ]

    def __str__(self):
        return self.name


class ScoringArea(models.Model):
    """考核项: a share of the base score, measured from indicators or scored by supervisors."""

    class Kind(models.TextChoices):
        MEASURED = "measured", "系统计算"
        MANUAL = "manual", "人工评分"

    scheme = models.ForeignKey(ScoringScheme, models.CASCADE, related_name="areas", verbose_name="考核方案")
    code = models.CharField("代码", max_length=30)
    name = models.CharField("考核项", max_length=30)
    weight = models.DecimalField("权重(%)", max_digits=5, decimal_places=2,
                                 validators=[MinValueValidator(0), MaxValueValidator(100)])
    kind = models.CharField("评分方式", max_length=10, choices=Kind.choices, default=Kind.MANUAL)
    measure = models.CharField("计算指标", max_length=30, blank=True,
                               choices=[(code, m.label) for code, m in MEASURES.items()],
                               help_text="系统计算的考核项由该指标（0–100）得出；人工评分的留空。")
    sort = models.PositiveSmallIntegerField("排序", default=0)
    description = models.TextField("考核内容", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "考核项"
        ordering = ["scheme", "sort", "pk"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="area_code_once")]

    def __str__(self):
        return f"{self.name}（{self.weight.normalize():f}%）"

    def clean(self):
        if self.kind == self.Kind.MEASURED and not self.measure:
            raise ValidationError({"measure": "系统计算的考核项须选择计算指标。"})
        if self.kind == self.Kind.MANUAL and self.measure:
            raise ValidationError({"measure": "人工评分的考核项不选计算指标。"})


class Adjustment(models.Model):
    """Points per full `every` units of an indicator, at most `cap` points in a month."""

    every = models.DecimalField("每满", max_digits=7, decimal_places=2, validators=[MinValueValidator(0.01)])
    points = models.DecimalField("分值", max_digits=6, decimal_places=2, validators=[MinValueValidator(0)])
    cap = models.DecimalField("月度上限(分)", max_digits=6, decimal_places=2, null=True, blank=True,
                              validators=[MinValueValidator(0)], help_text="留空表示不设上限。")
    name = models.CharField("名称", max_length=60)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name


class DeductionRule(Adjustment):
    indicator = models.CharField("依据指标", max_length=30,
                                 choices=[(code, label) for code, label in DEDUCTION_INDICATORS.items()])
    scheme = models.ForeignKey(ScoringScheme, models.CASCADE, related_name="deductions", verbose_name="考核方案")

    class Meta:
        verbose_name = verbose_name_plural = "扣分规则"
        ordering = ["scheme", "pk"]


class BonusRule(Adjustment):
    indicator = models.CharField("依据指标", max_length=30,
                                 choices=[(code, label) for code, label in BONUS_INDICATORS.items()],
                                 help_text="比率指标按百分点计：每满10表示每满10个百分点。")
    scheme = models.ForeignKey(ScoringScheme, models.CASCADE, related_name="bonuses", verbose_name="考核方案")

    class Meta:
        verbose_name = verbose_name_plural = "加分规则"
        ordering = ["scheme", "pk"]


class ManualScore(models.Model):
    """A supervisor's score (0–100) of a manual area for one department and month."""

    # Scores supervisors entered are not lost with an edited scheme: an area with scores cannot be deleted.
    area = models.ForeignKey(ScoringArea, models.PROTECT, related_name="manual_scores", verbose_name="考核项")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="+", verbose_name="部门")
    month = models.DateField("考核月份", help_text="该月1日。")
    score = models.DecimalField("得分(0–100)", max_digits=5, decimal_places=2,
                                validators=[MinValueValidator(0), MaxValueValidator(100)])
    note = models.CharField("评分说明", max_length=300, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="评分人")
    entered_at = models.DateTimeField("评分时间")

    class Meta:
        verbose_name = verbose_name_plural = "人工评分"
        ordering = ["-month", "area", "department"]
        constraints = [models.UniqueConstraint(fields=["area", "department", "month"], name="manual_score_once")]
        indexes = [models.Index(fields=["month", "department"], name="manual_score_month")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.department} {self.area.name} {self.score}"

    def clean(self):
        if self.month and self.month.day != 1:
            raise ValidationError({"month": "考核月份请填写该月1日。"})
        if self.area_id and self.area.kind != ScoringArea.Kind.MANUAL:
            raise ValidationError({"area": "该考核项由系统计算，不能人工评分。"})
