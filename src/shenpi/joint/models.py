"""Projects and stage approval (并联审批, SPEC C10): what a project is, the stage templates the centre
defines, and the stages opened from one form.

A stage (阶段) is several items of several departments applied for with one form and one set of
shared materials ("一张表单"). Opening it receives and accepts one case per item in that item's
department at once ("一窗受理、抄告相关、同步审批"); each case keeps its own item's rules and clock,
and the stage has its own promised total. The same mechanism serves 一件事一次办 bundles, which
have no project. Construction projects follow the national reform's four stages (立项用地规划许可,
工程建设许可, 施工许可, 竣工验收).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shenpi.cases.models import Case


class ProjectKind(models.TextChoices):
    # The fourth group of the 投资项目统一代码 (two digits).
    APPROVAL = "01", "审批"
    RATIFICATION = "02", "核准"
    FILING = "03", "备案"


class ProjectType(models.Model):
    """A kind of project with one promised total (e.g. 政府投资房屋建筑类): the reform promises each type a
    total of working days, split over its stages."""

    code = models.CharField("类型编码", max_length=30, unique=True)
    name = models.CharField("项目类型", max_length=100)
    promised_total = models.PositiveIntegerField(
        "承诺审批总时限(工作日)", help_text="对外承诺的全流程审批总时限，各阶段时限默认按改革方案的比例分配。")
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "项目类型"
        ordering = ["code"]

    def __str__(self):
        return self.name


class StageTemplate(models.Model):
    """What a stage asks for: its items (some conditional on the project's answers), its lead department,
    its promised total and which earlier results feed it. A bundle (一件事) is a template without a
    project type."""

    class Kind(models.TextChoices):
        STAGE = "stage", "项目审批阶段"
        BUNDLE = "bundle", "一件事一次办"

    code = models.CharField("模板编码", max_length=40, unique=True)
    name = models.CharField("阶段/一件事名称", max_length=100)
    kind = models.CharField("类型", max_length=8, choices=Kind.choices, default=Kind.STAGE)
    project_type = models.ForeignKey(ProjectType, models.PROTECT, null=True, blank=True, related_name="stages",
                                     verbose_name="项目类型")
    seq = models.PositiveSmallIntegerField("阶段顺序", default=1)
    lead_department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="+",
                                        verbose_name="牵头部门")
    promised_total = models.PositiveIntegerField("阶段承诺时限(工作日)")
    audience = models.CharField("服务对象", max_length=20, default="organisation",
                                choices=[("person", "个人"), ("organisation", "法人"), ("both", "个人和法人")])
    # Yes/no questions the form asks ([{"key", "label"}]); a conditional item is included when its
    # question is answered yes.
    questions = models.JSONField("情形问题", default=list, blank=True,
                                 help_text='如：[{"key": "civil_air_defence", "label": "是否需要建设防空地下室"}]')
    description = models.TextField("说明", blank=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "阶段模板"
        ordering = ["kind", "project_type", "seq", "code"]

    def __str__(self):
        return self.name


class StageItem(models.Model):
    template = models.ForeignKey(StageTemplate, models.CASCADE, related_name="items", verbose_name="阶段模板")
    item = models.ForeignKey("catalog.Item", models.PROTECT, related_name="+", verbose_name="事项")
    required = models.BooleanField("必办", default=True,
                                   help_text="必办事项不予许可的，阶段终止。")
    condition = models.CharField("适用情形", max_length=40, blank=True,
                                 help_text="留空则总是办理；填写情形问题的 key 则仅在回答“是”时办理。")
    seq = models.PositiveSmallIntegerField("顺序", default=1)

    class Meta:
        verbose_name = verbose_name_plural = "阶段事项"
        ordering = ["template", "seq", "pk"]
        constraints = [models.UniqueConstraint(fields=["template", "item"], name="stage_item_once")]

    def __str__(self):
        return f"{self.template} · {self.item}"


class ResultFeed(models.Model):
    """审批结果共享: the result of an earlier item (its decision letter or licence) is received as the
    material of this name in the later cases of the same project (or applicant), without uploading."""

    template = models.ForeignKey(StageTemplate, models.CASCADE, related_name="feeds", verbose_name="使用阶段")
    source_item = models.ForeignKey("catalog.Item", models.PROTECT, related_name="+", verbose_name="前置事项")
    material_name = models.CharField("作为材料", max_length=200, help_text="后续事项材料清单中的材料名称。")

    class Meta:
        verbose_name = verbose_name_plural = "审批结果共享"
        constraints = [models.UniqueConstraint(fields=["template", "source_item", "material_name"],
                                               name="result_feed_once")]

    def __str__(self):
        return f"{self.source_item} → {self.material_name}"


class JointSettings(models.Model):
    """The centre's settings for parallel approval: one row."""

    green_factor = models.PositiveSmallIntegerField(
        "绿色通道时限比例(%)", default=50,
        help_text="绿色通道项目的阶段和办件承诺时限按此比例压缩（不低于事项的最短承诺时限）。")
    stage_statutory_limit = models.PositiveSmallIntegerField(
        "联合办理法定时限(工作日)", default=45, help_text="行政许可法第四十二条第二款。")
    stage_extension_limit = models.PositiveSmallIntegerField(
        "联合办理可延长(工作日)", default=15, help_text="经本级人民政府负责人批准。")

    class Meta:
        verbose_name = verbose_name_plural = "并联审批设置"

    def __str__(self):
        return "并联审批设置"


class Project(models.Model):
    code = models.CharField("项目代码", max_length=24, unique=True,
                            help_text="投资项目统一代码：年份-行政区划-行业-类型-流水号，如 2026-330100-47-01-012345。")
    issued_here = models.BooleanField("本平台赋码", default=False)
    name = models.CharField("项目名称", max_length=200)
    owner_name = models.CharField("项目单位", max_length=200)
    owner_uscc = models.CharField("统一社会信用代码", max_length=18, db_index=True)
    location = models.CharField("建设地点", max_length=200)
    division = models.CharField("行政区划代码", max_length=6)
    district = models.ForeignKey("catalog.Department", models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name="所在区县", help_text="县(区)级部门树的节点，用于按区县筛选。")
    total_investment = models.DecimalField("总投资(万元)", max_digits=14, decimal_places=2)
    kind = models.CharField("项目类型(管理)", max_length=2, choices=ProjectKind.choices)
    industry = models.CharField("行业代码", max_length=2, help_text="国民经济行业分类(GB/T 4754)大类代码。")
    project_type = models.ForeignKey(ProjectType, models.PROTECT, related_name="projects", verbose_name="审批类型")
    lead_department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="led_projects",
                                        verbose_name="牵头部门")
    key_project = models.BooleanField("重点项目", default=False, db_index=True)
    green_channel = models.BooleanField("绿色通道", default=False)
    answers = models.JSONField("情形回答", default=dict, blank=True)
    created_at = models.DateTimeField("登记时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="登记人")

    class Meta:
        verbose_name = verbose_name_plural = "项目"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["key_project", "lead_department"], name="project_key_lead"),
                   # The key-project board's pages: newest first.
                   models.Index(fields=["key_project", "-created_at", "-id"], name="project_key_recent")]

    def __str__(self):
        return f"{self.code} {self.name}"


