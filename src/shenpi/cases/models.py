"""Cases (办件) and everything that happens to them.

State changes go through shenpi.cases.lifecycle only; these models hold data and small facts.
A case has step instances (CaseStep): one row per activation of a flow step, so returns leave
history behind, and steps sharing a seq (parallel approval) can run side by side.
"""

from django.conf import settings
from django.db import models

from shenpi.crypto import EncryptedCharField


class State(models.TextChoices):
    RECEIVED = "received", "待受理"
    CORRECTING = "correcting", "补正中"
    IN_PROGRESS = "in_progress", "办理中"
    SUSPENDED = "suspended", "暂停计时"
    DECIDING = "deciding", "待决定"
    DECIDED = "decided", "已决定待送达"
    COMPLETED = "completed", "已办结"
    REFUSED = "refused", "不予受理"
    WITHDRAWN = "withdrawn", "已撤回"
    VOIDED = "voided", "已作废"


OPEN_STATES = (State.RECEIVED, State.CORRECTING, State.IN_PROGRESS, State.SUSPENDED, State.DECIDING,
               State.DECIDED)
CLOSED_STATES = (State.COMPLETED, State.REFUSED, State.WITHDRAWN, State.VOIDED)
# States in which the legal clock of an accepted case runs.
CLOCK_RUNNING_STATES = (State.IN_PROGRESS, State.DECIDING, State.DECIDED)
_TIME_RULE_COLUMNS = ["promised_due", "promised_limit", "extension_days", "department_id", "id"]


class Channel(models.TextChoices):
    WINDOW = "window", "窗口受理"
    ONLINE = "online", "网上申报"
    API = "api", "部门系统接入"
    TOWN = "town", "乡镇(街道)便民服务中心"


class ApplicantKind(models.TextChoices):
    PERSON = "person", "个人"
    ORGANISATION = "organisation", "法人或其他组织"


class Decision(models.TextChoices):
    GRANT = "grant", "准予许可"
    DENY = "deny", "不予许可"


# The SM4-encrypted columns of a case: lists and pages that do not show them defer them, which spares
# a decryption per row (and a page reading many cases needs no key for what it does not show).
ENCRYPTED_FIELDS = ("query_code", "applicant_id", "contact_phone")


def without_secrets(prefix: str = "") -> list[str]:
    """Fields to defer(): the encrypted columns, of a related case when `prefix` is e.g. "case__"."""
    return [prefix + name for name in ENCRYPTED_FIELDS]


def source_label(source_name: str) -> str:
    return f"来源：{source_name}（部门自建系统）" if source_name else ""


