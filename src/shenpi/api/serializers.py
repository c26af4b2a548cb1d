"""Request and response shapes of the API (and of its OpenAPI schema).

Docstrings of serializers become descriptions in the published schema, so they are in Chinese.

Serializers only type and shape data: what an action requires, who may do it and what it
changes are decided by shenpi.cases.services and lifecycle, which answer with field errors of
their own.
"""

from __future__ import annotations

import datetime as dt

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shenpi.cases import lifecycle, services
from shenpi.cases.models import ApplicantKind, CaseStep, Channel, Decision, Notice, State
from shenpi.catalog.models import FlowStep, Item, ItemVersion, MaterialSpec
from shenpi.security import audit

from . import presenters

STATE_HELP = "；".join(f"{value} = {label}" for value, label in State.choices)


# Named in settings (ENUM_NAME_OVERRIDES): other apps' endpoints have an `action` field of their own.
CASE_ACTIONS = [(a, t.label) for a, t in lifecycle.TRANSITIONS.items()]


# -- errors ---------------------------------------------------------------------------------------

class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=(
        "invalid（数据有误，400）、parse_error（请求体不是合法 JSON，400）、not_authenticated / "
        "authentication_failed（未登录或令牌无效，401）、forbidden / csrf_failed（无权办理或缺少 CSRF 令牌，403）、"
        "not_found（不存在或无权查看，404）、method_not_allowed（405）、refused（当前状态或流程不允许，409）、"
        "conflict（办件已被他人更新，409）、server_error（500）。"))
    detail = serializers.CharField(help_text="给人看的说明（简体中文）。")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="出错的字段及原因；嵌套字段以点号连接，如 applicant.id_number、materials.0.spec。")


# -- shared pieces --------------------------------------------------------------------------------

class DepartmentRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="部门编码")
    name = serializers.CharField(help_text="部门名称")


class WindowRefSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="窗口号")
    name = serializers.CharField(help_text="窗口名称")


class MissingMaterialSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, help_text="需补正的材料名称")
    problem = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                    help_text="问题，如“未提交”“缺少盖章”；留空为“未提交”。")


def _person_name(user) -> str | None:
    return str(user) if user is not None else None


# -- items ----------------------------------------------------------------------------------------

class ItemFilterSerializer(serializers.Serializer):
    department = serializers.CharField(required=False, max_length=32, help_text="实施部门编码")
    type = serializers.ChoiceField(choices=ItemVersion.Type.choices, required=False, help_text="事项类型")
    q = serializers.CharField(required=False, max_length=100, help_text="事项名称中的关键词")


class ItemSummarySerializer(serializers.Serializer):
    code = serializers.CharField(source="item.code", help_text="事项编码（同一事项、同一编码）")
    name = serializers.CharField(help_text="事项名称")
    type = serializers.ChoiceField(choices=ItemVersion.Type.choices)
    type_label = serializers.CharField(source="get_type_display")
    department = DepartmentRefSerializer(source="item.department")
    version = serializers.IntegerField(source="number", help_text="当前发布的版本号")
    promised_limit = serializers.IntegerField(help_text="承诺时限（工作日；0 为即办件）")
    statutory_limit = serializers.IntegerField(help_text="法定时限（工作日）")
    on_the_spot = serializers.BooleanField(help_text="即办件")
    online_depth = serializers.ChoiceField(choices=ItemVersion.OnlineDepth.choices, help_text="网办深度")
    max_visits = serializers.IntegerField(help_text="最多跑动次数")
    free_of_charge = serializers.BooleanField(help_text="不收费")
    published_at = serializers.DateTimeField(allow_null=True)


class MaterialSpecSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="收件时在 materials[].spec 中引用")
    seq = serializers.IntegerField()
    name = serializers.CharField()
    required = serializers.BooleanField()
    form = serializers.ChoiceField(choices=MaterialSpec.Form.choices)
    form_label = serializers.CharField(source="get_form_display")
    copies = serializers.IntegerField()
    deferrable = serializers.BooleanField(help_text="允许容缺受理")
    note = serializers.CharField()
    template = serializers.FileField(use_url=True, allow_null=True, help_text="表格模板下载地址")


