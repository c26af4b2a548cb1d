"""The security audit log (安全审计): one append-only row per security-relevant event, SM3-chained.

Rows are never changed: the model refuses save() of an existing row and delete(), its queryset
refuses update() and delete(), and database triggers (migration 0002) refuse UPDATE and DELETE
but for the retention job's documented path (shenpi.security.retention). The chain and its head
are described in docs/security-audit.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AppendOnly(Exception):
    """A change to a recorded security event was attempted."""

    def __init__(self):
        super().__init__("安全审计记录只可追加，不可修改或删除。")


class SecurityEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly

    def delete(self):
        raise AppendOnly

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnly


class SecurityEvent(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "success", "成功"
        FAILURE = "failure", "失败"
        DENIED = "denied", "拒绝"

    at = models.DateTimeField("时间", db_index=True)
    action = models.CharField("事件", max_length=60)
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices)
    # A string reference: this app sits below shenpi.accounts. No constraint and DO_NOTHING: deleting an
    # account must not rewrite its events (the triggers would refuse it); `username` keeps who it was.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.DO_NOTHING, null=True, blank=True, related_name="+",
                             db_constraint=False, verbose_name="用户")
    username = models.CharField("用户名", max_length=150, blank=True)
    address = models.GenericIPAddressField("地址", null=True, blank=True)
    user_agent = models.CharField("浏览器", max_length=300, blank=True)
    target = models.CharField("对象", max_length=200, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)
    prev_hash = models.CharField("上一条摘要", max_length=64, blank=True)
    hash = models.CharField("SM3摘要", max_length=64)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "安全审计记录"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["action", "at"], name="security_event_action_at"),
            models.Index(fields=["username", "at"], name="security_event_username_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.username or '—'}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly


class SecurityChain(models.Model):
    """The chain head (one row): the hash of the latest event, how many rows the table holds, and
    `start`, the prev_hash the oldest kept row must have: "" until the retention job first deletes,
    then the hash of the last row it deleted."""

    ROW = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ROW)
    head = models.CharField("链头", max_length=64, blank=True)
    length = models.BigIntegerField("记录数", default=0)
    start = models.CharField("链起点", max_length=64, blank=True)
    purged = models.BigIntegerField("已按保存期限删除", default=0)
    purged_before = models.DateTimeField("已删除此前的记录", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "安全审计链头"

    def __str__(self):
        return f"{self.length} 条，链头 {self.head[:12]}"
