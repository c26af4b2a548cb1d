"""Applicant accounts (申请人账号): people and organisations who apply online.

An applicant is a Django user without department or roles (so every staff page refuses them)
plus an `Applicant` profile. Identifiers and the mobile number are personal data: stored
SM4-encrypted, found through a keyed SM3 blind index, shown masked.
"""

from django.conf import settings
from django.db import models

from shenpi.cases.models import ApplicantKind
from shenpi.crypto import EncryptedCharField


class Assurance(models.TextChoices):
    """How sure the platform is of who holds an account (身份认证等级)."""

    UNVERIFIED = "unverified", "未验证"  # registration begun, mobile not yet verified: cannot sign in
    REGISTERED = "registered", "注册用户"  # mobile verified
    REAL_NAME = "real_name", "实名认证"  # name and ID number checked by an identity service


class RealNameSource(models.TextChoices):
    IDENTITY_SERVICE = "identity_service", "身份核验服务"
    UNIFIED_SIGN_IN = "unified_sign_in", "统一身份认证平台"
    WINDOW = "window", "窗口现场核验"


class Applicant(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="applicant",
                                verbose_name="登录账号")
    kind = models.CharField("申请人类型", max_length=12, choices=ApplicantKind.choices)
    name = models.CharField("姓名/单位名称", max_length=200)
    id_number = EncryptedCharField("证件号码", help_text="个人为居民身份证号码，法人为统一社会信用代码。")
    # One account per identifier; the same index as Case.applicant_id_index finds the applicant's cases.
    id_index = models.CharField("证件号码索引", max_length=64, unique=True)
    id_masked = models.CharField("证件号码(脱敏)", max_length=24)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    mobile = EncryptedCharField("手机号码")
    mobile_index = models.CharField("手机号码索引", max_length=64, db_index=True)
    mobile_masked = models.CharField("手机号码(脱敏)", max_length=20)
    mobile_verified_at = models.DateTimeField("手机验证时间", null=True, blank=True,
                                              help_text="未验证的账号不能登录，也不占用证件号码。")
    real_name_verified_at = models.DateTimeField("实名认证时间", null=True, blank=True)
    real_name_source = models.CharField("实名认证方式", max_length=20, choices=RealNameSource.choices, blank=True)
    created_at = models.DateTimeField("注册时间")

    class Meta:
        verbose_name = verbose_name_plural = "申请人"
        ordering = ["-id"]

    def __str__(self):
        return f"{self.name}（{self.id_masked}）"

    @property
    def verified(self) -> bool:
        return self.mobile_verified_at is not None

    @property
    def assurance(self) -> str:
        if self.real_name_verified_at is not None:
            return Assurance.REAL_NAME
        return Assurance.REGISTERED if self.verified else Assurance.UNVERIFIED

    @property
    def real_name_verified(self) -> bool:
        return self.real_name_verified_at is not None

    @property
    def is_person(self) -> bool:
        return self.kind == ApplicantKind.PERSON


class MobileCode(models.Model):
    """A one-time code sent by SMS. Only a keyed digest of the code is kept.

    Codes for an account name its applicant; codes proving a mobile for a booking have none and
    are found by the mobile's blind index."""

    class Purpose(models.TextChoices):
        REGISTER = "register", "注册账号"
        RESET_PASSWORD = "reset_password", "重设密码"
        BOOKING = "booking", "网上预约"  # no account: the code proves the mobile a booking is made with

    # Kept when an unfinished registration is replaced, so the sending limits still count it.
    applicant = models.ForeignKey(Applicant, models.SET_NULL, null=True, blank=True, related_name="codes",
                                  verbose_name="申请人")
    purpose = models.CharField("用途", max_length=20, choices=Purpose.choices)
    mobile_index = models.CharField("手机号码索引", max_length=64)
    salt = models.CharField("盐", max_length=32)
    code_hash = models.CharField("验证码摘要", max_length=64)
    sent_at = models.DateTimeField("发送时间")
    expires_at = models.DateTimeField("失效时间")
    attempts = models.PositiveSmallIntegerField("错误次数", default=0)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "手机验证码"
        ordering = ["-id"]
        indexes = [models.Index(fields=["mobile_index", "sent_at"], name="mobilecode_mobile_sent")]

    def __str__(self):
        return f"{self.get_purpose_display()} {self.sent_at:%Y-%m-%d %H:%M}"