class FeeSerializer(serializers.Serializer):
    name = serializers.CharField()
    standard = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True,
                                      help_text="按件定额的金额（元）；按面积等计算的为空")
    basis = serializers.CharField(help_text="收费依据")


class FlowStepSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="顺序；相同顺序的环节并联办理")
    name = serializers.CharField()
    role = serializers.CharField(source="role_id")
    role_name = serializers.CharField(source="role.name")
    department = DepartmentRefSerializer(allow_null=True, help_text="办理部门；为空时为事项的实施部门")
    limit = serializers.IntegerField(allow_null=True, help_text="环节时限；为空时沿用办件时限")
    limit_unit = serializers.ChoiceField(choices=FlowStep.LimitUnit.choices)


class ProcedureLimitSerializer(serializers.Serializer):
    kind = serializers.CharField(source="kind.code", help_text="特别程序代码（暂停计时 suspend 的 kind 参数）")
    name = serializers.CharField(source="kind.name")
    limit_days = serializers.IntegerField(help_text="时限（工作日）")


class ItemDetailSerializer(ItemSummarySerializer):
    audience = serializers.ChoiceField(choices=ItemVersion.Audience.choices)
    legal_basis = serializers.CharField(help_text="设定依据")
    conditions = serializers.CharField(help_text="申请条件")
    extension_limit = serializers.IntegerField(help_text="可延长时限（工作日）")
    joint_handling = serializers.BooleanField(help_text="联合办理/集中办理")
    fee_basis = serializers.CharField()
    result_name = serializers.CharField(help_text="审批结果（证照/批文名称）")
    where = serializers.CharField()
    office_hours = serializers.CharField()
    how_to_apply = serializers.CharField()
    contact_phone = serializers.CharField()
    materials = MaterialSpecSerializer(many=True)
    fees = FeeSerializer(many=True)
    steps = FlowStepSerializer(many=True, help_text="办理流程")
    procedures = ProcedureLimitSerializer(many=True, source="itemprocedure_set",
                                          help_text="允许的特别程序及其时限")


# -- cases: input ---------------------------------------------------------------------------------

class ApplicantSerializer(serializers.Serializer):
    """申请人：收件时录入；证件号码与电话仅对办件实施部门的工作人员、收件人和超级用户显示原文。"""

    kind = serializers.ChoiceField(choices=ApplicantKind.choices, help_text="申请人类型")
    kind_label = serializers.CharField(read_only=True)
    name = serializers.CharField(max_length=200, help_text="申请人姓名或单位名称")
    id_number = serializers.CharField(max_length=30, help_text=(
        "个人为身份证号码（GB 11643），法人为统一社会信用代码（GB 32100）；输出时按权限脱敏。"))
    id_note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="", help_text=(
        "统一社会信用代码校验位不符但合法（早期试点地区）时须写明受理理由。"))
    contact_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                  help_text="联系电话；输出时按权限脱敏")
    masked = serializers.BooleanField(read_only=True, help_text="证件号码与电话是否为脱敏值")


class MaterialInputSerializer(serializers.Serializer):
    spec = serializers.IntegerField(help_text="事项材料编号（事项详情 materials[].id）")
    received = serializers.BooleanField(help_text="已收取")
    copies = serializers.IntegerField(min_value=0, max_value=999, required=False,
                                      help_text="份数；不填时按目录规定份数")
    deferred = serializers.BooleanField(default=False, help_text="容缺后补（仅限允许容缺的材料）")


# What the window may decide in the same call as receiving (one business action).
WINDOW_DECISIONS = [(a, lifecycle.TRANSITIONS[a].label)
                    for a in ("accept", "request_correction", "refuse", "handle_on_the_spot")]


