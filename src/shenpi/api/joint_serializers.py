"""Request and response shapes of projects, stages (and 一件事 bundles) and joint reviews.

Docstrings and help texts are published in the schema, in Chinese. The context of every output
serializer carries `today` and `calendar` (the working-day calendar), which the clocks are read with.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shenpi.cases import deadlines
from shenpi.cases.models import ApplicantKind, Channel, State
from shenpi.catalog.models import Department
from shenpi.joint import clock as stage_clock
from shenpi.joint import reviews
from shenpi.joint.models import JointReview, ProjectKind, ProjectType, ReviewInvitation, Stage, StageTemplate

from .serializers import STATE_HELP, DepartmentRefSerializer

# -- projects: input ----------------------------------------------------------------------------------


class ProjectFilterSerializer(serializers.Serializer):
    key_project = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="重点项目")
    green_channel = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="绿色通道")
    lead_department = serializers.CharField(required=False, max_length=32, help_text="牵头部门编码")
    district = serializers.CharField(required=False, max_length=32, help_text="所在区县（部门编码）")
    industry = serializers.RegexField(r"^\d{2}$", required=False, help_text="行业代码（两位）",
                                      error_messages={"invalid": "行业代码应为两位数字。"})
    code = serializers.CharField(required=False, max_length=24, help_text="项目代码（开头部分亦可）")
    q = serializers.CharField(required=False, max_length=100, help_text="项目名称或项目单位名称中的关键词")


def _department_field(help_text: str, required: bool = True):
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), required=required, allow_null=not required,
        help_text=help_text,
        error_messages={"does_not_exist": "部门编码“{value}”不存在。", "invalid": "部门编码格式不正确。"})


class ProjectCreateSerializer(serializers.Serializer):
    """登记项目：填写其他平台赋予的项目代码，或留空由本平台赋码。"""

    code = serializers.CharField(required=False, allow_blank=True, default="", max_length=24, help_text=(
        "投资项目统一代码，如 2026-330100-47-01-012345；留空则由本平台按年份、行政区划、行业、类型赋码"))
    name = serializers.CharField(max_length=200, help_text="项目名称")
    owner_name = serializers.CharField(max_length=200, help_text="项目单位")
    owner_uscc = serializers.CharField(max_length=30, help_text="项目单位统一社会信用代码")
    location = serializers.CharField(max_length=200, help_text="建设地点")
    division = serializers.CharField(max_length=6, help_text="行政区划代码（6位，GB/T 2260）")
    district = _department_field("所在区县（部门编码，可选）", required=False)
    total_investment = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="总投资（万元）")
    kind = serializers.ChoiceField(choices=ProjectKind.choices, help_text="01 审批、02 核准、03 备案")
    industry = serializers.CharField(max_length=2, help_text="国民经济行业分类大类代码（两位）")
    project_type = serializers.SlugRelatedField(
        slug_field="code", queryset=ProjectType.objects.all(), help_text="审批类型编码（承诺总时限所依据的项目类型）",
        error_messages={"does_not_exist": "审批类型“{value}”不存在。", "invalid": "审批类型编码格式不正确。"})
    lead_department = _department_field("牵头部门编码")
    key_project = serializers.BooleanField(default=False, help_text="重点项目")
    green_channel = serializers.BooleanField(default=False, help_text="绿色通道（承诺时限按中心设定的比例压缩）")
    answers = serializers.DictField(child=serializers.BooleanField(), required=False, default=dict,
                                    help_text="情形问题的回答（问题 key → 是/否），作为各阶段申报的默认回答")


# -- projects and stages: output ----------------------------------------------------------------------

class ProjectTypeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    promised_total = serializers.IntegerField(help_text="承诺审批总时限（工作日）")


class TemplateRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="阶段模板编码")
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=StageTemplate.Kind.choices, help_text="stage 项目审批阶段；bundle 一件事")
    seq = serializers.IntegerField(help_text="阶段顺序")


class StageClockSerializer(serializers.Serializer):
    """阶段总时限：各办件并联计时；仅当所有未办结的办件都暂停计时时，阶段才暂停计时。"""

    accept_date = serializers.DateField(help_text="受理日（时限起算日，不计入）")
    promised_total = serializers.IntegerField(help_text="阶段承诺时限（工作日；绿色通道已压缩）")
    statutory_limit = serializers.IntegerField(help_text="联合办理法定时限（工作日，行政许可法第四十二条）")
    extension_days = serializers.IntegerField(help_text="经批准延长的工作日")
    stopped_days = serializers.IntegerField(help_text="已暂停的工作日（已恢复的部分）")
    stopped = serializers.BooleanField(help_text="正在暂停计时（所有未办结的办件均暂停）")
    stopped_since = serializers.DateField(allow_null=True)
    used_days = serializers.IntegerField(help_text="已用工作日（不含暂停）；办结后为实际用时")
    days_left = serializers.IntegerField(allow_null=True, help_text="距承诺期限剩余工作日（负数为已超期）；已办结为空")
    promised_due = serializers.DateField(help_text="承诺办结期限")
    statutory_due = serializers.DateField(help_text="法定办结期限")
    overdue = serializers.BooleanField(help_text="办理中、仍在计时且已超过承诺期限")
    concluded_at = serializers.DateTimeField(allow_null=True)


class PartItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="事项编码")
    name = serializers.CharField(help_text="受理时所依据版本的事项名称")


class StagePartSerializer(serializers.Serializer):
    case = serializers.CharField(source="case.number", help_text="办件编号（办件详情见 /api/v1/cases/{number}/）")
    item = serializers.SerializerMethodField()
    department = DepartmentRefSerializer(help_text="实施部门")
    required = serializers.BooleanField(help_text="必办事项（不予许可则阶段终止）")
    state = serializers.ChoiceField(source="case.state", choices=State.choices, help_text=STATE_HELP)
    state_label = serializers.CharField(source="case.get_state_display")
    promised_due = serializers.DateField(source="case.promised_due", allow_null=True, help_text="办件承诺办结期限")
    clock_stopped = serializers.SerializerMethodField(help_text="办件正在暂停计时")
    overdue = serializers.SerializerMethodField(help_text="办件已超过承诺期限且仍在计时")
    decision = serializers.CharField(source="case.decision", help_text="grant 准予、deny 不予许可；未决定为空")

    @extend_schema_field(PartItemSerializer)
    def get_item(self, part) -> dict:
        return {"code": part.item.code, "name": part.case.version.name}

    def get_clock_stopped(self, part) -> bool:
        return part.case.clock_stopped_on is not None

    def get_overdue(self, part) -> bool:
        return deadlines.is_case_overdue(part.case.state, part.case.promised_due, self.context["today"])


class SharedMaterialSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="材料名称")
    file_name = serializers.CharField(help_text="文件名")
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="字节数")
    pages = serializers.IntegerField(allow_null=True, help_text="PDF 页数")
    content_hash = serializers.CharField(help_text="SM3 摘要")


class StageSerializer(serializers.Serializer):
    """阶段（或一件事）：一张表单、一套材料，各部门并联办理，一个总时限。"""

    number = serializers.CharField(help_text="阶段编号")
    name = serializers.CharField()
    template = TemplateRefSerializer()
    project = serializers.CharField(source="project.code", allow_null=True, default=None,
                                    help_text="项目代码；一件事为空")
    lead_department = DepartmentRefSerializer(help_text="牵头部门")
    applicant_name = serializers.CharField()
    state = serializers.ChoiceField(choices=Stage.State.choices,
                                    help_text="open 办理中；concluded 已办结；ended 已终止")
    state_label = serializers.CharField(source="get_state_display")
    green = serializers.BooleanField(help_text="绿色通道")
    answers = serializers.DictField(child=serializers.BooleanField(), help_text="情形问题的回答")
    opened_at = serializers.DateTimeField()
    clock = serializers.SerializerMethodField()
    outcome = serializers.CharField(help_text="办结结论或终止理由")
    parts = StagePartSerializer(many=True, help_text="各部门的办件")
    shared_materials = SharedMaterialSerializer(many=True, help_text="一次提交、各办件共用的材料（不含文件内容）")
    row_version = serializers.IntegerField()

    @extend_schema_field(StageClockSerializer)
    def get_clock(self, stage) -> dict:
        today, calendar = self.context["today"], self.context["calendar"]
        running = stage.state == Stage.State.OPEN
        return {
            "accept_date": stage.accept_date, "promised_total": stage.promised_total,
            "statutory_limit": stage.statutory_limit, "extension_days": stage.extension_days,
            "stopped_days": stage.stopped_days, "stopped": stage.clock_stopped_on is not None,
            "stopped_since": stage.clock_stopped_on,
            "used_days": (stage.used_days if not running and stage.used_days is not None
                          else stage_clock.stage_used_days(stage, calendar, today)),
            "days_left": stage_clock.stage_days_left(stage, calendar, today) if running else None,
            "promised_due": stage.promised_due, "statutory_due": stage.statutory_due,
            "overdue": running and stage.clock_stopped_on is None and today > stage.promised_due,
            "concluded_at": stage.concluded_at,
        }


class StageSummarySerializer(serializers.Serializer):
    number = serializers.CharField()
    name = serializers.CharField()
    template = TemplateRefSerializer()
    project = serializers.CharField(source="project.code", allow_null=True, default=None)
    lead_department = DepartmentRefSerializer()
    applicant_name = serializers.CharField()
    state = serializers.ChoiceField(choices=Stage.State.choices)
    state_label = serializers.CharField(source="get_state_display")
    green = serializers.BooleanField()
    opened_at = serializers.DateTimeField()
    accept_date = serializers.DateField()
    promised_due = serializers.DateField()
    clock_stopped_on = serializers.DateField(allow_null=True)
    concluded_at = serializers.DateTimeField(allow_null=True)


# -- joint reviews ------------------------------------------------------------------------------------

class InvitationSerializer(serializers.Serializer):
    department = DepartmentRefSerializer(help_text="受邀部门")
    verdict = serializers.ChoiceField(choices=[("", "尚未提交"), *ReviewInvitation.Verdict.choices],
                                      help_text="agree 同意；conditional 原则同意（附意见）；disagree 不同意；"
                                                "空为尚未提交")
    verdict_label = serializers.SerializerMethodField()
    opinion = serializers.CharField()
    posted_at = serializers.DateTimeField(allow_null=True)
    posted_by = serializers.CharField(source="posted_by.__str__", allow_null=True, default=None)
    late = serializers.SerializerMethodField(help_text="逾期：过了意见期限仍未提交，或在期限之后才提交")

    def get_verdict_label(self, invitation) -> str:
        return invitation.get_verdict_display() if invitation.verdict else "尚未提交"

    def get_late(self, invitation) -> bool:
        review = invitation.review
        if invitation.posted_at is not None:
            answered = timezone.localdate(invitation.posted_at)
        elif review.concluded_at is not None:  # concluded without it: late if the due day had passed
            answered = timezone.localdate(review.concluded_at)
        else:
            answered = self.context["today"]
        return answered > review.due_on




class MarkSerializer(serializers.Serializer):
    """图纸上的一处标注：各部门可见。"""

    id = serializers.IntegerField()
    department = DepartmentRefSerializer(help_text="标注部门")
    author = serializers.CharField(source="author.__str__")
    page = serializers.IntegerField()
    x = serializers.FloatField(help_text="距页面左边的比例（0—1）")
    y = serializers.FloatField(help_text="距页面上边的比例（0—1）")
    comment = serializers.CharField()
    at = serializers.DateTimeField()


class AnnotationSerializer(MarkSerializer):
    review = serializers.CharField(source="document.review.number", help_text="联审编号")
    document = serializers.IntegerField(source="document_id", help_text="图纸材料编号")


class ReviewDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="图纸材料编号（标注时引用）")
    name = serializers.CharField()
    content_hash = serializers.CharField(help_text="SM3 摘要")
    size = serializers.IntegerField()
    pages = serializers.IntegerField()
    added_at = serializers.DateTimeField()
    annotations = MarkSerializer(many=True, help_text="各部门在图纸上的标注，按标注先后")


class JointReviewSerializer(serializers.Serializer):
    """网上联审：牵头部门发起，受邀部门在期限内提交意见，牵头部门出具联审意见。"""

    number = serializers.CharField(help_text="联审编号")
    title = serializers.CharField()
    stage = serializers.CharField(source="stage.number", allow_null=True, default=None, help_text="阶段编号")
    case = serializers.CharField(source="case.number", allow_null=True, default=None, help_text="办件编号")
    lead_department = DepartmentRefSerializer()
    opened_at = serializers.DateTimeField()
    limit_days = serializers.IntegerField(help_text="联审时限（工作日）")
    due_on = serializers.DateField(help_text="意见期限")
    state = serializers.ChoiceField(choices=JointReview.State.choices, help_text="open 联审中；concluded 已出具意见")
    state_label = serializers.CharField(source="get_state_display")
    conclusion = serializers.CharField(help_text="联审意见（牵头部门出具）")
    concluded_at = serializers.DateTimeField(allow_null=True)
    invitations = InvitationSerializer(many=True)
    documents = ReviewDocumentSerializer(many=True, help_text="共享的图纸材料（不含文件内容）")


class OpinionSerializer(serializers.Serializer):
    """受邀部门提交或修改本部门的联审意见（联审出具意见前可修改）。"""

    verdict = serializers.ChoiceField(choices=ReviewInvitation.Verdict.choices,
                                      help_text="agree 同意；conditional 原则同意（附意见）；disagree 不同意")
    opinion = serializers.CharField(required=False, allow_blank=True, default="", max_length=reviews.OPINION_MAX,
                                    help_text="具体意见；附意见或不同意的必填，同意的可空（记为“同意。”）")


class AnnotationCreateSerializer(serializers.Serializer):
    """在联审图纸的某一页上标注，附批注，各部门可见。"""

    document = serializers.IntegerField(help_text="图纸材料编号（联审详情 documents[].id）")
    page = serializers.IntegerField(min_value=1, help_text="页码，从 1 起")
    x = serializers.FloatField(min_value=0, max_value=1, help_text="横向位置：距页面左边的比例（0—1）")
    y = serializers.FloatField(min_value=0, max_value=1, help_text="纵向位置：距页面上边的比例（0—1）")
    comment = serializers.CharField(max_length=reviews.COMMENT_MAX, help_text="批注内容")


class StageFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=StageTemplate.Kind.choices, required=False,
                                   help_text="stage 项目审批阶段；bundle 一件事")
    state = serializers.ChoiceField(choices=Stage.State.choices, required=False)
    project = serializers.CharField(required=False, max_length=24, help_text="项目代码")


class ReviewFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=JointReview.State.choices, required=False)
    stage = serializers.CharField(required=False, max_length=24, help_text="阶段编号")
    department = serializers.CharField(required=False, max_length=32, help_text="牵头或受邀部门编码")


# -- the project page ---------------------------------------------------------------------------------

class ReusedResultSerializer(serializers.Serializer):
    case = serializers.CharField(source="case.number", help_text="使用该结果的办件")
    material = serializers.CharField(source="name", help_text="作为该办件的材料")
    source_case = serializers.CharField(source="source_case.number", help_text="出具结果的办件")
    source_document = serializers.CharField(help_text="结果文书（名称与文号）")
    content_hash = serializers.CharField(help_text="SM3 摘要（有电子文件时）")


class ProjectCaseSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="办件编号")
    item = serializers.SerializerMethodField()
    department = DepartmentRefSerializer(help_text="实施部门")
    state = serializers.ChoiceField(choices=State.choices, help_text=STATE_HELP)
    state_label = serializers.CharField(source="get_state_display")
    promised_due = serializers.DateField(allow_null=True, help_text="承诺办结期限")
    overdue = serializers.SerializerMethodField(help_text="已超过承诺期限且仍在计时")
    decision = serializers.CharField(help_text="grant 准予、deny 不予许可；未决定为空")

    @extend_schema_field(PartItemSerializer)
    def get_item(self, case) -> dict:
        return {"code": case.item.code, "name": case.version.name}

    def get_overdue(self, case) -> bool:
        return deadlines.is_case_overdue(case.state, case.promised_due, self.context["today"])


class ProjectSummarySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="投资项目统一代码")
    issued_here = serializers.BooleanField(help_text="由本平台赋码")
    name = serializers.CharField()
    owner_name = serializers.CharField(help_text="项目单位")
    owner_uscc = serializers.CharField(help_text="项目单位统一社会信用代码")
    location = serializers.CharField()
    division = serializers.CharField(help_text="行政区划代码")
    district = DepartmentRefSerializer(allow_null=True, help_text="所在区县")
    total_investment = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="总投资（万元）")
    kind = serializers.ChoiceField(choices=ProjectKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    industry = serializers.CharField(help_text="行业代码")
    project_type = ProjectTypeSerializer()
    lead_department = DepartmentRefSerializer()
    key_project = serializers.BooleanField()
    green_channel = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class ProjectDetailSerializer(ProjectSummarySerializer):
    """项目全貌：一次调用取得显示项目页所需的一切。"""

    answers = serializers.DictField(child=serializers.BooleanField())
    stages = StageSerializer(many=True, source="api_stages", help_text="各阶段（含各部门办件与阶段时限）")
    reviews = JointReviewSerializer(many=True, source="api_reviews", help_text="项目阶段或办件上的网上联审")
    reused_results = ReusedResultSerializer(many=True, source="api_reused",
                                            help_text="审批结果共享：前序结果作为后续办件的材料")
    other_cases = ProjectCaseSerializer(many=True, source="api_other_cases",
                                        help_text="带本项目代码、但不属于任何阶段的办件（单独申报）")


# -- stage templates and opening a stage --------------------------------------------------------------

class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class TemplateItemSerializer(serializers.Serializer):
    code = serializers.CharField(source="item.code", help_text="事项编码")
    name = serializers.CharField(help_text="事项名称（当前发布版本）")
    department = DepartmentRefSerializer(source="item.department")
    required = serializers.BooleanField(help_text="必办")
    condition = serializers.CharField(help_text="适用情形：情形问题的 key，回答“是”时才办理；空为总是办理")


class NeededMaterialSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="材料名称（申报时 material_names 中的名称）")
    required = serializers.BooleanField()
    items = serializers.ListField(child=serializers.CharField(), help_text="需要该材料的事项编码")


class StageTemplateSerializer(serializers.Serializer):
    """阶段或一件事的模板：事项、情形问题与一张材料清单。"""

    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=StageTemplate.Kind.choices, help_text="stage 项目审批阶段；bundle 一件事")
    project_type = ProjectTypeSerializer(allow_null=True)
    seq = serializers.IntegerField()
    lead_department = DepartmentRefSerializer()
    promised_total = serializers.IntegerField(help_text="阶段承诺时限（工作日）")
    audience = serializers.CharField(help_text="person 个人；organisation 法人；both 个人和法人")
    description = serializers.CharField()
    questions = QuestionSerializer(many=True, help_text="情形问题（是/否）")
    items = TemplateItemSerializer(many=True, source="api_items")
    materials_needed = NeededMaterialSerializer(many=True, source="api_materials", help_text=(
        "所有事项的材料合并为一张清单（同名材料只交一次）；条件事项的材料仅在该情形回答“是”时需要"))


class TemplateFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=StageTemplate.Kind.choices, required=False)
    project_type = serializers.CharField(required=False, max_length=30, help_text="审批类型编码")


class StageCreateSerializer(serializers.Serializer):
    """申报一个阶段或一件事：一张表单、一套共用材料，每个事项在其部门同时收件并受理。

    含文件时以 multipart/form-data 提交：material_names 与 material_files 按顺序一一对应。"""

    template = serializers.SlugRelatedField(
        slug_field="code", queryset=StageTemplate.objects.all(), help_text="阶段或一件事的模板编码",
        error_messages={"does_not_exist": "模板“{value}”不存在。", "invalid": "模板编码格式不正确。"})
    project = serializers.CharField(required=False, allow_blank=True, max_length=24,
                                    help_text="项目代码（项目审批阶段必填；一件事不填）")
    applicant_kind = serializers.ChoiceField(choices=ApplicantKind.choices, required=False, help_text=(
        "申请人类型；项目阶段默认为法人（项目单位）"))
    applicant_name = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                           help_text="申请人；项目阶段默认为项目单位")
    applicant_id_number = serializers.CharField(required=False, allow_blank=True, max_length=30,
                                                help_text="证件号码；项目阶段默认为项目单位统一社会信用代码")
    applicant_id_note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    contact_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=50)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.WINDOW, help_text="申报渠道")
    yes = serializers.ListField(child=serializers.CharField(max_length=40), required=False, help_text=(
        "回答“是”的情形问题 key；不填时沿用项目登记时的回答"))
    material_names = serializers.ListField(child=serializers.CharField(max_length=200), required=False,
                                           default=list, help_text="上传的共用材料名称（模板 materials_needed[].name）")
    material_files = serializers.ListField(child=serializers.FileField(), required=False, default=list,
                                           help_text="与 material_names 按顺序对应的文件（PDF、JPG、PNG，按内容校验）")

    def validate(self, attrs):
        names, uploads = attrs.get("material_names", []), attrs.get("material_files", [])
        if len(names) != len(uploads):
            raise serializers.ValidationError({"material_files": [
                f"material_names 有{len(names)}项，material_files 有{len(uploads)}个文件，应一一对应。"]})
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise serializers.ValidationError({"material_names": [f"材料“{'、'.join(repeated)}”重复提交。"]})
        return attrs