class Stage(models.Model):
    """A stage (or bundle) under way: its parts are cases; its clock runs while any open part's runs."""

    class State(models.TextChoices):
        OPEN = "open", "办理中"
        CONCLUDED = "concluded", "已办结"
        ENDED = "ended", "已终止"

    number = models.CharField("阶段编号", max_length=24, unique=True)
    template = models.ForeignKey(StageTemplate, models.PROTECT, related_name="+", verbose_name="阶段模板")
    project = models.ForeignKey(Project, models.PROTECT, null=True, blank=True, related_name="stages",
                                verbose_name="项目")
    name = models.CharField("阶段名称", max_length=100)
    lead_department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="+",
                                        verbose_name="牵头部门")
    applicant_name = models.CharField("申请人", max_length=200)
    applicant_id_index = models.CharField("证件号码索引", max_length=64, db_index=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    green = models.BooleanField("绿色通道", default=False)
    answers = models.JSONField("情形回答", default=dict, blank=True)
    form = models.JSONField("申报表单", default=dict, blank=True)
    opened_at = models.DateTimeField("受理时间")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name="受理人")
    accept_date = models.DateField("受理日")
    promised_total = models.PositiveIntegerField("承诺时限(工作日)")
    statutory_limit = models.PositiveIntegerField("法定时限(工作日)")
    extension_days = models.PositiveIntegerField("已延长(工作日)", default=0)
    stopped_days = models.PositiveIntegerField("已暂停(工作日)", default=0)
    clock_stopped_on = models.DateField("暂停计时起", null=True, blank=True)
    promised_due = models.DateField("承诺办结期限", db_index=True)
    statutory_due = models.DateField("法定办结期限")
    concluded_at = models.DateTimeField("办结时间", null=True, blank=True)
    used_days = models.PositiveIntegerField("实际用时(工作日)", null=True, blank=True)
    outcome = models.TextField("结论/终止理由", blank=True)
    row_version = models.PositiveIntegerField("版本", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "阶段"
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["state", "promised_due"], name="stage_state_due"),
                   # The key-project board's "late only": open stages whose clock runs, by project.
                   models.Index(fields=["project", "promised_due"], name="stage_open_running_due",
                                condition=models.Q(state="open", clock_stopped_on__isnull=True))]

    def __str__(self):
        return f"{self.number} {self.name}"


