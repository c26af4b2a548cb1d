"""Online applications in the API (/api/v1/online/applications/…): the window's pre-review queue,
an application, and the window's decision (accept, one-time correction notice, refusal).

Which applications a caller reads is services.prereview_scope (window clerks of the department, or
every department's at a comprehensive window), narrowed to the token's departments and items; one
outside answers 404. Deciding needs an acting token whose scope holds the item; the services decide
the rest (状态, 一次性告知). The detail shows the applicant's ID number and mobile in full, as the
pre-review page does, and is recorded as a personal-data view.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from shenpi.api.base import ApiViewMixin
from shenpi.api.pagination import _Cursor
from shenpi.api.views import (
    BAD_REQUEST,
    FORBIDDEN,
    NOT_STAFF,
    NUL,
    REFUSED,
    UNAUTHENTICATED,
    _error,
    _may_act,
    _query,
    _scope,
)
from shenpi.security import audit
from shenpi.web import client_address

from . import api_serializers as os_
from . import services
from .models import OnlineApplication

APPLICATION_NOT_FOUND = "网上申报不存在，或您无权查看。"
APPLICATION_MISSING = _error("网上申报不存在，或您无权查看（两者不作区分）。")
NUMBER = OpenApiParameter("number", str, OpenApiParameter.PATH, description="申报编号")


def readable(request):
    applications = services.prereview_scope(request.user)
    scope = _scope(request)
    if scope is not None:
        applications = applications.filter(department_id__in=scope.departments)
        if scope.items:
            applications = applications.filter(item_id__in=scope.items)
    return applications.select_related("applicant", "version", "item", "department", "case", "decided_by")


def _application(request, number: str) -> OnlineApplication:
    app = None if NUL in number else readable(request).filter(number=number.strip().upper()).first()
    if app is None:
        raise NotFound(APPLICATION_NOT_FOUND)
    return app


def _detail(request, app: OnlineApplication) -> dict:
    audit.record("personal_data.viewed", request=request, target=f"online_application:{app.number}", where="api",
                 fields=["id_number", "mobile"])
    return os_.ApplicationDetailSerializer(app).data


class ApplicationPagination(_Cursor):
    """Oldest first (即收即审): the primary key orders and positions the pages."""

    ordering = "id"
    numeric_position = True


class ApplicationListView(ApiViewMixin, generics.ListAPIView):
    pagination_class = ApplicationPagination
    serializer_class = os_.ApplicationSummarySerializer

    @extend_schema(
        operation_id="online_applications_list", summary="网上申报预审队列（按申报先后，游标分页）",
        description="令牌只读即可；持有人须是窗口人员（综合受理窗口看全部部门）。按令牌的部门和事项缩小。"
                    "证件号码只返回脱敏值。",
        parameters=[os_.ApplicationFilterSerializer],
        responses={200: os_.ApplicationSummarySerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED,
                   403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OnlineApplication.objects.none()
        criteria = _query(os_.ApplicationFilterSerializer, self.request)
        return readable(self.request).filter(status=criteria["status"])


class ApplicationDetailView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = os_.ApplicationDetailSerializer

    @extend_schema(
        operation_id="online_applications_detail", summary="一份网上申报（申请人、申请表、材料及电子文件、补正情况）",
        description="证件号码和手机号码为原文（窗口核对用），每次查看记入安全审计。",
        parameters=[NUMBER],
        responses={200: os_.ApplicationDetailSerializer, 401: UNAUTHENTICATED, 403: NOT_STAFF,
                   404: APPLICATION_MISSING},
    )
    def get(self, request, number: str, *args, **kwargs):
        return Response(_detail(request, _application(request, number)))


class PrereviewActionView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = os_.PrereviewActionSerializer

    @extend_schema(
        operation_id="online_applications_decide", summary="预审决定：受理、一次性告知补正或不予受理",
        description="须可办理的令牌，范围含该事项；持有人须是该部门（或综合受理窗口）的窗口人员。"
                    "accept 将申请收件并受理为网上申报办件（返回办件编号）；correct 须列出全部需补正的材料，"
                    "只能告知一次；refuse 须写明理由（待补正的申请也可不予受理）。状态不允许时答 409。",
        parameters=[NUMBER], request=os_.PrereviewActionSerializer,
        responses={200: os_.PrereviewResultSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   404: APPLICATION_MISSING, 409: REFUSED},
        examples=[
            OpenApiExample("受理", request_only=True, value={"action": "accept"}),
            OpenApiExample("一次性告知补正", request_only=True, value={
                "action": "correct", "items": [{"spec": 12, "problem": "缺少盖章页"}],
                "note": "请在5个工作日内补正。"}),
            OpenApiExample("不予受理", request_only=True,
                           value={"action": "refuse", "reason": "不属于本部门职权范围。"}),
        ],
    )
    def post(self, request, number: str, *args, **kwargs):
        app = _application(request, number)
        _may_act(request, app.item)
        form = os_.PrereviewActionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        action, ip, case = form.validated_data["action"], client_address(request), None
        if action == "accept":
            case = services.accept(app, request.user, ip=ip)
        elif action == "correct":
            services.request_correction(app, request.user, form.validated_data["items"],
                                        note=form.validated_data["note"], ip=ip)
        else:
            services.refuse(app, request.user, form.validated_data["reason"], ip=ip)
        app = _application(request, number)
        return Response({"application": _detail(request, app), "case": case.number if case else None})