class Case(models.Model):
    number = models.CharField("办件编号", max_length=24, unique=True)
    query_code = EncryptedCharField("查询密码")
    item = models.ForeignKey("catalog.Item", models.PROTECT, related_name="cases", verbose_name="事项")
    version = models.ForeignKey("catalog.ItemVersion", models.PROTECT, related_name="cases",
                                verbose_name="事项版本")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="cases",
                                   verbose_name="实施部门")
    window = models.ForeignKey("catalog.Window", models.SET_NULL, null=True, blank=True, verbose_name="受理窗口")
    channel = models.CharField("申报渠道", max_length=10, choices=Channel.choices, default=Channel.WINDOW)
    title = models.CharField("申请事项/项目名称", max_length=200, blank=True)
    # 投资项目统一代码 of the project the case belongs to (shenpi.joint): fixed at receipt.
    project_code = models.CharField("项目代码", max_length=24, blank=True, default="", db_default="",
                                    db_index=True)
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.RECEIVED)
    # 一厅双网: a case handled in a department's own system and registered here through the API
    # (shenpi.exchange.registration): that system's code and name, and its own case number.
    source_system = models.CharField("来源系统代码", max_length=40, blank=True, default="", db_default="")
    source_name = models.CharField("来源系统", max_length=100, blank=True, default="", db_default="")
    external_number = models.CharField("来源系统办件编号", max_length=64, blank=True, default="", db_default="")

    # The applicant as stated on the application; personal data is encrypted at rest.
    applicant_kind = models.CharField("申请人类型", max_length=12, choices=ApplicantKind.choices)
    applicant_name = models.CharField("申请人", max_length=200)
    applicant_id = EncryptedCharField("证件号码")
    applicant_id_index = models.CharField("证件号码索引", max_length=64, db_index=True)
    applicant_id_masked = models.CharField("证件号码(脱敏)", max_length=24)
    applicant_id_note = models.CharField("证件校验说明", max_length=200, blank=True,
                                         help_text="校验位不符但合法的试点地区代码，须记录受理理由。")
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = EncryptedCharField("联系电话", blank=True)
    contact_phone_masked = models.CharField("联系电话(脱敏)", max_length=20, blank=True)

    # Time is data: moments, and the dates derived from them with the calendar.
    received_at = models.DateTimeField("收件时间")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="收件人")
    correction_due = models.DateField("补正告知期限", help_text="收件后5个工作日(行政许可法第三十二条)。")
    correction_count = models.PositiveSmallIntegerField("补正次数", default=0)
    correction_requested_at = models.DateTimeField("补正告知时间", null=True, blank=True)
    corrected_at = models.DateTimeField("补正材料收齐时间", null=True, blank=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    accept_date = models.DateField("法定受理日", null=True, blank=True,
                                   help_text="计算时限的起点；逾期未告知补正的，自收件之日起即为受理。")
    promised_limit = models.PositiveIntegerField("承诺时限(工作日)")
    statutory_limit = models.PositiveIntegerField("法定时限(工作日)")
    extension_days = models.PositiveIntegerField("已延长(工作日)", default=0)
    stopped_days = models.PositiveIntegerField("已暂停(工作日)", default=0)
    clock_stopped_on = models.DateField("暂停计时起", null=True, blank=True)
    promised_due = models.DateField("承诺办结期限", null=True, blank=True, db_index=True)
    statutory_due = models.DateField("法定办结期限", null=True, blank=True)
    due_provisional = models.BooleanField("期限为估算", default=False,
                                          help_text="期限所在年度尚无国务院节假日通知。")
    decision = models.CharField("决定", max_length=6, choices=Decision.choices, blank=True)
    decision_reason = models.TextField("决定理由", blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    delivery_due = models.DateField("送达期限", null=True, blank=True,
                                    help_text="决定后10个工作日内送达(行政许可法第四十四条)。")
    completed_at = models.DateTimeField("办结时间", null=True, blank=True)
    used_days = models.PositiveIntegerField("实际用时(工作日)", null=True, blank=True)
    closing_reason = models.TextField("不予受理/撤回/作废理由", blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    notices_issued = models.PositiveSmallIntegerField("已出具文书数", default=0,
                                                      help_text="文书编号为“办件编号-序号”。")
    row_version = models.PositiveIntegerField("版本", default=0)
    # The head of the case's audit trail (shenpi.cases.trail), moved in the same UPDATE as the action.
    trail_head = models.CharField("审计链链头", max_length=64, blank=True,
                                  help_text="最新一条办件记录的SM3摘要。")
    trail_length = models.PositiveIntegerField("审计链记录数", default=0)
    # The seal of the latest event (trail.SEALED_FIELDS as it left the row): an action compares the row
    # it locks with it, so an edit made behind the platform's back is written into the next event.
    trail_seal = models.CharField("办件封存摘要", max_length=64, blank=True, default="", db_default="")

    class Meta:
        verbose_name = verbose_name_plural = "办件"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["department", "state", "promised_due"], name="case_dept_state_due"),
            # Supervision: decisions waiting for delivery, by delivery date (time.delivery, art. 44).
            models.Index(fields=["delivery_due"], name="case_decided_delivery",
                         condition=models.Q(state="decided")),
            models.Index(fields=["state", "promised_due"], name="case_state_due"),
            # Supervision (time.case): running cases by due date, with every column the rule reads, so
            # that it reads these small indexes alone and not the table; the second holds the few
            # extended cases, whose warning horizon is their own.
            models.Index(fields=_TIME_RULE_COLUMNS, name="case_running_due",
                         condition=models.Q(state__in=CLOCK_RUNNING_STATES)),
            models.Index(fields=_TIME_RULE_COLUMNS, name="case_extended_due",
                         condition=models.Q(state__in=CLOCK_RUNNING_STATES, extension_days__gt=0)),
            models.Index(fields=["department", "-id"], name="case_dept_recent"),
            models.Index(fields=["item", "-id"], name="case_item_recent"),
            models.Index(fields=["received_at"], name="case_received"),
            # Statistics of corrections (补正) by the day asked and the day complete: few cases, partial indexes.
            models.Index(fields=["correction_requested_at"], name="case_correction_asked",
                         condition=models.Q(correction_requested_at__isnull=False)),
            models.Index(fields=["corrected_at"], name="case_corrected",
                         condition=models.Q(corrected_at__isnull=False)),
            # The hall's wall screen: cases waiting to be accepted (待受理) today, per window, from the index alone.
            models.Index(fields=["received_at", "window"], name="case_waiting",
                         condition=models.Q(state="received")),
            # Performance assessment (shenpi.performance) counts what was accepted, completed or
            # refused in a month: each an indexed range, so a month reads its own rows only.
            models.Index(fields=["accepted_at"], name="case_accepted"),
            models.Index(fields=["completed_at"], name="case_completed"),
            # … and what was refused or withdrawn (statistics: the 结束 moment).
            models.Index(fields=["closed_at"], name="case_closed",
                         condition=models.Q(state__in=("refused", "withdrawn"))),
            # Prefix search by applicant name (LIKE '张%') on PostgreSQL whatever the collation.
            models.Index(fields=["applicant_name"], name="case_applicant_name", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            # A department system's case is registered once: a repeat finds it by its own number.
            models.UniqueConstraint(fields=["source_system", "external_number"], name="case_external_once",
                                    condition=~models.Q(source_system="")),
        ]

    def __str__(self):
        return f"{self.number} {self.applicant_name}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_outside(self) -> bool:
        """Handled in a department's own system and registered here (一厅双网)."""
        return bool(self.source_system)

    @property
    def source_label(self) -> str:
        """What every page says of an outside case's origin; empty for the platform's own cases."""
        return source_label(self.source_name) if self.source_system else ""

    @property
    def on_the_spot(self) -> bool:
        return self.promised_limit == 0


class CaseMaterial(models.Model):
    case = models.ForeignKey(Case, models.CASCADE, related_name="materials", verbose_name="办件")
    spec = models.ForeignKey("catalog.MaterialSpec", models.PROTECT, null=True, blank=True,
                             verbose_name="目录材料")
    name = models.CharField("材料名称", max_length=200)
    required = models.BooleanField("必需", default=True)
    received = models.BooleanField("已收取", default=False)
    # 容缺: accepted without it on the applicant's commitment; stays True once brought (received).
    deferred = models.BooleanField("容缺后补", default=False)
    due_on = models.DateField("容缺补交期限", null=True, blank=True,
                              help_text="受理时按事项的容缺材料补交时限（工作日）确定。")
    copies = models.PositiveSmallIntegerField("份数", default=0)
    # The electronic file: an online upload, or the window's scan of the paper (高拍仪/扫描仪),
    # checked by content (cases/files.py) and kept with its SM3 digest.
    file = models.FileField("电子材料", upload_to="materials/%Y/%m/", blank=True)
    file_name = models.CharField("文件名", max_length=200, blank=True)
    content_hash = models.CharField("SM3摘要", max_length=64, blank=True)
    content_type = models.CharField("文件类型", max_length=50, blank=True)
    size = models.PositiveIntegerField("大小(字节)", default=0)
    pages = models.PositiveIntegerField("页数", null=True, blank=True, help_text="PDF文件的页数。")
    received_at = models.DateTimeField("收取时间", null=True, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    # 审批结果共享: a result of an earlier case (its decision letter or licence) received as this
    # material without the applicant bringing it again.
    source_case = models.ForeignKey(Case, models.SET_NULL, null=True, blank=True,
                                    related_name="reused_as", verbose_name="来源办件")
    source_document = models.CharField("来源文书", max_length=200, blank=True, default="", db_default="")

    class Meta:
        verbose_name = verbose_name_plural = "办件材料"
        ordering = ["case", "spec__seq", "pk"]
        indexes = [
            # Supervision (proc.deferred_overdue): deferred materials still outstanding, by due date.
            models.Index(fields=["due_on"], name="material_deferred_due",
                         condition=models.Q(deferred=True, received=False)),
        ]

    def __str__(self):
        return self.name

    @property
    def shown_name(self) -> str:
        """The file's name as the person who brought it gave it (older rows have none: the material's)."""
        return self.file_name or self.name

    @property
    def kind_label(self) -> str:
        return {"application/pdf": "PDF", "image/jpeg": "JPG", "image/png": "PNG"}.get(self.content_type,
                                                                                      self.content_type)

    @property
    def source_label(self) -> str:
        """Where the file came from, as its note (written when it joined the case) says."""
        if self.source_case_id:
            return "审批结果共享"
        if self.note.startswith("窗口扫描"):
            return "窗口扫描上传"
        if self.note.startswith("网上补"):
            return "申请人网上补交"
        return "网上申报上传" if self.case.channel == Channel.ONLINE else "窗口扫描上传"

    @property
    def outstanding(self) -> bool:
        """Deferred under 容缺 and not brought yet."""
        return self.deferred and not self.received


class MaterialAccess(models.Model):
    """One opening of an applicant's file by a member of staff: who, when, which file, from where.

    Written in its own transaction before the file is sent, never updated. `reference` is the case
    number, or the online application's number for a file seen in pre-review before any case exists.
    """

    case = models.ForeignKey(Case, models.CASCADE, null=True, blank=True, related_name="material_accesses",
                             verbose_name="办件")
    material = models.ForeignKey(CaseMaterial, models.CASCADE, null=True, blank=True, related_name="accesses",
                                 verbose_name="办件材料")
    reference = models.CharField("办件/申报编号", max_length=24)
    material_name = models.CharField("材料名称", max_length=200)
    file_name = models.CharField("文件名", max_length=200)
    digest = models.CharField("SM3摘要", max_length=64, blank=True)
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="查阅人")
    viewer_name = models.CharField("查阅人姓名", max_length=200)
    at = models.DateTimeField("查阅时间")
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    inline = models.BooleanField("页面内预览", default=True, help_text="否：下载到本地。")

    class Meta:
        verbose_name = verbose_name_plural = "材料查阅记录"
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["case", "at"], name="material_access_case_at"),
            models.Index(fields=["reference", "at"], name="material_access_ref_at"),
        ]

    def __str__(self):
        return f"{self.reference} {self.file_name} {self.viewer_name}"