class StagePart(models.Model):
    stage = models.ForeignKey(Stage, models.CASCADE, related_name="parts", verbose_name="阶段")
    case = models.OneToOneField(Case, models.PROTECT, related_name="stage_part", verbose_name="办件")
    item = models.ForeignKey("catalog.Item", models.PROTECT, related_name="+", verbose_name="事项")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="+", verbose_name="部门")
    required = models.BooleanField("必办", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "阶段办件"
        ordering = ["stage", "pk"]

    def __str__(self):
        return f"{self.stage.number} · {self.case.number}"


class SharedMaterial(models.Model):
    """One material of a stage's shared set, brought once and received by every part that lists it."""

    stage = models.ForeignKey(Stage, models.CASCADE, related_name="shared_materials", verbose_name="阶段")
    name = models.CharField("材料名称", max_length=200)
    file = models.FileField("电子材料", upload_to="stages/%Y/%m/", blank=True)
    file_name = models.CharField("文件名", max_length=200, blank=True)
    content_hash = models.CharField("SM3摘要", max_length=64, blank=True)
    content_type = models.CharField("文件类型", max_length=50, blank=True)
    size = models.PositiveIntegerField("大小(字节)", default=0)
    pages = models.PositiveIntegerField("页数", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "共享材料"
        ordering = ["stage", "pk"]

    def __str__(self):
        return self.name


class StageExtension(models.Model):
    stage = models.ForeignKey(Stage, models.CASCADE, related_name="extensions", verbose_name="阶段")
    days = models.PositiveIntegerField("延长(工作日)")
    reason = models.TextField("理由")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                    verbose_name="批准人")
    at = models.DateTimeField("批准时间")

    class Meta:
        verbose_name = verbose_name_plural = "阶段延期"

    def __str__(self):
        return f"{self.stage.number} 延长{self.days}个工作日"


class JointReview(models.Model):
    """网上联审: the lead department's room on a stage or a case, with the invited departments' opinions."""

    class State(models.TextChoices):
        OPEN = "open", "联审中"
        CONCLUDED = "concluded", "已出具意见"

    number = models.CharField("联审编号", max_length=24, unique=True)
    stage = models.ForeignKey(Stage, models.PROTECT, null=True, blank=True, related_name="reviews",
                              verbose_name="阶段")
    case = models.ForeignKey(Case, models.PROTECT, null=True, blank=True, related_name="joint_reviews",
                             verbose_name="办件")
    title = models.CharField("联审事项", max_length=200)
    lead_department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="+",
                                        verbose_name="牵头部门")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                  verbose_name="发起人")
    opened_at = models.DateTimeField("发起时间")
    limit_days = models.PositiveSmallIntegerField("联审时限(工作日)")
    due_on = models.DateField("意见期限", db_index=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    conclusion = models.TextField("联审意见", blank=True)
    concluded_at = models.DateTimeField("出具时间", null=True, blank=True)
    concluded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name="出具人")

    class Meta:
        verbose_name = verbose_name_plural = "网上联审"
        ordering = ["-opened_at", "-pk"]
        constraints = [models.CheckConstraint(
            condition=models.Q(stage__isnull=False) | models.Q(case__isnull=False), name="review_on_stage_or_case")]

    def __str__(self):
        return f"{self.number} {self.title}"


