"""Online applications (网上申报) and their pre-review (预审) by the window.

An application is the applicant's own until the window accepts it: then a normal case is
received and accepted (channel 网上申报) and the application points at it. Supervision watches
`status`, `prereview_due` and `department` (the rule proc.prereview_late).
"""

from django.conf import settings
from django.db import models


class OnlineApplication(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "待预审"
        CORRECTING = "correcting", "待补正"
        ACCEPTED = "accepted", "已受理"
        REFUSED = "refused", "不予受理"

    number = models.CharField("申报编号", max_length=24, unique=True)
    applicant = models.ForeignKey("applicants.Applicant", models.PROTECT, related_name="applications",
                                  verbose_name="申请人")
    item = models.ForeignKey("catalog.Item", models.PROTECT, related_name="online_applications", verbose_name="事项")
    version = models.ForeignKey("catalog.ItemVersion", models.PROTECT, related_name="online_applications",
                                verbose_name="事项版本")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="online_applications",
                                   verbose_name="实施部门")
    title = models.CharField("申请事项/项目名称", max_length=200, blank=True)
    data = models.JSONField("申请表内容", default=dict, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField("创建时间")
    updated_at = models.DateTimeField("最近保存")
    first_submitted_at = models.DateTimeField("首次提交时间", null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True,
                                        help_text="最近一次进入预审的时间(补正后重新提交时更新)。")
    prereview_due = models.DateField("预审期限", null=True, blank=True,
                                     help_text="提交后2个工作日内预审(即收即审)。")
    decided_at = models.DateTimeField("预审办结时间", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="预审人")
    case = models.OneToOneField("cases.Case", models.PROTECT, null=True, blank=True,
                                related_name="online_application", verbose_name="办件")
    refusal_reason = models.TextField("不予受理理由", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "网上申报"
        ordering = ["-id"]
        indexes = [
            # The window's queue and the supervision rule: waiting applications by department and due date.
            models.Index(fields=["status", "department", "prereview_due"], name="online_status_dept_due"),
            models.Index(fields=["status", "submitted_at"], name="online_status_submitted"),
        ]

    def __str__(self):
        return f"{self.number} {self.version.name}"

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.CORRECTING)

    # What the applicant notification templates read from a case (办件编号, 申请人, 理由).
    @property
    def applicant_name(self) -> str:
        return self.applicant.name

    @property
    def closing_reason(self) -> str:
        return self.refusal_reason


class Upload(models.Model):
    """One material's electronic file, checked by its content and kept with its SM3 digest."""

    application = models.ForeignKey(OnlineApplication, models.CASCADE, related_name="uploads",
                                    verbose_name="网上申报")
    spec = models.ForeignKey("catalog.MaterialSpec", models.PROTECT, related_name="+", verbose_name="目录材料")
    file = models.FileField("文件", upload_to="online/%Y/%m/")
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=50)
    size = models.PositiveIntegerField("大小(字节)")
    pages = models.PositiveIntegerField("页数", null=True, blank=True, help_text="PDF文件的页数。")
    digest = models.CharField("SM3摘要", max_length=64)
    uploaded_at = models.DateTimeField("上传时间")
    superseded_at = models.DateTimeField("被替换时间", null=True, blank=True,
                                         help_text="提交后被重新上传替换的文件仍保留，以备核查。")

    class Meta:
        verbose_name = verbose_name_plural = "电子材料"
        ordering = ["application", "spec__seq", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "spec"], condition=models.Q(superseded_at__isnull=True),
                                    name="online_upload_one_current"),
        ]

    def __str__(self):
        return self.name

    @property
    def kind_label(self) -> str:
        return {"application/pdf": "PDF", "image/jpeg": "JPG", "image/png": "PNG"}.get(self.content_type,
                                                                                      self.content_type)


