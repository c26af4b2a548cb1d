"""Data exchange (信息交换, docs/exchange.md): the outbox of everything that leaves for another system.

An `Event` is written in the transaction of what it tells (a case action, a payment, a rating), with
one `Delivery` per destination that wants it: the province's supervision platform (上报), the
national rating system (好差评), a department system's webhook. Nothing is sent for a change that
rolled back, and nothing committed is lost when a receiver, a worker or the broker is down.
"""

from __future__ import annotations

import uuid

from django.db import models

from shenpi.crypto import EncryptedCharField


class EventKind(models.TextChoices):
    """The kinds of event the province's supervision platform expects (电子监察数据项)."""

    ACCEPT = "accept", "受理"
    PROCESS = "process", "过程"
    SUSPEND = "suspend", "暂停/特别程序"
    CORRECTION = "correction", "补正/补件"
    RESUME = "resume", "恢复"
    PAYMENT = "payment", "缴费"
    RESULT = "result", "结果"
    COMPLETE = "complete", "办结"
    RATING = "rating", "评价"


class Mapping(models.Model):
    """How one receiver wants our events written: its field names, its codes and its item codes.

    Kept as data so that a change of the province's format is an edit, not a release."""

    name = models.CharField("格式名称", max_length=100, unique=True)
    fields = models.JSONField("字段对照", default=dict, blank=True,
                              help_text="本平台字段名 → 接收方字段名；未列出的字段不报送。")
    codes = models.JSONField("代码对照", default=dict, blank=True,
                             help_text="代码表名 → {本平台代码: 接收方代码}，如 kind、channel、state。")
    item_codes = models.JSONField("事项编码对照", default=dict, blank=True,
                                  help_text="本平台事项编码 → 接收方事项编码(如省级事项库编码)。")
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "报送格式"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Destination(models.Model):
    """A system our events go to: the upper platforms, configured by the centre, or a department
    system's webhook subscription (订阅), made through the API with its token."""

    class Kind(models.TextChoices):
        UPSTREAM = "upstream", "上级电子监察平台"
        RATING = "rating", "好差评系统"
        WEBHOOK = "webhook", "部门系统订阅"

    class Algorithm(models.TextChoices):
        HMAC_SM3 = "hmac-sm3", "HMAC-SM3"
        HMAC_SHA256 = "hmac-sha256", "HMAC-SHA256"

    code = models.SlugField("代码", max_length=60, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    # Blank: the destination's sandbox under SHENPI_SANDBOX_URL, resolved at send time (the demo's
    # destinations are written before the sandbox server's address is known).
    url = models.URLField("接收地址", max_length=500, blank=True,
                          help_text="为空时发往本机沙箱(SHENPI_SANDBOX_URL)，仅用于演示和测试。")
    secret = EncryptedCharField("签名密钥", help_text="双方约定的HMAC密钥，加密保存。")
    algorithm = models.CharField("签名算法", max_length=12, choices=Algorithm.choices, default=Algorithm.HMAC_SM3)
    event_kinds = models.JSONField("事件类型", default=list, blank=True, help_text="为空表示全部类型。")
    department_ids = models.JSONField("部门范围", default=list, blank=True, help_text="部门id列表；为空表示全部。")
    item_ids = models.JSONField("事项范围", default=list, blank=True, help_text="事项id列表；为空表示全部。")
    mapping = models.ForeignKey(Mapping, models.PROTECT, null=True, blank=True, related_name="destinations",
                                verbose_name="报送格式", help_text="为空时按本平台的格式发送。")
    # The department system's token that made the subscription: it sees this destination's log only.
    owner_token = models.ForeignKey("api.ApiToken", models.CASCADE, null=True, blank=True,
                                    related_name="subscriptions", verbose_name="订阅令牌")
    batch_size = models.PositiveSmallIntegerField("每批事件数", default=500)
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间")
    # A receiver that failed is left alone until then, whatever rows are due (one backoff per receiver).
    retry_at = models.DateTimeField("暂停投递至", null=True, blank=True)
    failures = models.PositiveIntegerField("连续失败次数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "数据接收方"
        ordering = ["kind", "code"]

    def __str__(self):
        return f"{self.name}（{self.get_kind_display()}）"


def token_valid(now) -> models.Q:
    """Destinations whose owner's token still holds: a webhook whose department system's token was revoked
    or has expired gets nothing more (the upper platforms have no token)."""
    return models.Q(owner_token__isnull=True) | models.Q(owner_token__revoked_at__isnull=True,
                                                          owner_token__expires_at__gt=now)


class Event(models.Model):
    """One thing that happened, as the outside world is told it. Its id is the idempotency key the
    receivers drop repeats by: the same for every destination, every retry and every replay."""

    # Not the primary key: an action's batched INSERT lets the database choose that, while the key is
    # known before the row goes in (its deliveries name it).
    key = models.UUIDField("事件标识", unique=True, default=uuid.uuid4)
    kind = models.CharField("类型", max_length=12, choices=EventKind.choices)
    case = models.ForeignKey("cases.Case", models.CASCADE, null=True, blank=True, related_name="exchange_events",
                             verbose_name="办件")
    # The case action's place in the case's trail, when an action made it.
    event_number = models.PositiveIntegerField("办件记录序号", null=True, blank=True)
    action = models.CharField("动作", max_length=30, blank=True)
    department_id = models.IntegerField("部门", null=True, blank=True)
    item_id = models.IntegerField("事项", null=True, blank=True)
    at = models.DateTimeField("发生时间")
    payload = models.JSONField("内容", default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "外发事件"
        ordering = ["-id"]
        indexes = [models.Index(fields=["at"], name="exchange_event_at")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.key}"


class Delivery(models.Model):
    """One event for one destination: the outbox row a sender claims, and the delivery log."""

    class Status(models.TextChoices):
        PENDING = "pending", "待投递"
        SENDING = "sending", "投递中"
        DELIVERED = "delivered", "已投递"
        FAILED = "failed", "投递失败"  # the dead-letter list: retries given up, resent by an administrator

    event = models.ForeignKey(Event, models.CASCADE, to_field="key", related_name="deliveries", verbose_name="事件")
    destination = models.ForeignKey(Destination, models.CASCADE, related_name="deliveries",
                                    verbose_name="接收方")
    # Copied from the event: per-case order is kept per destination and case, by id.
    case_id = models.IntegerField("办件", null=True, blank=True)
    # 0 for the first delivery; a replay of a period asked for by the receiver adds rows of round 1, 2 …
    round = models.PositiveSmallIntegerField("轮次", default=0)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试时间",
                                           help_text="待投递：何时可以投递；投递中：超过此时刻视为投递中断，可重新领取。")
    last_error = models.TextField("最近错误", blank=True)
    created_at = models.DateTimeField("写入时间")
    delivered_at = models.DateTimeField("投递时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "事件投递"
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["event", "destination", "round"], name="delivery_once")]
        indexes = [
            # What a sender claims: due rows not yet delivered, oldest first.
            models.Index(fields=["next_attempt_at"], name="delivery_due",
                         condition=models.Q(status__in=["pending", "sending"])),
            # Per-case order: is an earlier row of this case for this destination unfinished?
            models.Index(fields=["destination", "case_id", "id"], name="delivery_case_order",
                         condition=models.Q(status__in=["pending", "sending", "failed"])),
            # A destination's delivery log, newest first.
            models.Index(fields=["destination", "-id"], name="delivery_log"),
        ]

    def __str__(self):
        return f"{self.destination_id} {self.event_id} {self.get_status_display()}"


# -- webhooks: the administrator's view of department systems' subscriptions (webhook_admin.py) --------

class SubscriptionManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=Destination.Kind.WEBHOOK)


class Subscription(Destination):
    """The webhook destinations alone: made by department systems through the API, watched here."""

    objects = SubscriptionManager()

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "部门系统订阅"


class SubscriptionDeliveryManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(destination__kind=Destination.Kind.WEBHOOK)


class SubscriptionDelivery(Delivery):
    """The deliveries of webhook subscriptions: their delivery log as the centre reads it."""

    objects = SubscriptionDeliveryManager()

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "订阅投递记录"