class CaseCreateSerializer(serializers.Serializer):
    item = serializers.SlugRelatedField(
        slug_field="code", queryset=Item.objects.all(), help_text="事项编码",
        error_messages={"does_not_exist": "事项编码“{value}”不存在。", "invalid": "事项编码格式不正确。"})
    applicant = ApplicantSerializer()
    materials = MaterialInputSerializer(many=True, required=False, default=list, help_text=(
        "按事项材料清单逐项登记；未列出的材料视为未收取。"))
    channel = serializers.ChoiceField(choices=Channel.choices, help_text="申报渠道")
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                  help_text="申请事项/项目名称")
    decision = serializers.ChoiceField(choices=WINDOW_DECISIONS, required=False, help_text=(
        "可选：收件的同时当场作出的决定。accept 受理；request_correction 一次性告知补正（须填 missing）；"
        "refuse 不予受理（须填 reason）；handle_on_the_spot 即办办结（仅限即办件）。"
        "收件与决定在同一事务中完成：决定被拒绝时连收件也不会保存。"))
    missing = MissingMaterialSerializer(many=True, required=False, help_text="request_correction：需补正的全部材料")
    reason = serializers.CharField(required=False, allow_blank=True, help_text="refuse：不予受理理由")
    opinion = serializers.CharField(required=False, allow_blank=True, help_text="handle_on_the_spot：办理意见")
    comment = serializers.CharField(required=False, allow_blank=True, help_text="request_correction：补正说明")
    commitment = serializers.BooleanField(required=False, help_text=(
        "accept / handle_on_the_spot：有容缺材料时必须为 true，表示申请人已书面承诺在事项规定的期限内补交"))

    def validate_materials(self, value):
        specs = [m["spec"] for m in value]
        repeated = sorted({s for s in specs if specs.count(s) > 1})
        if repeated:
            raise serializers.ValidationError(f"材料{repeated}重复登记。")
        return value


class ActionSerializer(serializers.Serializer):
    """办件操作：action 加上该操作需要的参数（其余参数可省略）。"""

    action = serializers.ChoiceField(choices=CASE_ACTIONS)
    expected_version = serializers.IntegerField(min_value=0, help_text=(
        "读取办件时得到的 row_version；办件已被他人更新时返回 409 conflict，什么也不改变。"))
    opinion = serializers.CharField(required=False, allow_blank=True, help_text="pass / grant：意见")
    reason = serializers.CharField(required=False, allow_blank=True, help_text=(
        "refuse / return / transfer / request_supplement / suspend / extend / deny / withdraw / void：理由（必填）"))
    comment = serializers.CharField(required=False, allow_blank=True, help_text="request_correction / resume：说明")
    missing = MissingMaterialSerializer(many=True, required=False, help_text="request_correction：需补正的全部材料")
    materials = serializers.ListField(child=serializers.IntegerField(), required=False, help_text=(
        "supplement：补齐的办件材料编号；request_supplement：需补交的办件材料编号；"
        "receive_deferred：申请人补交的容缺材料编号（办件 materials[].id）"))
    commitment = serializers.BooleanField(required=False, help_text=(
        "accept / handle_on_the_spot：有容缺材料时必须为 true，表示申请人已书面承诺在事项规定的期限内补交"))
    commitment_signer = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                              help_text="accept：容缺受理承诺人，默认为联系人或申请人")
    step = serializers.IntegerField(required=False, allow_null=True, help_text=(
        "pass / return / transfer / request_supplement / suspend：办理的环节编号（并联时指定）"))
    to = serializers.CharField(required=False, allow_blank=True, max_length=150, help_text=(
        "transfer：转交的同事的用户名（环节 assignee.username 同一口径）：环节所在部门、持有该环节角色、在岗且未离岗"))
    to_seq = serializers.IntegerField(required=False, allow_null=True,
                                      help_text="return：退回到的环节顺序；默认上一环节")
    kind = serializers.CharField(required=False, allow_blank=True, max_length=30,
                                 help_text="suspend：特别程序代码（事项详情 procedures[].kind）")
    expected_days = serializers.IntegerField(required=False, allow_null=True,
                                             help_text="suspend / request_supplement：预计时长（工作日）")
    days = serializers.IntegerField(required=False, allow_null=True, help_text="extend：延长的工作日数")
    delivery = serializers.CharField(required=False, allow_blank=True, help_text="complete：送达方式，默认“窗口领取”")
    request_file = serializers.FileField(required=False, help_text=(
        "withdraw：申请人签字（盖章）的撤回申请书扫描件（PDF、JPG、PNG，按内容校验），必填；"
        "此时请求须为 multipart/form-data"))

    def params(self) -> dict:
        params = {k: v for k, v in self.validated_data.items()
                  if k not in ("action", "expected_version", "request_file")}
        if "to" in params:  # the API names staff by username, the pages by id
            params["to_username"] = params.pop("to")
        return params


