"""The notification outbox: one row per message to one address, written in the sender's transaction.

Subject and body are rendered when the row is written, so a later change of a template never
alters a message already queued. Addresses (mobile numbers, e-mail addresses) are personal data:
stored SM4-encrypted, shown masked.

A message that carries a secret (a one-time code: rendering.MessageTemplate.secret) is kept with
the secret masked in its body, which is all the admin and anyone reading the table see; the text
that leaves, code and all, is kept encrypted beside it (`sealed_body`) only until it is sent, fails
for good or outlives the code (`sealed_until`), and is wiped then.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from shenpi.crypto import EncryptedCharField


class Notification(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "电子邮件"
        SMS = "sms", "短信"

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENDING = "sending", "发送中"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"
        # Over a limit when written (SHENPI_SMS_PER_MOBILE_DAY): kept with the reason, never sent.
        REFUSED = "refused", "超限未发"

    channel = models.CharField("渠道", max_length=8, choices=Channel.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                  related_name="notifications", verbose_name="接收人")
    address = EncryptedCharField("地址")
    address_masked = models.CharField("地址(脱敏)", max_length=100)
    template = models.CharField("模板", max_length=40)
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("正文", help_text="验证码等一次性内容已遮盖。")
    sealed_body = EncryptedCharField("待发送正文（加密）", blank=True,
                                     help_text="含一次性内容的原文，仅在发送前保留，发送后或过期即清除。")
    sealed_until = models.DateTimeField("一次性内容有效期至", null=True, blank=True)
    # A case is never deleted (it is voided): PROTECT keeps every message traceable to its case.
    case = models.ForeignKey("cases.Case", models.PROTECT, null=True, blank=True, related_name="notifications",
                             verbose_name="办件")
    topic = models.CharField("关联对象", max_length=100, blank=True, db_index=True,
                             help_text="发送方自定的关联标识，例如 alert:123。")
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试时间",
                                           help_text="待发送：何时可以发送；发送中：超过此时刻视为投递中断，可重新领取。")
    last_error = models.TextField("最近错误", blank=True, help_text="发送失败的原因；超限未发时为未发送的原因。")
    created_at = models.DateTimeField("创建时间")
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "通知"
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
                   # The few rows still holding a sealed text, for the pass that wipes expired ones.
                   models.Index(fields=["sealed_until"], name="notification_sealed", condition=~Q(sealed_body=""))]

    def __str__(self):
        return f"{self.get_channel_display()} {self.address_masked}：{self.subject}"

    def outgoing_body(self) -> str:
        """The text as it leaves: the sealed text (with its one-time code) while kept, else the body."""
        return self.sealed_body or self.body