class CorrectionNotice(models.Model):
    """一次性告知: everything missing or wrong, listed once. The database allows one per application."""

    application = models.OneToOneField(OnlineApplication, models.CASCADE, related_name="correction_notice",
                                       verbose_name="网上申报")
    items = models.JSONField("需补正的材料", default=list,
                             help_text="[{spec, name, problem}]：材料、问题与补正要求。")
    note = models.TextField("说明", blank=True)
    issued_at = models.DateTimeField("告知时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="告知人")

    class Meta:
        verbose_name = verbose_name_plural = "一次性补正告知"

    def __str__(self):
        return f"{self.application.number} 补正告知"

    def spec_ids(self) -> set[int]:
        return {int(entry["spec"]) for entry in self.items if entry.get("spec")}


class ApplicationEvent(models.Model):
    """Each stage of an application: what happened, when, by whom. Never updated."""

    class Action(models.TextChoices):
        CREATE = "create", "创建草稿"
        SUBMIT = "submit", "提交申请"
        REQUEST_CORRECTION = "request_correction", "一次性告知补正"
        RESUBMIT = "resubmit", "补正后重新提交"
        ACCEPT = "accept", "预审通过，已受理"
        REFUSE = "refuse", "不予受理"

    application = models.ForeignKey(OnlineApplication, models.CASCADE, related_name="events",
                                    verbose_name="网上申报")
    action = models.CharField("动作", max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="操作人")
    actor_name = models.CharField("操作人姓名", max_length=200, blank=True)
    at = models.DateTimeField("时间")
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    from_status = models.CharField("原状态", max_length=12, blank=True)
    to_status = models.CharField("新状态", max_length=12)
    comment = models.TextField("理由/说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "网上申报记录"
        ordering = ["application", "at", "pk"]

    def __str__(self):
        return f"{self.application_id} {self.get_action_display()}"


class StageApplication(models.Model):
    """一件事 or project stage applied for online: one form, each material uploaded once.

    The applicant picks a bundle (企业开办…) or, for an organisation, a stage of its own project (by the
    project's code), answers the template's questions and uploads the one material list. The
    comprehensive window pre-reviews it like an online application; accepting it opens the stage
    (shenpi.joint.services.open_stage, channel 网上申报), one case per included item, all at once.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "待预审"
        CORRECTING = "correcting", "待补正"
        ACCEPTED = "accepted", "已受理"
        REFUSED = "refused", "不予受理"

    number = models.CharField("申报编号", max_length=24, unique=True)
    applicant = models.ForeignKey("applicants.Applicant", models.PROTECT, related_name="stage_applications",
                                  verbose_name="申请人")
    template = models.ForeignKey("joint.StageTemplate", models.PROTECT, related_name="online_applications",
                                 verbose_name="一件事/阶段")
    project = models.ForeignKey("joint.Project", models.PROTECT, null=True, blank=True,
                                related_name="online_applications", verbose_name="项目")
    title = models.CharField("申请名称", max_length=200, blank=True,
                             help_text="一件事为拟办理的名称（如拟设立企业名称）；项目阶段默认为项目名称。")
    answers = models.JSONField("情形回答", default=dict, blank=True)
    data = models.JSONField("申请表内容", default=dict, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField("创建时间")
    updated_at = models.DateTimeField("最近保存")
    first_submitted_at = models.DateTimeField("首次提交时间", null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    prereview_due = models.DateField("预审期限", null=True, blank=True)
    decided_at = models.DateTimeField("预审办结时间", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="预审人")
    stage = models.OneToOneField("joint.Stage", models.PROTECT, null=True, blank=True,
                                 related_name="online_application", verbose_name="阶段/一件事")
    refusal_reason = models.TextField("不予受理理由", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "一件事/阶段网上申报"
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "submitted_at"], name="stage_app_status_submitted")]

    def __str__(self):
        return f"{self.number} {self.template.name}"

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.CORRECTING)

    # What the applicant notification templates read (办件编号, 申请人, 理由).
    @property
    def applicant_name(self) -> str:
        return self.applicant.name

    @property
    def closing_reason(self) -> str:
        return self.refusal_reason

    @property
    def version(self):
        """What the templates name as the thing applied for (their `case.version.name`)."""
        return self.template


class StageUpload(models.Model):
    """The file of one material of the stage's one list (by its name), checked by content, kept once."""

    application = models.ForeignKey(StageApplication, models.CASCADE, related_name="uploads",
                                    verbose_name="一件事/阶段申报")
    material = models.CharField("材料名称", max_length=200)
    file = models.FileField("文件", upload_to="online/%Y/%m/")
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=50)
    size = models.PositiveIntegerField("大小(字节)")
    pages = models.PositiveIntegerField("页数", null=True, blank=True)
    digest = models.CharField("SM3摘要", max_length=64)
    uploaded_at = models.DateTimeField("上传时间")
    superseded_at = models.DateTimeField("被替换时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "一件事/阶段电子材料"
        ordering = ["application", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "material"], condition=models.Q(superseded_at__isnull=True),
                                    name="stage_upload_one_current"),
        ]

    def __str__(self):
        return self.name

    @property
    def kind_label(self) -> str:
        return {"application/pdf": "PDF", "image/jpeg": "JPG", "image/png": "PNG"}.get(self.content_type,
                                                                                      self.content_type)


class StageCorrectionNotice(models.Model):
    """一次性告知 of a stage application: every material to correct, listed once (one per application)."""

    application = models.OneToOneField(StageApplication, models.CASCADE, related_name="correction_notice",
                                       verbose_name="一件事/阶段申报")
    items = models.JSONField("需补正的材料", default=list, help_text="[{name, problem, upload}]")
    note = models.TextField("说明", blank=True)
    issued_at = models.DateTimeField("告知时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="告知人")

    class Meta:
        verbose_name = verbose_name_plural = "一件事/阶段补正告知"

    def __str__(self):
        return f"{self.application.number} 补正告知"

    def names(self) -> set[str]:
        return {entry["name"] for entry in self.items}


class StageApplicationEvent(models.Model):
    """Each step of a stage application: what happened, when, by whom. Never updated."""

    application = models.ForeignKey(StageApplication, models.CASCADE, related_name="events",
                                    verbose_name="一件事/阶段申报")
    action = models.CharField("动作", max_length=20, choices=ApplicationEvent.Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="操作人")
    actor_name = models.CharField("操作人姓名", max_length=200, blank=True)
    at = models.DateTimeField("时间")
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    from_status = models.CharField("原状态", max_length=12, blank=True)
    to_status = models.CharField("新状态", max_length=12)
    comment = models.TextField("理由/说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "一件事/阶段申报记录"
        ordering = ["application", "at", "pk"]

    def __str__(self):
        return f"{self.application_id} {self.get_action_display()}"