# -- cases: output --------------------------------------------------------------------------------

class CaseFilterSerializer(serializers.Serializer):
    # Query parameters of the case list (cursor and page_size belong to the paginator).

    state = serializers.ChoiceField(choices=State.choices, required=False, help_text=STATE_HELP)
    department = serializers.CharField(required=False, max_length=32, help_text="实施部门编码")
    item = serializers.CharField(required=False, max_length=40, help_text="事项编码")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, help_text="申报渠道")
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None, help_text=(
        "true：只列已超过承诺期限且仍在计时的办件；false：排除这些办件"))
    due_before = serializers.DateField(required=False, help_text="承诺办结期限不晚于此日（含）")
    due_after = serializers.DateField(required=False, help_text="承诺办结期限不早于此日（含）")
    received_from = serializers.DateField(required=False, help_text="收件日期不早于此日（含）")
    received_to = serializers.DateField(required=False, help_text="收件日期不晚于此日（含）")
    q = serializers.CharField(required=False, max_length=50, help_text=(
        "以数字开头时按办件编号前缀查找（不区分大小写），否则按申请人名称的开头查找"))

    def validate(self, attrs):
        start, end = attrs.get("received_from"), attrs.get("received_to")
        if start and end and start > end:
            raise serializers.ValidationError({"received_to": ["收件截止日期不能早于起始日期。"]})
        return attrs


class CaseItemSerializer(serializers.Serializer):
    code = serializers.CharField(source="item.code", help_text="事项编码")
    name = serializers.CharField(source="version.name", help_text="受理时所依据版本的事项名称")
    version = serializers.IntegerField(source="version.number", help_text="受理时所依据的事项版本号")


class CaseSummarySerializer(serializers.Serializer):
    number = serializers.CharField(help_text="办件编号")
    state = serializers.ChoiceField(choices=State.choices, help_text=STATE_HELP)
    state_label = serializers.CharField(source="get_state_display")
    item = CaseItemSerializer(source="*")
    department = DepartmentRefSerializer(help_text="实施部门")
    channel = serializers.ChoiceField(choices=Channel.choices)
    title = serializers.CharField()
    applicant_name = serializers.CharField()
    applicant_kind = serializers.ChoiceField(choices=ApplicantKind.choices)
    received_at = serializers.DateTimeField()
    accept_date = serializers.DateField(allow_null=True, help_text="法定受理日（时限起算日）")
    promised_due = serializers.DateField(allow_null=True, help_text="承诺办结期限")
    statutory_due = serializers.DateField(allow_null=True, help_text="法定办结期限")
    due_provisional = serializers.BooleanField(help_text="期限所在年度尚无国务院节假日通知，为估算")
    clock_stopped_on = serializers.DateField(allow_null=True, help_text="暂停计时起始日；为空表示未暂停")
    overdue = serializers.SerializerMethodField(help_text="已超过承诺期限且仍在计时")
    closed_at = serializers.DateTimeField(allow_null=True)
    row_version = serializers.IntegerField()

    def get_overdue(self, case) -> bool:
        return presenters.is_overdue(case, self.context["today"])