class ReviewInvitation(models.Model):
    class Verdict(models.TextChoices):
        AGREE = "agree", "同意"
        CONDITIONAL = "conditional", "原则同意(附意见)"
        DISAGREE = "disagree", "不同意"

    review = models.ForeignKey(JointReview, models.CASCADE, related_name="invitations", verbose_name="联审")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="+", verbose_name="受邀部门")
    verdict = models.CharField("结论", max_length=12, choices=Verdict.choices, blank=True)
    opinion = models.TextField("意见", blank=True)
    # The first posting (what lateness is judged by); a revision before the conclusion sets revised_at.
    posted_at = models.DateTimeField("提交时间", null=True, blank=True)
    revised_at = models.DateTimeField("修改时间", null=True, blank=True)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name="提交人")

    class Meta:
        verbose_name = verbose_name_plural = "联审部门意见"
        ordering = ["review", "pk"]
        constraints = [models.UniqueConstraint(fields=["review", "department"], name="review_invited_once")]

    def __str__(self):
        return f"{self.review.number} · {self.department}"


class ReviewDocument(models.Model):
    """A shared material of the room (drawings as PDF)."""

    review = models.ForeignKey(JointReview, models.CASCADE, related_name="documents", verbose_name="联审")
    name = models.CharField("名称", max_length=200)
    file = models.FileField("文件", upload_to="reviews/%Y/%m/")
    content_hash = models.CharField("SM3摘要", max_length=64)
    size = models.PositiveIntegerField("大小(字节)")
    pages = models.PositiveIntegerField("页数")
    # [[width, height], …] of each page in PDF points, as shown (rotation applied): the room draws
    # the marks over the page image at the page's own proportions.
    page_sizes = models.JSONField("页面尺寸", default=list, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="上传人")
    added_at = models.DateTimeField("上传时间")

    class Meta:
        verbose_name = verbose_name_plural = "联审图纸材料"
        ordering = ["review", "pk"]

    def __str__(self):
        return self.name


class Annotation(models.Model):
    """A department's mark on a page of a drawing, with its comment, shown to every department."""

    document = models.ForeignKey(ReviewDocument, models.CASCADE, related_name="annotations", verbose_name="图纸")
    department = models.ForeignKey("catalog.Department", models.PROTECT, related_name="+", verbose_name="部门")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="标注人")
    page = models.PositiveIntegerField("页码")
    # Where on the page, as fractions of its width and height (0–1) from the top left.
    x = models.FloatField("横向位置")
    y = models.FloatField("纵向位置")
    comment = models.TextField("批注")
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = verbose_name_plural = "图纸批注"
        ordering = ["document", "page", "pk"]

    def __str__(self):
        return f"{self.document} 第{self.page}页：{self.comment[:20]}"
