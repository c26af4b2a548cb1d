"""Electronic supervision (电子监察): rules (监察点), the alerts they raise, orders (督办), scans.

A rule is data: its thresholds and switch are edited by administrators; what it looks for is
code in shenpi.supervision.rules, registered under the rule's code. Alerts are never deleted: an
alert whose condition ends is closed, and one that escalates leaves its lower level closed behind it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shenpi import clock


class Category(models.TextChoices):
    TIME = "time", "时限"
    PROCEDURE = "procedure", "程序"
    FEE = "fee", "收费"
    ACCEPTANCE = "acceptance", "受理"
    SERVICE = "service", "服务"


class Level(models.IntegerChoices):
    """Ordered: a higher level supersedes a lower one for the same rule and subject."""

    WARNING = 1, "预警"
    YELLOW = 2, "黄牌"
    RED = 3, "红牌"


class Rule(models.Model):
    code = models.CharField("监察点编码", max_length=40, unique=True)
    name = models.CharField("监察点名称", max_length=100)
    category = models.CharField("类别", max_length=12, choices=Category.choices)
    level = models.PositiveSmallIntegerField("发出级别", choices=Level.choices, default=Level.YELLOW,
                                             help_text="时限类监察点按阈值由预警逐级升级，此处为最高级别。")
    basis = models.CharField("依据", max_length=200, blank=True)
    description = models.TextField("说明", blank=True)
    params = models.JSONField("阈值", default=dict, blank=True,
                              help_text="各监察点的可调阈值；键名与默认值见说明。")
    enabled = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "监察点"
        ordering = ["category", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    def clean(self):
        from django.core.exceptions import ValidationError

        from .registry import REGISTRY

        definition = REGISTRY.get(self.code)
        if definition is None:
            raise ValidationError({"code": "系统中没有这个监察点。"})
        params = self.params if isinstance(self.params, dict) else None
        if params is None:
            raise ValidationError({"params": "阈值应为 JSON 对象，例如 {\"warn_days_left\": 1}。"})
        unknown = sorted(set(params) - set(definition.params))
        if unknown:
            known = "、".join(definition.params) or "无"
            raise ValidationError({"params": f"未知的阈值：{'、'.join(unknown)}（可用：{known}）。"})
        for key, value in params.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValidationError({"params": f"阈值 {key} 应为不小于0的数。"})
            if key.endswith("_share_left") and value > 1:
                raise ValidationError({"params": f"阈值 {key} 是比例，应在0到1之间。"})


class Alert(models.Model):
    """One per rule × subject × level. The subject is what the rule found: a case, a step, an order …"""

    class Status(models.TextChoices):
        OPEN = "open", "未解除"
        CLOSED = "closed", "已解除"

    rule = models.ForeignKey(Rule, models.PROTECT, related_name="alerts", verbose_name="监察点")
    level = models.PositiveSmallIntegerField("级别", choices=Level.choices)
    subject = models.CharField("监察对象", max_length=40, help_text="case:办件ID、step:环节ID、order:督办单ID …")
    case = models.ForeignKey("cases.Case", models.PROTECT, null=True, blank=True, related_name="alerts",
                             verbose_name="办件")
    step = models.ForeignKey("cases.CaseStep", models.PROTECT, null=True, blank=True, related_name="alerts",
                             verbose_name="环节")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="alerts",
                                   verbose_name="责任部门")
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="alerts", verbose_name="责任人")
    status = models.CharField("状态", max_length=6, choices=Status.choices, default=Status.OPEN)
    detected_at = models.DateTimeField("发现时间")
    figures = models.JSONField("依据数据", default=dict, blank=True)
    closed_at = models.DateTimeField("解除时间", null=True, blank=True)
    closed_reason = models.CharField("解除原因", max_length=100, blank=True)
    reopened = models.PositiveSmallIntegerField("再次发生次数", default=0)
    notified_at = models.DateTimeField("通知时间", null=True, blank=True)
    # 整改反馈: the department's answer to a card; a yellow card left unanswered turns red.
    answer = models.TextField("整改说明", blank=True)
    answered_at = models.DateTimeField("反馈时间", null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="反馈人")

    class Meta:
        verbose_name = verbose_name_plural = "监察告警"
        ordering = ["-detected_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["rule", "subject", "level"], name="alert_once")]
        indexes = [
            models.Index(fields=["status", "level", "department"], name="alert_board"),
            models.Index(fields=["case", "-detected_at"], name="alert_case"),
            models.Index(fields=["responsible", "status"], name="alert_responsible"),
            models.Index(fields=["department", "detected_at"], name="alert_dept_time"),
            models.Index(fields=["status", "-detected_at"], name="alert_status_recent"),
        ]

    def __str__(self):
        return f"{self.get_level_display()} {self.rule.name} {self.subject}"


class Flag(models.Model):
    """A finding only a person can make (a complaint or an inspection), handed to a manual rule."""

    rule = models.ForeignKey(Rule, models.PROTECT, related_name="flags", verbose_name="监察点")
    case = models.ForeignKey("cases.Case", models.PROTECT, related_name="supervision_flags", verbose_name="办件")
    note = models.TextField("情况说明")
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                   verbose_name="标记人")
    flagged_at = models.DateTimeField("标记时间")
    withdrawn_at = models.DateTimeField("撤销时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name="撤销人")

    class Meta:
        verbose_name = verbose_name_plural = "人工认定"
        ordering = ["-flagged_at"]

    def __str__(self):
        return f"{self.rule.name} {self.case_id}"


class ScanRun(models.Model):
    """One scan: what it looked at, raised and closed. The last one is where the next one starts."""

    class Kind(models.TextChoices):
        FULL = "full", "全量"
        INCREMENTAL = "incremental", "增量"

    kind = models.CharField("方式", max_length=12, choices=Kind.choices)
    started_at = models.DateTimeField("开始时间")
    as_of = models.DateTimeField("监察时点")
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    last_event_id = models.BigIntegerField("已处理的最后办件记录", default=0)
    rules_changed_at = models.DateTimeField("监察点修改时间", null=True, blank=True)
    raised = models.JSONField("新发", default=dict, blank=True)
    closed = models.JSONField("解除", default=dict, blank=True)
    seconds = models.FloatField("耗时(秒)", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "监察扫描"
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.as_of:%Y-%m-%d %H:%M}"


class Order(models.Model):
    """督办: a supervisor asks a department to rectify, by a reply deadline in working days."""

    class Status(models.TextChoices):
        OPEN = "open", "待反馈"
        ANSWERED = "answered", "已反馈待审核"
        ACCEPTED = "accepted", "已办结"

    number = models.CharField("督办单号", max_length=24, unique=True)
    title = models.CharField("督办事由", max_length=200)
    demand = models.TextField("督办要求")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="supervision_orders",
                                   verbose_name="责任部门")
    alerts = models.ManyToManyField(Alert, blank=True, related_name="orders", verbose_name="相关告警")
    cases = models.ManyToManyField("cases.Case", blank=True, related_name="supervision_orders",
                                   verbose_name="相关办件")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                  verbose_name="督办人")
    issued_at = models.DateTimeField("督办时间")
    reply_due = models.DateField("反馈期限")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "督办单"
        ordering = ["-issued_at", "-pk"]
        indexes = [models.Index(fields=["status", "reply_due"], name="order_status_due"),
                   models.Index(fields=["department", "status"], name="order_dept_status")]

    def __str__(self):
        return f"{self.number} {self.title}"


class OrderEntry(models.Model):
    """The order's history, never edited: its issue, the department's replies (整改反馈), the verdicts.

    Every deadline ever set is kept on the entry that set it (issue, send back), so the history
    shows which deadline each reply answered even after the order's own reply_due has moved on.
    """

    class Kind(models.TextChoices):
        ISSUE = "issue", "发出督办"
        REPLY = "reply", "整改反馈"
        ACCEPT = "accept", "审核通过"
        RETURN = "return", "退回重新整改"

    order = models.ForeignKey(Order, models.CASCADE, related_name="entries", verbose_name="督办单")
    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    text = models.TextField("内容")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="填写人")
    at = models.DateTimeField("时间")
    reply_due = models.DateField("反馈期限", null=True, blank=True,
                                 help_text="发出督办或退回重新整改时确定的反馈期限。")

    class Meta:
        verbose_name = verbose_name_plural = "督办记录"
        ordering = ["order", "at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


def attachment_path(instance: OrderAttachment, filename: str) -> str:
    """Filed by the month of the platform's clock (the demo plays out past months)."""
    return f"supervision/{clock.today():%Y/%m}/{filename}"


class OrderAttachment(models.Model):
    """A file attached to a reply; its SM3 digest shows that the stored file is the one received."""

    entry = models.ForeignKey(OrderEntry, models.CASCADE, related_name="attachments", verbose_name="督办记录")
    file = models.FileField("附件", upload_to=attachment_path)
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=60)
    size = models.PositiveIntegerField("大小(字节)")
    digest = models.CharField("SM3摘要", max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "督办附件"
        ordering = ["entry", "pk"]

    def __str__(self):
        return self.name