class DeferralCommitment(models.Model):
    """The applicant's written commitment (承诺) to bring the deferred materials by a date (容缺受理)."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="commitments", verbose_name="办件")
    signer = models.CharField("承诺人", max_length=200)
    text = models.TextField("承诺内容")
    materials = models.JSONField("容缺材料", default=list)
    due_on = models.DateField("补交期限")
    at = models.DateTimeField("承诺时间")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="记录人")

    class Meta:
        verbose_name = verbose_name_plural = "容缺受理承诺"
        ordering = ["case", "pk"]

    def __str__(self):
        return f"{self.signer}：{self.due_on:%Y-%m-%d}前补交{'、'.join(self.materials)}"


class CaseStep(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "办理中"
        DONE = "done", "已通过"
        RETURNED = "returned", "已退回"
        CANCELLED = "cancelled", "已终止"

    case = models.ForeignKey(Case, models.CASCADE, related_name="steps", verbose_name="办件")
    flow_step = models.ForeignKey("catalog.FlowStep", models.PROTECT, verbose_name="流程环节")
    seq = models.PositiveSmallIntegerField("顺序")
    name = models.CharField("环节", max_length=50)
    role = models.ForeignKey("accounts.Role", models.PROTECT, verbose_name="办理角色")
    department = models.ForeignKey("catalog.Department", models.PROTECT, verbose_name="办理部门")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                 related_name="assigned_steps", verbose_name="承办人")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField("开始时间")
    due_at = models.DateTimeField("环节期限", null=True, blank=True)
    own_limit = models.BooleanField("有独立时限", default=False)
    # A part worked by another department than the case's (并联审批): it makes the case visible there.
    cross_department = models.BooleanField("跨部门环节", default=False, db_default=False)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    finished_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="办理人")
    opinion = models.TextField("意见", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "办理环节"
        ordering = ["case", "pk"]
        indexes = [
            models.Index(fields=["status", "department", "due_at"], name="step_status_dept_due"),
            models.Index(fields=["assignee", "status"], name="step_assignee_status"),
            models.Index(fields=["department", "case"], name="step_cross_dept",
                         condition=models.Q(cross_department=True)),
            # Supervision: steps with their own allotment, by deadline (time.step).
            models.Index(fields=["due_at"], name="step_own_limit_due",
                         condition=models.Q(status="active", own_limit=True)),
        ]

    def __str__(self):
        return f"{self.case.number} {self.name}"


class ClockStop(models.Model):
    """A suspension: a special procedure (特别程序, art. 45) or a supplement request (补件)."""

    SUPPLEMENT = "supplement"

    case = models.ForeignKey(Case, models.CASCADE, related_name="clock_stops", verbose_name="办件")
    step = models.ForeignKey(CaseStep, models.SET_NULL, null=True, blank=True, verbose_name="环节")
    kind = models.ForeignKey("catalog.ProcedureKind", models.PROTECT, null=True, blank=True,
                             verbose_name="特别程序")
    kind_name = models.CharField("类型", max_length=30)
    reason = models.TextField("理由")
    expected_days = models.PositiveIntegerField("预计时长(工作日)")
    limit_days = models.PositiveIntegerField("时限(工作日)")
    limit_due = models.DateField("特别程序期限")
    resume_to = models.CharField("恢复后状态", max_length=12, choices=State.choices)
    started_at = models.DateTimeField("开始")
    ended_at = models.DateTimeField("结束", null=True, blank=True)
    stopped_days = models.PositiveIntegerField("暂停工作日", default=0)
    materials = models.JSONField("需补交的材料", default=list, blank=True,
                                 help_text="补件所列材料：[{name, problem, material}]，申请人可据此网上补交。")

    class Meta:
        verbose_name = verbose_name_plural = "暂停计时(特别程序/补件)"
        ordering = ["case", "pk"]
        # Suspensions begun in a month (performance assessment).
        # Ended ones by day (statistics: suspensions by length).
        indexes = [models.Index(fields=["started_at"], name="clockstop_started"),
                   models.Index(fields=["ended_at"], name="clockstop_ended",
                                condition=models.Q(ended_at__isnull=False))]

    def __str__(self):
        return f"{self.kind_name}：{self.reason}"

    @property
    def is_supplement(self) -> bool:
        return self.kind_id is None


class Extension(models.Model):
    case = models.ForeignKey(Case, models.CASCADE, related_name="extensions", verbose_name="办件")
    days = models.PositiveIntegerField("延长(工作日)")
    reason = models.TextField("理由")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, verbose_name="批准人")
    at = models.DateTimeField("批准时间")

    class Meta:
        verbose_name = verbose_name_plural = "延期"
        ordering = ["case", "pk"]

    def __str__(self):
        return f"延长{self.days}个工作日：{self.reason}"


class Notice(models.Model):
    """A written notice to the applicant; the PDF is rendered from these facts on demand."""

    class Kind(models.TextChoices):
        ACCEPTANCE = "acceptance", "受理通知书"
        CORRECTION = "correction", "补正材料通知书"
        REFUSAL = "refusal", "不予受理通知书"
        SPECIAL_PROCEDURE = "special_procedure", "特别程序告知书"
        SUPPLEMENT = "supplement", "补交材料告知书"
        EXTENSION = "extension", "延期告知书"
        GRANT = "grant", "准予行政许可决定书"
        DENIAL = "denial", "不予行政许可决定书"

    case = models.ForeignKey(Case, models.CASCADE, related_name="notices", verbose_name="办件")
    kind = models.CharField("文书", max_length=20, choices=Kind.choices)
    number = models.CharField("文号", max_length=40, unique=True)
    issued_at = models.DateTimeField("出具时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                  verbose_name="出具人")
    body = models.JSONField("内容", default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "告知文书"
        ordering = ["case", "pk"]
        # Correction notices (补正告知书) issued in a day (statistics).
        indexes = [models.Index(fields=["issued_at"], name="notice_correction_issued",
                                condition=models.Q(kind="correction"))]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"


class CaseEvent(models.Model):
    """Who did what, when, from where: one row per action, never updated, chained by SM3 hashes."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="events", verbose_name="办件")
    action = models.CharField("动作", max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                              verbose_name="操作人")
    actor_name = models.CharField("操作人姓名", max_length=60, blank=True)
    at = models.DateTimeField("时间", db_index=True)
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    from_state = models.CharField("原状态", max_length=12, blank=True)
    to_state = models.CharField("新状态", max_length=12)
    step = models.ForeignKey(CaseStep, models.SET_NULL, null=True, blank=True, verbose_name="环节")
    comment = models.TextField("意见/理由", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)
    # The audit chain (shenpi.cases.trail): SM3 of this row's content and of the case's previous event.
    prev_hash = models.CharField("上一条记录摘要", max_length=64, blank=True)
    hash = models.CharField("SM3摘要", max_length=64, blank=True)
    # The case row as this action left it (trail.SEALED_FIELDS): its SM3 seal, and a short checksum per
    # field that names what was edited. Empty on events written before cases were sealed.
    seal = models.CharField("办件封存摘要", max_length=64, blank=True, default="", db_default="")
    seal_map = models.TextField("办件字段校验码", blank=True, default="", db_default="")

    class Meta:
        verbose_name = verbose_name_plural = "办件记录"
        ordering = ["case", "pk"]

    def __str__(self):
        return f"{self.case_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class Publication(models.Model):
    """The outbox of case events (shenpi.cases.hooks): one row per event and subscriber, written in
    the action's transaction and delivered after it commits, in order per case, with retries."""

    class Status(models.TextChoices):
        PENDING = "pending", "待投递"
        SENDING = "sending", "投递中"
        DELIVERED = "delivered", "已投递"
        FAILED = "failed", "投递失败"

    subscriber = models.CharField("订阅者", max_length=60)
    case = models.ForeignKey(Case, models.CASCADE, related_name="publications", verbose_name="办件")
    # The event's place in the case's trail (1 = receipt): with the case, the event's identity.
    event_number = models.PositiveIntegerField("记录序号")
    action = models.CharField("动作", max_length=30)
    at = models.DateTimeField("发生时间")
    payload = models.JSONField("内容", default=dict)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试时间",
                                           help_text="待投递：何时可以投递；投递中：超过此时刻视为投递中断，可重新领取。")
    last_error = models.TextField("最近错误", blank=True)
    delivered_at = models.DateTimeField("投递时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "办件事件投递"
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["subscriber", "case", "event_number"],
                                               name="publication_once")]
        indexes = [
            # What a delivery pass claims: due rows not yet delivered, oldest first.
            models.Index(fields=["next_attempt_at"], name="publication_due",
                         condition=models.Q(status__in=["pending", "sending"])),
        ]

    def __str__(self):
        return f"{self.subscriber} {self.case_id}#{self.event_number} {self.action}"
