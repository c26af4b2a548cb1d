"""一厅双网 in the API (/api/v1/outside-cases/): a department system registers a case it handles in
its own system, reads it back by its own number, and pushes what happens to it (shenpi.exchange.registration).

The caller is a department system acting as a named account of the department (a token with
can_act, held by a member of the window's staff of that department); the item must be within the
token's scope. A case is addressed by the system's code and its own number, never by ours alone: a
system reaches only the cases it registered, and only while they are visible to its token.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from shenpi import clock
from shenpi.api import serializers as s
from shenpi.api import statements, tokens
from shenpi.api.base import ApiViewMixin
from shenpi.api.queries import case_in_full
from shenpi.api.views import (
    BAD_REQUEST,
    CASE_MISSING,
    FORBIDDEN,
    NOT_STAFF,
    REFUSED,
    UNAUTHENTICATED,
    _scope,
)
from shenpi.cases import services
from shenpi.cases.models import Case
from shenpi.catalog.models import Item
from shenpi.errors import InvalidInput
from shenpi.web import client_address
from shenpi.workdays.services import get_calendar

from . import registration

CASE_NOT_FOUND = "部门系统登记的办件不存在，或您无权查看。"
SYSTEM = OpenApiParameter("system", str, OpenApiParameter.PATH, description="来源系统代码")
EXTERNAL = OpenApiParameter("external_number", str, OpenApiParameter.PATH, description="来源系统中的办件编号")
_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
# services.receive names applicant fields after the model; the request nests them under applicant.
_APPLICANT_FIELDS = {"applicant_kind": "applicant.kind", "applicant_name": "applicant.name",
                     "applicant_id": "applicant.id_number", "contact_phone": "applicant.phone"}


class SourceSerializer(serializers.Serializer):
    system = serializers.RegexField(_CODE, max_length=40,
                                    help_text="来源系统代码（字母、数字、点、横线、下划线），如 SAMR-QYDJ")
    name = serializers.CharField(max_length=100, help_text="来源系统名称，如“企业登记系统”")
    external_number = serializers.RegexField(_CODE, max_length=64, help_text="来源系统中的办件编号（幂等键）")


class RegistrationSerializer(serializers.Serializer):
    source = SourceSerializer()
    item = serializers.SlugRelatedField(
        slug_field="code", queryset=Item.objects.all(), help_text="事项编码（须在令牌范围内）",
        error_messages={"does_not_exist": "事项编码“{value}”不存在。", "invalid": "事项编码格式不正确。"})
    applicant = s.ApplicantSerializer()
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                  help_text="申请事项/项目名称")
    received_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                            help_text="部门系统中的收件时间；默认同受理时间")
    accepted_at = serializers.DateTimeField(help_text="部门系统中的受理时间（不能晚于当前时间）：时限由此起算")
    materials = s.MaterialInputSerializer(many=True, required=False, default=list, help_text=(
        "按事项材料清单逐项登记收取情况；必需材料未收取（也未容缺）的不能登记为已受理。"))

    def validate_materials(self, value):
        specs = [m["spec"] for m in value]
        repeated = sorted({spec for spec in specs if specs.count(spec) > 1})
        if repeated:
            raise serializers.ValidationError(f"材料{repeated}重复登记。")
        return value


class PushSerializer(serializers.Serializer):
    # A string checked against the list rather than a choice field: the schema keeps one enum named
    # after "action" (the case actions'), and this list is written out here.
    action = serializers.CharField(max_length=30, help_text=(
        "pass 环节通过 / return 环节退回；suspend 特别程序 / request_supplement 补件 / resume 恢复计时 / "
        "extend 延期；grant 准予许可 / deny 不予许可（须填 letter_number）；complete 送达办结"))
    at = serializers.DateTimeField(help_text="该操作在部门系统中发生的时间：不能晚于当前时间，也不能早于本件上一操作")
    letter_number = serializers.CharField(max_length=60, required=False, allow_blank=True, default="",
                                          help_text="grant / deny：部门系统出具的决定书文号")
    step = serializers.CharField(max_length=50, required=False, allow_blank=True, help_text=(
        "pass / return / suspend / request_supplement：环节名称或编号（并联时指定）；默认当前第一个环节"))
    opinion = serializers.CharField(required=False, allow_blank=True, help_text="pass / grant：意见")
    reason = serializers.CharField(required=False, allow_blank=True, help_text=(
        "return / suspend / request_supplement / extend / deny：理由（必填）"))
    comment = serializers.CharField(required=False, allow_blank=True, help_text="resume：说明")
    to_seq = serializers.IntegerField(required=False, allow_null=True, help_text="return：退回到的环节顺序")
    kind = serializers.CharField(required=False, allow_blank=True, max_length=30,
                                 help_text="suspend：特别程序代码（事项详情 procedures[].kind）")
    expected_days = serializers.IntegerField(required=False, allow_null=True,
                                             help_text="suspend / request_supplement：预计时长（工作日）")
    days = serializers.IntegerField(required=False, allow_null=True, help_text="extend：延长的工作日数")
    delivery = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                     help_text="complete：送达方式")

    def validate_action(self, value: str) -> str:
        if value not in registration.PUSHED_ACTIONS:
            raise serializers.ValidationError(f"部门系统可推送的操作为：{'、'.join(registration.PUSHED_ACTIONS)}。")
        return value

    def params(self) -> dict:
        return {k: v for k, v in self.validated_data.items() if k not in ("action", "at", "letter_number")}


def _may_act(request, item: Item | None = None) -> None:
    scope = _scope(request)
    if scope is None:
        return
    if not scope.act:
        raise PermissionDenied(tokens.READ_ONLY)
    if item is not None and not scope.allows_item(item):
        raise PermissionDenied(tokens.OUT_OF_SCOPE)


def _detail(request, view, case: Case, code: int = status.HTTP_200_OK) -> Response:
    full = case_in_full(Case.objects.filter(pk=case.pk)).get()
    context = {"request": request, "view": view, "today": clock.today(), "calendar": get_calendar()}
    return Response(s.CaseDetailSerializer(full, context=context).data, status=code)


def _visible(request, system: str, number: str) -> Case:
    """The system's case by its own number, if the caller may see it; 404 alike otherwise."""
    if "\x00" in system or "\x00" in number:
        raise NotFound(CASE_NOT_FOUND)
    case = (statements.visible(request.user, _scope(request))
            .filter(source_system=system, external_number=number).first())
    if case is None:
        raise NotFound(CASE_NOT_FOUND)
    return case


