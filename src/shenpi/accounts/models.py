"""Staff users, their roles and department membership."""

import functools
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from . import ukey


class Role(models.Model):
    CLERK = "clerk"
    HANDLER = "handler"
    REVIEWER = "reviewer"
    APPROVER = "approver"
    LIAISON = "liaison"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    # 三权分立 (GB/T 22239-2019 level 3): the system administrator (ADMIN) runs the platform, the
    # security administrator manages accounts' credentials and second factors, the audit
    # administrator reads the security audit log; no one holds two of the three.
    SECURITY_ADMIN = "security_admin"
    AUDIT_ADMIN = "audit_admin"
    NAMES = {
        CLERK: "窗口人员",
        HANDLER: "承办人",
        REVIEWER: "审核人",
        APPROVER: "审批人(分管领导)",
        LIAISON: "部门联络员",
        SUPERVISOR: "监察员",
        ADMIN: "中心管理员",
        SECURITY_ADMIN: "安全管理员",
        AUDIT_ADMIN: "审计管理员",
    }
    # Roles that see every department's cases.
    CENTRE_WIDE = frozenset({SUPERVISOR, ADMIN})

    code = models.CharField("代码", max_length=20, primary_key=True)
    name = models.CharField("名称", max_length=30)

    class Meta:
        verbose_name = verbose_name_plural = "角色"

    def __str__(self):
        return self.name


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=50, blank=True)
    department = models.ForeignKey("catalog.Department", models.PROTECT, null=True, blank=True,
                                   related_name="staff", verbose_name="所属部门")
    window = models.ForeignKey("catalog.Window", models.SET_NULL, null=True, blank=True,
                               related_name="staff", verbose_name="所在窗口")
    roles = models.ManyToManyField(Role, blank=True, verbose_name="角色")
    on_duty = models.BooleanField("在岗", default=True)
    # For the few notices a person in charge must have at once (绿色通道 cases accepted): staff hear of
    # everything else by e-mail (shenpi.notifications).
    mobile = models.CharField("工作手机", max_length=20, blank=True, default="", db_default="",
                              help_text="接收绿色通道受理等短信提醒。")

    class Meta:
        verbose_name = verbose_name_plural = "工作人员"

    def __str__(self):
        return self.full_name or self.username

    def role_codes(self) -> frozenset[str]:
        if not hasattr(self, "_role_codes"):
            self._role_codes = frozenset(code for (code,) in roles_of().rows(user=self.pk)) \
                if self.pk is not None else frozenset()
        return self._role_codes

    def has_role(self, *codes: str) -> bool:
        return bool(self.role_codes() & set(codes))

    @property
    def sees_all_departments(self) -> bool:
        return self.is_superuser or bool(self.role_codes() & Role.CENTRE_WIDE)


@functools.cache
def roles_of():
    """A user's role codes from the link table alone, compiled once: every action asks for them."""
    from shenpi.prepared import Param, Prepared

    return Prepared(User.roles.through.objects.filter(user_id=Param("user", models.BigIntegerField()))
                    .values_list("role_id"))


class Absence(models.Model):
    """A period when a member of staff is away (年休假, 出差, 培训 …), in whole Asia/Shanghai days.

    While it lasts nobody hands them new steps while a colleague of the post is present, and their
    stand-in (AB角) works the steps they hold.
    """

    user = models.ForeignKey(User, models.CASCADE, related_name="absences", verbose_name="工作人员")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    reason = models.CharField("事由", max_length=100)
    recorded_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "离岗登记"
        ordering = ["-starts_on", "pk"]
        indexes = [models.Index(fields=["user", "ends_on"], name="absence_user_ends")]
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                              name="absence_ends_after_start")]

    def __str__(self):
        return f"{self.user} {self.starts_on}至{self.ends_on} {self.reason}"


class StandIn(models.Model):
    """The department's AB角 pairing: while A (the principal) is away, B (the stand-in) works A's steps."""

    principal = models.OneToOneField(User, models.CASCADE, related_name="stand_in_pairing", verbose_name="A角")
    stand_in = models.ForeignKey(User, models.CASCADE, related_name="standing_in_for", verbose_name="B角")
    recorded_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "AB角"
        ordering = ["principal"]

    def __str__(self):
        return f"{self.principal}（A角）— {self.stand_in}（B角）"


class CertificateDevice(TimestampMixin, ThrottlingMixin, Device):
    """A staff member's UKey (or other CA certificate holder) as the second factor.

    The security administrator registers the key's public half; at sign-in the server issues a random
    challenge, the UKey's local signer signs it and the signature is checked here against that key.
    ECDSA over NIST P-256 with SHA-256: the `cryptography` library signs and verifies no SM2.
    """

    public_key = models.TextField("公钥（PEM）")
    fingerprint = models.CharField("公钥指纹（SHA-256）", max_length=64)
    challenge = models.CharField("待签名的挑战", max_length=64, blank=True)
    challenge_valid_until = models.DateTimeField("挑战有效期至", null=True, blank=True)
    registered_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+",
                                      verbose_name="登记人")

    class Meta(Device.Meta):
        verbose_name = verbose_name_plural = "UKey数字证书"

    def get_throttle_factor(self):
        return getattr(settings, "OTP_CERTIFICATE_THROTTLE_FACTOR", 1)

    def issue_challenge(self, valid_seconds: int) -> str:
        """A fresh random challenge for the UKey to sign; the previous one no longer counts."""
        self.challenge = secrets.token_hex(32)
        self.challenge_valid_until = timezone.now() + timedelta(seconds=valid_seconds)
        self.save(update_fields=["challenge", "challenge_valid_until"])
        return self.challenge

    def verify_token(self, token):
        """token: the base64 DER ECDSA signature of the current challenge; a challenge signs in once."""
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        fresh = bool(self.challenge) and self.challenge_valid_until is not None \
            and timezone.now() <= self.challenge_valid_until
        if fresh and ukey.signature_matches(self.public_key, self.challenge, token):
            self.challenge, self.challenge_valid_until = "", None
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment(commit=True)
        return False


class PasswordHistory(models.Model):
    """The hash of a password a user has had (never the password): a new one may not repeat the last five."""

    user = models.ForeignKey(User, models.CASCADE, related_name="password_history", verbose_name="用户")
    password = models.CharField("密码哈希", max_length=128)
    created_at = models.DateTimeField("设置时间")

    class Meta:
        verbose_name = verbose_name_plural = "历史密码"
        indexes = [models.Index(fields=["user", "-created_at"], name="password_history_recent")]

    def __str__(self):
        return f"{self.user} @ {self.created_at:%Y-%m-%d %H:%M}"
