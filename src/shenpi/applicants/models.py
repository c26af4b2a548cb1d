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
    # One opened account per identifier (see Meta); the same index as Case.applicant_id_index finds the
    # applicant's cases — once the account is real-name verified.
    id_index = models.CharField("证件号码索引", max_length=64, db_index=True)
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
    # Set when the identifier was reclaimed by its verified holder: the account keeps its login
    # (by mobile number) but holds no identifier any more and sees no case filed under one.
    identity_released_at = models.DateTimeField("证件号码被找回时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "申请人"
        ordering = ["-id"]
        constraints = [
            # An unfinished registration does not hold the identifier: the holder and a newcomer coexist
            # until the newcomer proves by 实名认证 that the identifier is theirs (证件号码找回).
            models.UniqueConstraint(fields=["id_index"], condition=models.Q(mobile_verified_at__isnull=False),
                                    name="applicant_one_open_account_per_id"),
        ]

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
    def assurance_label(self) -> str:
        return Assurance(self.assurance).label

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


class Role(models.TextChoices):
    """Who carried out an organisation's 实名认证 (a person verifies as themselves)."""

    SELF = "self", "本人"
    LEGAL_REPRESENTATIVE = "legal_representative", "法定代表人"
    AGENT = "agent", "授权代理人"


class RealNameVerification(models.Model):
    """One successful 实名认证 of an account: who acted, in what role, checked how."""

    applicant = models.ForeignKey(Applicant, models.CASCADE, related_name="verifications", verbose_name="申请人")
    source = models.CharField("认证方式", max_length=20, choices=RealNameSource.choices)
    role = models.CharField("办理人身份", max_length=24, choices=Role.choices)
    actor_name = models.CharField("办理人姓名", max_length=50)
    actor_id_masked = models.CharField("办理人证件号码(脱敏)", max_length=24)
    actor_id_index = models.CharField("办理人证件号码索引", max_length=64)
    representative = models.CharField("法定代表人", max_length=50, blank=True)
    authorisation = models.FileField("授权委托书", upload_to="identity/authorisations/%Y/%m/", blank=True)
    reference = models.CharField("核验流水号", max_length=64, blank=True)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name="核验窗口人员")
    verified_at = models.DateTimeField("认证时间")

    class Meta:
        verbose_name = verbose_name_plural = "实名认证记录"
        ordering = ["-id"]

    def __str__(self):
        return f"{self.applicant} {self.get_source_display()} {self.verified_at:%Y-%m-%d %H:%M}"


class IdentityReclaim(models.Model):
    """证件号码找回: the verified holder of an identifier took it from an account that was not verified."""

    previous = models.ForeignKey(Applicant, models.PROTECT, related_name="identity_lost", verbose_name="原账号")
    reclaimer = models.ForeignKey(Applicant, models.PROTECT, related_name="identity_reclaimed",
                                  verbose_name="找回账号")
    id_masked = models.CharField("证件号码(脱敏)", max_length=24)
    source = models.CharField("实名认证方式", max_length=20, choices=RealNameSource.choices)
    reclaimed_at = models.DateTimeField("找回时间")

    class Meta:
        verbose_name = verbose_name_plural = "证件号码找回记录"
        ordering = ["-id"]

    def __str__(self):
        return f"{self.id_masked} {self.reclaimed_at:%Y-%m-%d %H:%M}"


class CaseClaim(models.Model):
    """添加办件: a case the account added with its number and query code, so it sees it before 实名认证."""

    applicant = models.ForeignKey(Applicant, models.CASCADE, related_name="claims", verbose_name="申请人")
    case = models.ForeignKey("cases.Case", models.CASCADE, related_name="+", verbose_name="办件")
    claimed_at = models.DateTimeField("添加时间")

    class Meta:
        verbose_name = verbose_name_plural = "添加的办件"
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["applicant", "case"], name="caseclaim_once")]

    def __str__(self):
        return f"{self.applicant} {self.case_id}"