class ClockSerializer(serializers.Serializer):
    accept_date = serializers.DateField(allow_null=True, help_text="法定受理日；未受理为空")
    correction_due = serializers.DateField(help_text="补正告知期限（收件后5个工作日）")
    promised_limit = serializers.IntegerField()
    statutory_limit = serializers.IntegerField()
    promised_due = serializers.DateField(allow_null=True)
    statutory_due = serializers.DateField(allow_null=True)
    provisional = serializers.BooleanField(help_text="期限为估算（所在年度尚无国务院通知）")
    used_days = serializers.IntegerField(allow_null=True, help_text="已用工作日（不含暂停）；未受理为空")
    promised_remaining_days = serializers.IntegerField(
        allow_null=True, help_text="距承诺期限剩余工作日（负数为已超期）；未受理或已结束为空")
    statutory_remaining_days = serializers.IntegerField(allow_null=True, help_text="距法定期限剩余工作日")
    overdue = serializers.BooleanField(help_text="已超过承诺期限且仍在计时")
    due_soon = serializers.BooleanField(help_text="即将到期：仍在计时，剩余工作日在监察点 time.case 的预警阈值内")
    stopped = serializers.BooleanField(help_text="正在暂停计时")
    stopped_since = serializers.DateField(allow_null=True)
    stopped_days = serializers.IntegerField(help_text="已暂停的工作日（已恢复的部分）")
    extension_days = serializers.IntegerField(help_text="已延长的工作日")
    extension_limit = serializers.IntegerField(help_text="本事项可延长的上限")
    delivery_due = serializers.DateField(allow_null=True, help_text="送达期限（决定后10个工作日）")


class DecisionSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=Decision.choices)
    label = serializers.CharField()
    reason = serializers.CharField()
    decided_at = serializers.DateTimeField()
    delivery_due = serializers.DateField(allow_null=True)


class PersonSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="__str__")


class CaseStepSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="环节编号（操作的 step 参数）")
    seq = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField(source="role_id")
    role_name = serializers.CharField(source="role.name")
    department = DepartmentRefSerializer()
    assignee = PersonSerializer(allow_null=True, help_text="承办人")
    status = serializers.ChoiceField(choices=CaseStep.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True, help_text="环节期限")
    own_limit = serializers.BooleanField(help_text="有独立时限；否则随办件期限")
    finished_at = serializers.DateTimeField(allow_null=True)
    finished_by = PersonSerializer(allow_null=True)
    opinion = serializers.CharField()


class ClockStopSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(source="kind.code", allow_null=True, default=None,
                                 help_text="特别程序代码；补件为空")
    kind_name = serializers.CharField()
    reason = serializers.CharField()
    step = serializers.IntegerField(source="step_id", allow_null=True)
    expected_days = serializers.IntegerField()
    limit_days = serializers.IntegerField()
    limit_due = serializers.DateField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    stopped_days = serializers.IntegerField()


class ExtensionSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    reason = serializers.CharField()
    approved_by = serializers.CharField(source="approved_by.__str__")
    at = serializers.DateTimeField()


class MaterialFileSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="文件名")
    content_type = serializers.CharField(help_text="按文件内容识别的类型：application/pdf、image/jpeg 或 image/png")
    size = serializers.IntegerField(help_text="字节数")
    pages = serializers.IntegerField(allow_null=True, help_text="PDF 页数")
    url = serializers.CharField(help_text="查看地址（工作台，须登录；PDF 与图片在页面内显示，每次查看均记录）")


class CaseMaterialSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="办件材料编号（supplement 的 materials 参数）")
    spec = serializers.IntegerField(source="spec_id", allow_null=True)
    name = serializers.CharField()
    required = serializers.BooleanField()
    received = serializers.BooleanField()
    deferred = serializers.BooleanField(help_text="容缺后补（补交后仍为 true，received 为 true）")
    due_on = serializers.DateField(allow_null=True, help_text="容缺材料的补交期限")
    copies = serializers.IntegerField()
    received_at = serializers.DateTimeField(allow_null=True)
    content_hash = serializers.CharField(help_text="电子材料的 SM3 摘要")
    note = serializers.CharField()
    file = serializers.SerializerMethodField(help_text="电子材料（网上申报上传或窗口扫描）；无电子文件时为空")

    @extend_schema_field(MaterialFileSerializer(allow_null=True))
    def get_file(self, material) -> dict | None:
        return presenters.material_file(material)


class NoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Notice.Kind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    number = serializers.CharField(help_text="文号")
    issued_at = serializers.DateTimeField()
    issued_by = serializers.CharField(source="issued_by.__str__", allow_null=True, default=None)
    body = serializers.JSONField(help_text="文书内容（理由、补正清单等）")
    pdf_url = serializers.SerializerMethodField(help_text="PDF 地址（工作台页面，须登录）")

    def get_pdf_url(self, notice) -> str:
        return presenters.notice_pdf_path(notice.case, notice)


class CaseEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField(help_text="receive（收件）或操作代码")
    action_label = serializers.SerializerMethodField()
    actor = serializers.CharField(source="actor_name")
    at = serializers.DateTimeField()
    ip = serializers.IPAddressField(allow_null=True, help_text="来源地址")
    from_state = serializers.CharField(help_text="原状态；收件时为空")
    to_state = serializers.CharField()
    step = serializers.CharField(source="step.name", allow_null=True, default=None, help_text="环节名称")
    comment = serializers.CharField(help_text="意见/理由")
    data = serializers.JSONField()

    def get_action_label(self, event) -> str:
        return presenters.action_label(event.action)


class AllowedActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=CASE_ACTIONS)
    label = serializers.CharField()


class CaseSourceSerializer(serializers.Serializer):
    """一厅双网：在部门自建系统中办理、经接口登记的办件的来源。"""

    system = serializers.CharField(source="source_system", help_text="来源系统代码")
    name = serializers.CharField(source="source_name", help_text="来源系统名称")
    external_number = serializers.CharField(help_text="来源系统中的办件编号")
    label = serializers.CharField(source="source_label", help_text="页面显示的来源说明")


class CaseDetailSerializer(CaseSummarySerializer):
    window = WindowRefSerializer(allow_null=True, help_text="受理窗口")
    source = serializers.SerializerMethodField(help_text="部门自建系统登记的办件的来源；本平台办件为空")
    applicant = serializers.SerializerMethodField()
    query_code = serializers.SerializerMethodField(help_text="查询密码；无权查看个人信息时为空")
    received_by = serializers.CharField(source="received_by.__str__", allow_null=True, default=None)
    accepted_at = serializers.DateTimeField(allow_null=True)
    correction_count = serializers.IntegerField(help_text="补正次数（一次性告知：至多一次）")
    correction_requested_at = serializers.DateTimeField(allow_null=True)
    corrected_at = serializers.DateTimeField(allow_null=True)
    clock = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField(help_text="准予/不予许可的决定；未决定为空")
    completed_at = serializers.DateTimeField(allow_null=True)
    closing_reason = serializers.CharField(help_text="不予受理/撤回/作废理由")
    steps = CaseStepSerializer(many=True, help_text="全部环节记录（含已退回、已终止的）")
    clock_stops = ClockStopSerializer(many=True, help_text="暂停计时（特别程序与补件）")
    extensions = ExtensionSerializer(many=True)
    materials = CaseMaterialSerializer(many=True)
    notices = NoticeSerializer(many=True, help_text="告知文书")
    events = CaseEventSerializer(many=True, help_text="办理记录：谁、何时、从何处、做了什么")
    allowed_actions = serializers.SerializerMethodField(help_text="当前用户现在可以执行的操作")

    def _discloses(self, case) -> bool:
        return presenters.discloses_personal_data(case, self.context["request"].user)

    @extend_schema_field(CaseSourceSerializer(allow_null=True))
    def get_source(self, case) -> dict | None:
        return CaseSourceSerializer(case).data if case.is_outside else None

    @extend_schema_field(ApplicantSerializer)
    def get_applicant(self, case) -> dict:
        disclosed = self._discloses(case)
        if disclosed:
            # Every response with the ID number and phone in full (detail, action, receipt) is recorded.
            audit.record("personal_data.viewed", request=self.context["request"], target=f"case:{case.number}",
                         where="api", fields=["applicant_id", "contact_phone", "query_code"])
        return ApplicantSerializer(presenters.applicant(case, disclosed)).data

    @extend_schema_field(OpenApiTypes.STR)
    def get_query_code(self, case) -> str | None:
        return case.query_code if self._discloses(case) else None

    @extend_schema_field(ClockSerializer)
    def get_clock(self, case) -> dict:
        return ClockSerializer(presenters.clock(case, self.context["calendar"], self.context["today"])).data

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_decision(self, case) -> dict | None:
        decided = presenters.decision(case)
        return DecisionSerializer(decided).data if decided else None

    @extend_schema_field(AllowedActionSerializer(many=True))
    def get_allowed_actions(self, case) -> list[dict]:
        request = self.context["request"]
        scope = getattr(request.auth, "scope", None)
        if scope is not None and not scope.act:
            return []  # a read-only token: nothing may be done with it
        allowed = services.allowed_actions(case, request.user)
        return [{"action": t.action, "label": t.label} for t in allowed]


