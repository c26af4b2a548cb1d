"""Certificates and the e-licence library (证照, 电子证照库).

A `Licence` is both the certificate issued after 准予 (制证: a PDF with the department's seal, a serial
number, a QR code to the public verification page, a PAdES signature any PDF reader shows and an SM2
signature over its data) and its entry in the library (GB/T 36904 identifier, holder, validity,
status), which later applications cite instead of a copy (一证通办, `Citation`).

A department's keys (`SigningKey`) keep only public parts here: the private keys live in files or an
HSM, named by `key_reference`, never in the database nor the repository.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shenpi.crypto import EncryptedCharField


class SigningKey(models.Model):
    """A department's signing identity: an SM2 key (国密 signature over a licence's data) and an X.509
    certificate with its key for the PAdES signature of the PDF; the seal image stamped on the page."""

    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="signing_keys",
                                   verbose_name="部门")
    label = models.CharField("名称", max_length=100)
    sm2_public_key = models.TextField("SM2公钥(PEM)")
    certificate = models.TextField("签名证书(PEM)", help_text="PAdES签名所用的X.509证书。")
    ca_certificate = models.TextField("CA证书(PEM)", blank=True)
    # Where the private keys are: "file:<directory>" or "hsm:<slot>/<label>" (docs/licences.md).
    key_reference = models.CharField("私钥位置", max_length=300)
    seal_image = models.FileField("印章图片", upload_to="licences/seals/", blank=True)
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("生成时间")

    class Meta:
        verbose_name = verbose_name_plural = "部门签章密钥"
        ordering = ["department", "-created_at"]

    def __str__(self):
        return f"{self.department} {self.label}"


class CertificateTemplate(models.Model):
    """How an item's result is drawn as a certificate: its title, type, validity and fields from the case."""

    class Layout(models.TextChoices):
        PORTRAIT = "portrait", "A4纵向"
        LANDSCAPE = "landscape", "A4横向"

    item = models.OneToOneField("catalog.Item", models.PROTECT, related_name="certificate_template",
                                verbose_name="事项")
    title = models.CharField("证照名称", max_length=100)
    # 证照类型代码 (GB/T 36904: the type part of the identifier), e.g. "11100000000000000X-001".
    type_code = models.CharField("证照类型代码", max_length=40)
    validity_years = models.PositiveSmallIntegerField("有效期(年)", null=True, blank=True,
                                                      help_text="留空为长期有效。")
    # [{"label": "项目名称", "source": "case.title"}, {"label": "建设规模", "source": "form.scale"}, …]
    fields = models.JSONField("证照字段", default=list)
    layout = models.CharField("版式", max_length=10, choices=Layout.choices, default=Layout.PORTRAIT)
    footer = models.CharField("附注", max_length=300, blank=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "证照模板"
        ordering = ["item__code"]

    def __str__(self):
        return self.title


class Licence(models.Model):
    """One issued certificate, kept as an e-licence."""

    class Status(models.TextChoices):
        VALID = "valid", "有效"
        REPLACED = "replaced", "已换发"
        CANCELLED = "cancelled", "已注销"
        REVOKED = "revoked", "已吊销"

    # GB/T 36904: root, type (21), issuer (18), serial (up to 20), version, check: up to ~90 characters.
    identifier = models.CharField("电子证照标识", max_length=100, unique=True)
    serial = models.CharField("证照编号", max_length=40, unique=True)
    case = models.ForeignKey("cases.Case", models.PROTECT, related_name="licences", verbose_name="办件")
    template = models.ForeignKey(CertificateTemplate, models.PROTECT, related_name="licences",
                                 verbose_name="证照模板")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="+", verbose_name="发证部门")
    type_code = models.CharField("证照类型代码", max_length=40)
    title = models.CharField("证照名称", max_length=100)
    holder_kind = models.CharField("持证主体类型", max_length=12)
    holder_name = models.CharField("持证主体", max_length=200)
    holder_id = EncryptedCharField("持证主体证件号码")
    holder_id_index = models.CharField("证件号码索引", max_length=64)
    holder_id_masked = models.CharField("证件号码(脱敏)", max_length=24)
    data = models.JSONField("证照信息", default=dict)
    issued_at = models.DateTimeField("发证时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name="制证人")
    valid_from = models.DateField("有效期起")
    valid_until = models.DateField("有效期至", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.VALID)
    status_changed_at = models.DateTimeField("状态变更时间", null=True, blank=True)
    status_reason = models.TextField("注销/吊销/换发理由", blank=True)
    status_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                          related_name="+", verbose_name="状态变更人")
    replaces = models.OneToOneField("self", models.PROTECT, null=True, blank=True, related_name="replaced_by",
                                    verbose_name="换发自")
    pdf = models.FileField("证照文件", upload_to="licences/%Y/%m/", blank=True)
    pdf_digest = models.CharField("PDF SM3摘要", max_length=64, blank=True)
    signing_key = models.ForeignKey(SigningKey, models.PROTECT, related_name="+", verbose_name="签章密钥")
    signed_data = models.TextField("签名原文", help_text="证照信息的规范化JSON。")
    sm2_signature = models.TextField("SM2签名(Base64)")

    class Meta:
        verbose_name = verbose_name_plural = "电子证照"
        ordering = ["-issued_at"]
        indexes = [
            # 我的证照 and 一证通办: a holder's licences by type.
            models.Index(fields=["holder_id_index", "type_code"], name="licence_holder_type"),
            models.Index(fields=["department", "-issued_at"], name="licence_dept_recent"),
        ]

    def __str__(self):
        return f"{self.title} {self.serial}"


class Citation(models.Model):
    """一证通办: a licence the holder already has, received as a case's material instead of an upload,
    with the verification the platform made when it was cited."""

    material = models.OneToOneField("cases.CaseMaterial", models.CASCADE, related_name="citation",
                                    verbose_name="办件材料")
    licence = models.ForeignKey(Licence, models.PROTECT, related_name="citations", verbose_name="电子证照")
    cited_at = models.DateTimeField("引用时间")
    verified = models.BooleanField("验证通过", default=False)
    verification = models.CharField("验证结果", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "证照引用"
        ordering = ["-cited_at"]

    def __str__(self):
        return f"{self.material} ← {self.licence}"
