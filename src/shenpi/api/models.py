"""API tokens (接口令牌): only a digest of the key is kept, with its holder, scope and lifetime.

The key is shown once, when the token is made (shenpi.api.tokens.create). Its first characters
(the prefix) are kept in clear so that a key found in a log or a script can be told apart and
revoked. The scope lists department and item ids (JSON, so that the one-query authentication
reads it with the token row): an empty department list means the holder's own department, an
empty item list every item of those departments; `can_act` adds the actions (办理) to reading.
"""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens",
                             verbose_name="持有人")
    name = models.CharField("用途", max_length=100, help_text="调用方系统或脚本的名称，便于识别。")
    prefix = models.CharField("前缀", max_length=16, unique=True, help_text="密钥的开头，用于识别，不能用于调用。")
    key_hash = models.CharField("密钥摘要", max_length=64, unique=True)
    department_ids = models.JSONField("部门范围", default=list, blank=True,
                                      help_text="部门id列表；为空表示持有人本部门。")
    item_ids = models.JSONField("事项范围", default=list, blank=True,
                                help_text="事项id列表；为空表示范围内部门的全部事项。")
    can_act = models.BooleanField("可办理", default=False,
                                  help_text="否：只能查询；是：可查询和办理（收件、受理、审核等）。")
    created_at = models.DateTimeField("创建时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name="创建人")
    expires_at = models.DateTimeField("失效时间")
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"
        ordering = ["-id"]

    def __str__(self):
        return f"{self.prefix}… {self.name}"