class RegistrationView(ApiViewMixin, APIView):
    @extend_schema(
        operation_id="outside_cases_create", summary="一厅双网：登记在部门自建系统中受理的办件",
        description="收件与受理在同一事务中完成，时限自部门系统的受理时间起算。以（source.system, "
                    "source.external_number）为幂等键：重复登记返回已有办件（200），不作任何改变；"
                    "首次登记返回 201。须持可办理（can_act）令牌，事项须在令牌范围内。",
        request=RegistrationSerializer,
        responses={201: s.CaseDetailSerializer, 200: s.CaseDetailSerializer, 400: BAD_REQUEST,
                   401: UNAUTHENTICATED, 403: FORBIDDEN, 409: REFUSED},
        examples=[OpenApiExample("登记部门系统办件", request_only=True, value={
            "source": {"system": "SAMR-QYDJ", "name": "企业登记系统", "external_number": "QYDJ-2026-000123"},
            "item": "11350100MB0001-001", "title": "设立登记",
            "applicant": {"kind": "organisation", "name": "示范贸易有限公司", "id_number": "91350100M000100Y43"},
            "accepted_at": "2026-03-02T09:30:00+08:00",
            "materials": [{"spec": 11, "received": True}, {"spec": 12, "received": True}]})],
    )
    def post(self, request, *args, **kwargs):
        form = RegistrationSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        _may_act(request, data["item"])
        source = services.Source(system=data["source"]["system"], name=data["source"]["name"].strip(),
                                 number=data["source"]["external_number"])
        existing = registration.find(source.system, source.number)
        if existing is not None:
            return _detail(request, self, _visible(request, source.system, source.number))
        applicant = services.ApplicantInput(**{k: v for k, v in data["applicant"].items()
                                               if k in ("kind", "name", "id_number", "contact_name", "phone",
                                                        "id_note")})
        materials = {m["spec"]: {k: v for k, v in m.items() if k != "spec"} for m in data["materials"]}
        try:
            case, created = registration.register(
                actor=request.user, item=data["item"], source=source, applicant=applicant,
                accepted_at=data["accepted_at"], received_at=data["received_at"], materials=materials,
                title=data["title"], ip=client_address(request))
        except InvalidInput as error:
            fields = {_APPLICANT_FIELDS.get(k, k): v for k, v in error.fields.items()}
            raise InvalidInput(error.message, fields) from error
        if not created:
            case = _visible(request, source.system, source.number)
        return _detail(request, self, case, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class OutsideCaseView(ApiViewMixin, APIView):
    @extend_schema(
        operation_id="outside_cases_retrieve", summary="按来源系统与其办件编号读取登记的办件（办件全貌）",
        parameters=[SYSTEM, EXTERNAL],
        responses={200: s.CaseDetailSerializer, 401: UNAUTHENTICATED, 403: NOT_STAFF, 404: CASE_MISSING},
    )
    def get(self, request, system: str, external_number: str, **kwargs):
        return _detail(request, self, _visible(request, system, external_number))


class OutsideActionView(ApiViewMixin, APIView):
    @extend_schema(
        operation_id="outside_cases_actions_create",
        summary="推送部门系统中的一个办理操作（环节、特别程序、延期、决定、办结），附其发生时间",
        description="操作按部门系统中的发生时间计算期限与用时，办理记录的时间为本平台登记的时间，并记下两者之差："
                    "决定或办结登记晚于发生24小时以上的，电子监察按“先批后录”亮牌。被拒绝时什么也不改变。",
        parameters=[SYSTEM, EXTERNAL],
        request=PushSerializer,
        responses={200: s.CaseDetailSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   404: CASE_MISSING, 409: REFUSED},
        examples=[
            OpenApiExample("环节通过", request_only=True, value={
                "action": "pass", "at": "2026-03-03T15:00:00+08:00", "opinion": "材料齐全，符合条件"}),
            OpenApiExample("准予许可", request_only=True, value={
                "action": "grant", "at": "2026-03-05T10:00:00+08:00", "letter_number": "榕市监准字〔2026〕第123号"}),
        ],
    )
    def post(self, request, system: str, external_number: str, **kwargs):
        case = _visible(request, system, external_number)
        _may_act(request)
        form = PushSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        registration.push(case, data["action"], actor=request.user, happened_at=data["at"], params=form.params(),
                          letter_number=data["letter_number"], ip=client_address(request))
        return _detail(request, self, case)


urls: list = [
    path("outside-cases/", RegistrationView.as_view(), name="outside-case-list"),
    path("outside-cases/<str:system>/<str:external_number>/", OutsideCaseView.as_view(), name="outside-case-detail"),
    path("outside-cases/<str:system>/<str:external_number>/actions/", OutsideActionView.as_view(),
         name="outside-case-actions"),
]