# -- working days ---------------------------------------------------------------------------------

# The calendar keeps years 1990-2199 ready; outside them every answer would be a guess.
FIRST_DAY, LAST_DAY = dt.date(1990, 1, 1), dt.date(2199, 12, 31)
CALENDAR_SPAN = f"日期应在{FIRST_DAY.year}年至{LAST_DAY.year}年之间。"
MAX_BETWEEN_YEARS = 20


def _within_calendar(day: dt.date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise serializers.ValidationError(CALENDAR_SPAN)


class AddQuerySerializer(serializers.Serializer):
    start = serializers.DateField(validators=[_within_calendar], help_text="起算日（不计入），如 2026-09-24")
    days = serializers.IntegerField(min_value=0, max_value=3650, help_text="工作日数（0 表示当日）")


class AddResultSerializer(serializers.Serializer):
    start = serializers.DateField()
    days = serializers.IntegerField()
    due = serializers.DateField(help_text="第 days 个工作日（行政许可法第八十二条：起算日不计入）")
    provisional = serializers.BooleanField(help_text="涉及尚无国务院节假日通知的年度，结果为估算")


class BetweenQuerySerializer(serializers.Serializer):
    start = serializers.DateField(validators=[_within_calendar], help_text="起始日（不计入）")
    end = serializers.DateField(validators=[_within_calendar], help_text="截止日（计入）")

    def validate(self, attrs):
        if abs((attrs["end"] - attrs["start"]).days) > MAX_BETWEEN_YEARS * 366:
            raise serializers.ValidationError({"end": [f"两个日期相隔不能超过{MAX_BETWEEN_YEARS}年。"]})
        return attrs


class BetweenResultSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    working_days = serializers.IntegerField(help_text="start 之后至 end（含）的工作日数；end 早于 start 时为负数")
    provisional = serializers.BooleanField()


class YearSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=FIRST_DAY.year, max_value=LAST_DAY.year, error_messages={
        "min_value": CALENDAR_SPAN, "max_value": CALENDAR_SPAN})


class CalendarDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField()


class CalendarYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    official = serializers.BooleanField(help_text="已按国务院节假日安排通知录入；否则为按法定节日估算")
    source = serializers.CharField(help_text="数据来源")
    holidays = CalendarDaySerializer(many=True, help_text="放假日期")
    workdays = CalendarDaySerializer(many=True, help_text="调休上班日期（周末上班）")
