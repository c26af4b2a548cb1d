"""The endpoints: HTTP in, a call to the services, HTTP out.

Who may see a case is services.visible_cases, narrowed to the scope of the token used (tokens.Scope:
departments, items, read or act); who may do what is services.perform /
allowed_actions; a case the caller may not see answers 404 exactly like one that does not exist.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied, UnsupportedMediaType, ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from shenpi import clock
from shenpi.cases import files, services
from shenpi.cases.models import Case
from shenpi.catalog.models import Department, Item, ItemVersion
from shenpi.errors import InvalidInput
from shenpi.web import client_address
from shenpi.workdays.services import get_calendar

from . import lean, presenters, queries, statements, tokens
from . import serializers as s
from .base import ApiViewMixin
from .pagination import CasePagination, ItemPagination
from .renderers import JSONRenderer

NUL = "\x00"
CASE_NOT_FOUND = "办件不存在，或您无权查看。"
ITEM_NOT_FOUND = "事项不存在或没有已发布的版本。"


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(s.ErrorSerializer, description=description)


BAD_REQUEST = _error("数据有误：detail 说明原因，fields 列出出错的字段。")
UNAUTHENTICATED = _error("未登录（会话）或未携带有效令牌（Authorization: Token …）；令牌已过期、已撤销或属于超级用户。")
FORBIDDEN = _error("无权办理（角色、部门，或令牌只读、范围不含该事项），或以会话调用写操作时缺少 CSRF 令牌。")
# Every operation: an applicant's session (public-site login) is authenticated but never let in.
TOO_LARGE = _error("请求体超过上限（SHENPI_DATA_UPLOAD_MAX_MEMORY_SIZE，默认 2.5 MB）。")
NOT_STAFF = _error("申请人账号无权调用本接口（仅供工作人员和部门业务系统使用）。")
CASE_MISSING = _error("办件不存在，或您无权查看（两者不作区分）。")
REFUSED = _error("当前状态或流程不允许该操作（refused），或办件已被他人更新（conflict）；什么也没有改变。")

NUMBER = OpenApiParameter("number", str, OpenApiParameter.PATH, description="办件编号")
CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, description="事项编码")
YEAR = OpenApiParameter("year", int, OpenApiParameter.PATH, description="年份（1990—2199）")


def _query(serializer_class, request) -> dict:
    """Query-string parameters checked like a body: bad values answer 400 with field errors."""
    form = serializer_class(data=request.query_params)
    form.is_valid(raise_exception=True)
    return form.validated_data


def _id_by_code(model, code: str | None, field: str, what: str) -> int | None:
    if not code:
        return None
    pk = model.objects.filter(code=code).values_list("pk", flat=True).first()
    if pk is None:
        raise ValidationError({field: [f"{what}编码“{code}”不存在。"]})
    return pk


def _scope(request) -> tokens.Scope | None:
    """The scope of the token the call came with; None for a session (the user's own rights only)."""
    return getattr(request.auth, "scope", None)


def _may_act(request, item=None) -> None:
    """A read-only token never acts; an acting token only on the items and departments of its scope."""
    scope = _scope(request)
    if scope is None:
        return
    if not scope.act:
        raise PermissionDenied(tokens.READ_ONLY)
    if item is not None and not scope.allows_item(item):
        raise PermissionDenied(tokens.OUT_OF_SCOPE)


def _case_context(view) -> dict:
    return {"request": view.request, "view": view, "today": clock.today(), "calendar": get_calendar()}


# -- items ----------------------------------------------------------------------------------------

class ItemListView(ApiViewMixin, generics.ListAPIView):
    serializer_class = s.ItemSummarySerializer
    pagination_class = ItemPagination

    @extend_schema(
        operation_id="items_list", summary="事项目录（已发布的当前版本）",
        description="每个事项只列其当前发布的版本；按事项编码排序，游标分页（page_size 默认50，最大200）。",
        parameters=[s.ItemFilterSerializer],
        responses={200: s.ItemSummarySerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED,
                   403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ItemVersion.objects.none()
        criteria = _query(s.ItemFilterSerializer, self.request)
        return queries.filter_items(
            queries.current_versions(),
            department_id=_id_by_code(Department, criteria.get("department"), "department", "部门"),
            type=criteria.get("type", ""), q=criteria.get("q", ""),
        )


class ItemDetailView(ApiViewMixin, generics.RetrieveAPIView):
    serializer_class = s.ItemDetailSerializer

    @extend_schema(
        operation_id="items_retrieve", summary="事项详情（当前版本的全部内容：材料、收费、流程、特别程序、时限）",
        description="办事指南的全部内容。收件时 materials[].spec 引用此处的 materials[].id；"
                    "暂停计时的 kind 参数取 procedures[].kind。",
        parameters=[CODE],
        responses={200: s.ItemDetailSerializer, 401: UNAUTHENTICATED, 403: NOT_STAFF,
                   404: _error("事项不存在或没有已发布的版本。")},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_object(self):
        if NUL in self.kwargs["code"]:  # PostgreSQL cannot even compare it; no code has one
            raise NotFound(ITEM_NOT_FOUND)
        version = queries.item_in_full(queries.current_versions()).filter(item__code=self.kwargs["code"]).first()
        if version is None:
            raise NotFound(ITEM_NOT_FOUND)
        return version


# -- cases ----------------------------------------------------------------------------------------

_APPLICANT_INPUT = ("kind", "name", "id_number", "contact_name", "phone", "id_note")
# services.receive names applicant fields after the model; the request nests them under applicant.
_RECEIVE_FIELDS = {
    "applicant_kind": "applicant.kind",
    "applicant_name": "applicant.name",
    "applicant_id": "applicant.id_number",
    "contact_phone": "applicant.phone",
}


def _request_field_names(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    return {_RECEIVE_FIELDS.get(name, name): messages for name, messages in fields.items()}


# Filters given by code: (query parameter, model, name in messages).
_CODE_FILTERS = (("department", Department, "部门"), ("item", Item, "事项"))


class CaseListView(ApiViewMixin, generics.ListCreateAPIView):
    pagination_class = CasePagination
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    # The list's query parameters, for DRF and the lean path alike.
    filter_serializer_class = s.CaseFilterSerializer

    def get_serializer_class(self):
        return s.CaseCreateSerializer if self.request.method == "POST" else s.CaseSummarySerializer

    def get_serializer_context(self):
        return _case_context(self)

    @extend_schema(
        operation_id="cases_list", summary="办件列表（仅本人有权查看的办件，按收件先后倒序，游标分页）",
        description="不返回总数：沿 next / previous 链接翻页（page_size 默认20，最大100）。"
                    "列表只含概要；环节、记录等请取办件详情。",
        parameters=[s.CaseFilterSerializer],
        responses={200: s.CaseSummarySerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED,
                   403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="cases_create", summary="收件，并可在同一事务中当场受理、一次性告知补正、不予受理或即办办结",
        description="须由窗口人员（clerk）调用。decision 为空时办件停在“待受理”；给出 decision 时，"
                    "收件与该决定要么一起成功（201，返回办件全貌），要么什么也不保存（400/403/409）。",
        request=s.CaseCreateSerializer,
        responses={201: s.CaseDetailSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   409: REFUSED, 413: TOO_LARGE},
        examples=[OpenApiExample("收件并受理", request_only=True, value={
            "item": "11350100MB0001-001", "channel": "window", "title": "示范大厦项目",
            "applicant": {"kind": "organisation", "name": "示范建设有限公司", "id_number": "91350100M000100Y43",
                          "contact_name": "李四", "phone": "13812341234"},
            "materials": [{"spec": 11, "received": True, "copies": 1}, {"spec": 12, "received": True}],
            "decision": "accept"})],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        # The token call with plain filters is answered by the lean path; everything else by DRF.
        response = lean.case_list(request, self)
        return response if response is not None else super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        # For the schema generator only: the rows come from statements.CasePage.
        return Case.objects.none()

    def list(self, request, *args, **kwargs):
        criteria = queries.list_criteria(_query(self.filter_serializer_class, request))
        today = clock.today()
        # Rows are plain dicts shaped by presenters.case_summary; CaseSummarySerializer describes
        # them in the schema (and the tests hold both to the same output).
        rows = self.paginate_queryset(statements.CasePage(request.user, criteria, today, _scope(request)))
        if not rows:
            # An unknown department or item code selects nothing: answer which code is wrong.
            for field, model, what in _CODE_FILTERS:
                _id_by_code(model, criteria.get(field), field, what)
        return self.get_paginated_response(presenters.case_summaries(rows, today))

    def create(self, request, *args, **kwargs):
        form = s.CaseCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data, ip = form.validated_data, client_address(request)
        _may_act(request, data["item"])
        applicant = {k: v for k, v in data["applicant"].items() if k in _APPLICANT_INPUT}
        materials = {m["spec"]: {k: v for k, v in m.items() if k != "spec"} for m in data["materials"]}
        try:
            # One business action: the receipt is kept only if the window's decision succeeds too.
            with transaction.atomic():
                case = services.receive(
                    actor=request.user, item=data["item"], applicant=services.ApplicantInput(**applicant),
                    materials=materials, channel=data["channel"], title=data["title"], ip=ip)
                if data.get("decision"):
                    params = {k: data[k] for k in ("missing", "reason", "opinion", "comment", "commitment")
                              if k in data}
                    case = services.perform(case, data["decision"], actor=request.user, params=params, ip=ip)
        except InvalidInput as error:
            raise InvalidInput(error.message, _request_field_names(error.fields)) from error
        full = queries.case_in_full(Case.objects.filter(pk=case.pk)).get()
        body = s.CaseDetailSerializer(full, context=self.get_serializer_context()).data
        location = request.build_absolute_uri(f"{request.path}{full.number}/")
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


class _VisibleCase:
    """Looks a case up by number among those the caller may see; any other is 404."""

    def visible(self, queryset=None):
        if NUL in self.kwargs["number"]:  # PostgreSQL cannot even compare it; no number has one
            raise NotFound(CASE_NOT_FOUND)
        cases = statements.visible(self.request.user, _scope(self.request))
        if queryset is not None:
            cases = queryset(cases)
        case = cases.filter(number=self.kwargs["number"]).first()
        if case is None:
            raise NotFound(CASE_NOT_FOUND)
        return case


class CaseDetailView(ApiViewMixin, _VisibleCase, generics.RetrieveAPIView):
    serializer_class = s.CaseDetailSerializer

    def get_serializer_context(self):
        return _case_context(self)

    @extend_schema(
        operation_id="cases_retrieve",
        summary="办件全貌：申请人、时限、环节、暂停、延期、材料、文书、记录与可执行的操作",
        description="申请人证件号码、电话和查询密码只对办件实施部门的工作人员、收件人和超级用户显示原文，"
                    "其他有权查看的人得到脱敏值（applicant.masked 为 true，query_code 为空）。"
                    "row_version 用作操作时的 expected_version。",
        parameters=[NUMBER],
        responses={200: s.CaseDetailSerializer, 401: UNAUTHENTICATED, 403: NOT_STAFF, 404: CASE_MISSING},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_object(self):
        return self.visible(queries.case_in_full)


# Actions whose request carries a file, sent as multipart/form-data.
FILE_ACTIONS = frozenset({"withdraw"})


class CaseActionView(ApiViewMixin, _VisibleCase, generics.GenericAPIView):
    serializer_class = s.ActionSerializer
    # JSON, or multipart for an action that takes a file (the scanned 撤回申请书 of a withdrawal).
    parser_classes = [JSONParser, MultiPartParser]

    def get_serializer_context(self):
        return _case_context(self)

    @extend_schema(
        operation_id="cases_actions_create", summary="对办件执行一个操作（受理、通过、退回、暂停、延期、决定、办结……）",
        description="action 取办件详情 allowed_actions 中的一项，参数见各字段说明；expected_version 必填。"
                    "成功返回 200 与办件全貌；被拒绝时什么也不改变。申请人撤回（withdraw）须以 multipart/form-data "
                    "上传申请人签字的撤回申请书扫描件（request_file）。",
        parameters=[NUMBER],
        request=s.ActionSerializer,
        responses={200: s.CaseDetailSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   404: CASE_MISSING, 409: REFUSED, 413: TOO_LARGE,
                   415: _error("multipart/form-data 只用于带文件的操作（withdraw）；其余操作请用 JSON。")},
        examples=[
            OpenApiExample("环节通过", request_only=True,
                           value={"action": "pass", "opinion": "材料齐全，符合条件", "expected_version": 3}),
            OpenApiExample("特别程序", request_only=True, value={
                "action": "suspend", "kind": "expert_review", "reason": "需组织专家评审", "expected_days": 10,
                "expected_version": 4}),
        ],
    )
    def post(self, request, *args, **kwargs):
        case = self.visible()
        _may_act(request)
        form = s.ActionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        action = form.validated_data["action"]
        if request.content_type.startswith("multipart/") and action not in FILE_ACTIONS:
            # Multipart is for an action that takes a file; lists and objects go as JSON, whole.
            raise UnsupportedMediaType(request.content_type,
                                       detail=f"操作“{action}”的请求须为JSON（application/json）。")
        params = form.params()
        stored = None
        if action == "withdraw" and form.validated_data.get("request_file") is not None:
            try:
                stored = files.store(files.inspect(form.validated_data["request_file"]))
            except InvalidInput as error:
                raise ValidationError({"request_file": [error.message]}) from None
            params["request_file"] = stored
        try:
            services.perform(case, action, actor=request.user, params=params, ip=client_address(request),
                             expected_version=form.validated_data["expected_version"])
        except BaseException:
            if stored is not None:  # refused: the scan kept for it points at nothing
                default_storage.delete(stored.path)
            raise
        full = queries.case_in_full(Case.objects.filter(pk=case.pk)).get()
        return Response(s.CaseDetailSerializer(full, context=self.get_serializer_context()).data)


# -- working days ---------------------------------------------------------------------------------

class WorkdaysAddView(ApiViewMixin, APIView):
    @extend_schema(
        operation_id="workdays_add", summary="起算日后第 N 个工作日（法定节假日与调休已计入）",
        description="行政许可法第八十二条：起算日不计入，期限至第 N 个工作日届满。"
                    "涉及尚无国务院通知的年度时 provisional 为 true。",
        parameters=[s.AddQuerySerializer],
        responses={200: s.AddResultSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        query = _query(s.AddQuerySerializer, request)
        due = get_calendar().due(query["start"], query["days"])
        return Response(s.AddResultSerializer({**query, "due": due.date, "provisional": due.provisional}).data)


class WorkdaysBetweenView(ApiViewMixin, APIView):
    @extend_schema(
        operation_id="workdays_between", summary="两个日期之间的工作日数（起始日不计入，截止日计入）",
        description="两个日期相隔不超过20年。",
        parameters=[s.BetweenQuerySerializer],
        responses={200: s.BetweenResultSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        query = _query(s.BetweenQuerySerializer, request)
        calendar = get_calendar()
        return Response(s.BetweenResultSerializer({
            **query, "working_days": calendar.between(query["start"], query["end"]),
            "provisional": calendar.is_provisional(query["start"], query["end"]),
        }).data)


class CalendarYearView(ApiViewMixin, APIView):
    @extend_schema(
        operation_id="workdays_calendar_year", summary="某年的放假日与调休上班日，以及是否已按国务院通知录入",
        description="已录入国务院通知的年度列出通知中的放假日（含周末）与调休上班日；"
                    "其他年度列出按法定节日估算放假的工作日，official 为 false。",
        parameters=[YEAR],
        responses={200: s.CalendarYearSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        year = s.YearSerializer(data={"year": kwargs["year"]})
        year.is_valid(raise_exception=True)
        return Response(s.CalendarYearSerializer(presenters.calendar_year(year.validated_data["year"])).data)
