"""Supervision in the API (/api/v1/supervision/…): alerts (监察告警) and orders (督办), read and answered.

Which alerts and orders a caller reads is what the board and the order pages show them
(alerts.visible_alerts, orders.visible_orders), narrowed to the token's departments unless the token
reaches all of them (a supervisor's token naming none); one outside that answers 404 exactly like one
that does not exist. Answering (整改说明, 整改反馈) needs an acting token, and the services decide who
may answer (the department's liaison or approver, or the alert's responsible person). Attachments come
as Base64 in the JSON body and are checked by their content, as on the pages.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from shenpi.api.base import ApiViewMixin, row_id
from shenpi.api.pagination import CasePagination
from shenpi.api.views import (
    BAD_REQUEST,
    FORBIDDEN,
    NOT_STAFF,
    NUL,
    REFUSED,
    UNAUTHENTICATED,
    _error,
    _id_by_code,
    _may_act,
    _query,
    _scope,
)
from shenpi.catalog.models import Department

from . import alerts, orders
from . import api_serializers as ss
from .models import Alert, Order, OrderEntry

ALERT_NOT_FOUND = "告警不存在，或您无权查看。"
ORDER_NOT_FOUND = "督办单不存在，或您无权查看。"
ALERT_MISSING = _error("告警不存在，或您无权查看（两者不作区分）。")
ORDER_MISSING = _error("督办单不存在，或您无权查看（两者不作区分）。")
ALERT_ID = OpenApiParameter("alert_id", int, OpenApiParameter.PATH, description="告警编号")
ORDER_NUMBER = OpenApiParameter("number", str, OpenApiParameter.PATH, description="督办单号")


def _in_scope(request, rows):
    """Narrowed to the token's departments, unless the token reaches all of them."""
    scope = _scope(request)
    if scope is not None and not scope.all_departments:
        rows = rows.filter(department_id__in=scope.departments)
    return rows


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def readable_alerts(request):
    return _in_scope(request, alerts.visible_alerts(request.user))


def readable_orders(request):
    return _in_scope(request, orders.visible_orders(request.user))


class AlertPagination(CasePagination):
    """Newest first by primary key (an alert's id grows with its detection)."""


# -- alerts ---------------------------------------------------------------------------------------

def _alert(request, alert_id: str) -> Alert:
    if row_id(alert_id) is None:
        raise NotFound(ALERT_NOT_FOUND)
    alert = readable_alerts(request).select_related(
        "rule", "case", "step", "department", "responsible", "answered_by").filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(ALERT_NOT_FOUND)
    return alerts.with_orders([alert])[0]


class AlertListView(ApiViewMixin, generics.ListAPIView):
    pagination_class = AlertPagination
    serializer_class = ss.AlertSerializer

    @extend_schema(
        operation_id="supervision_alerts_list", summary="监察告警列表（有权查看的部门，最新在前，游标分页）",
        description="令牌只读即可。监察员、中心管理员看全部部门（令牌限定部门的只看这些部门）；部门人员看本部门"
                    "和本人为责任人的告警。可按状态、级别、类别、监察点、责任部门和发现日期筛选。",
        parameters=[ss.AlertFilterSerializer],
        responses={200: ss.AlertSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Alert.objects.none()
        criteria = _query(ss.AlertFilterSerializer, self.request)
        wanted = alerts.AlertFilter(
            status=criteria.get("status"), level=criteria.get("level"), category=criteria.get("category"),
            rule_code=criteria.get("rule"), since=criteria.get("since"), until=criteria.get("until"),
            department_id=_id_by_code(Department, criteria.get("department"), "department", "部门"))
        return wanted.apply(readable_alerts(self.request)).select_related(
            "rule", "case", "step", "department", "responsible")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return alerts.with_orders(page) if page is not None else page


class AlertDetailView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = ss.AlertDetailSerializer

    @extend_schema(
        operation_id="supervision_alerts_detail", summary="一条监察告警（含依据数据、整改说明和据此发出的督办单）",
        parameters=[ALERT_ID],
        responses={200: ss.AlertDetailSerializer, 401: UNAUTHENTICATED, 403: NOT_STAFF, 404: ALERT_MISSING},
    )
    def get(self, request, alert_id: str, *args, **kwargs):
        return Response(ss.AlertDetailSerializer(_alert(request, alert_id)).data)


class AlertAnswerView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = ss.AlertAnswerSerializer

    @extend_schema(
        operation_id="supervision_alerts_answer", summary="反馈告警的整改说明",
        description="需可办理的令牌。由责任人或责任部门的部门联络员、审批人填报，每条告警只反馈一次；"
                    "对事后即成立的监察点（如先批后录），反馈即解除告警。已解除或已反馈的告警答 409。",
        parameters=[ALERT_ID], request=ss.AlertAnswerSerializer,
        responses={200: ss.AlertDetailSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   404: ALERT_MISSING, 409: REFUSED},
        examples=[OpenApiExample("整改说明", request_only=True,
                                 value={"text": "已督促经办人当日办结，并对窗口人员进行时限提醒培训。"})],
    )
    def post(self, request, alert_id: str, *args, **kwargs):
        alert = _alert(request, alert_id)
        _may_act(request)
        form = ss.AlertAnswerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        alerts.answer_alert(alert, request.user, form.validated_data["text"])
        return Response(ss.AlertDetailSerializer(_alert(request, alert_id)).data)


# -- orders ---------------------------------------------------------------------------------------

def _order(request, number: str) -> Order:
    if NUL in number:
        raise NotFound(ORDER_NOT_FOUND)
    entries = OrderEntry.objects.select_related("by").prefetch_related("attachments").order_by("at", "pk")
    order = readable_orders(request).select_related("department", "issued_by").prefetch_related(
        Prefetch("entries", queryset=entries), "alerts", "cases").filter(number=number.strip().upper()).first()
    if order is None:
        raise NotFound(ORDER_NOT_FOUND)
    return order


class OrderListView(ApiViewMixin, generics.ListAPIView):
    pagination_class = CasePagination
    serializer_class = ss.OrderSerializer

    @extend_schema(
        operation_id="supervision_orders_list", summary="督办单列表（有权查看的部门，最新在前，游标分页）",
        description="令牌只读即可。监察员看全部部门的督办单（令牌限定部门的只看这些部门），部门人员看本部门的。",
        parameters=[ss.OrderFilterSerializer],
        responses={200: ss.OrderSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        criteria = _query(ss.OrderFilterSerializer, self.request)
        rows = readable_orders(self.request).select_related("department")
        if criteria.get("status"):
            rows = rows.filter(status=criteria["status"])
        department_id = _id_by_code(Department, criteria.get("department"), "department", "部门")
        if department_id:
            rows = rows.filter(department_id=department_id)
        if criteria.get("since"):
            rows = rows.filter(issued_at__gte=_start_of(criteria["since"]))
        if criteria.get("until"):
            rows = rows.filter(issued_at__lt=_start_of(criteria["until"] + dt.timedelta(days=1)))
        return rows


class OrderDetailView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = ss.OrderDetailSerializer

    @extend_schema(
        operation_id="supervision_orders_detail", summary="一份督办单（含督办记录和整改反馈的附件信息）",
        parameters=[ORDER_NUMBER],
        responses={200: ss.OrderDetailSerializer, 401: UNAUTHENTICATED, 403: NOT_STAFF, 404: ORDER_MISSING},
    )
    def get(self, request, number: str, *args, **kwargs):
        return Response(ss.OrderDetailSerializer(_order(request, number)).data)


class OrderAnswerView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = ss.OrderAnswerSerializer

    @extend_schema(
        operation_id="supervision_orders_answer", summary="反馈督办单的整改情况（整改反馈，可带附件）",
        description="需可办理的令牌。由责任部门的部门联络员或审批人填报；附件以 Base64 放在请求体中，"
                    "按文件内容识别，只接受 PDF、JPG、PNG，每个不超过10 MB，最多10个（请求体总大小另有上限）。"
                    "反馈后督办单等待监察员审核；已反馈待审核或已办结的督办单答 409。",
        parameters=[ORDER_NUMBER], request=ss.OrderAnswerSerializer,
        responses={200: ss.OrderDetailSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   404: ORDER_MISSING, 409: REFUSED},
        examples=[OpenApiExample("整改反馈", request_only=True, value={
            "text": "已完成整改，涉及办件均已办结。",
            "files": [{"name": "整改报告.pdf", "content": "JVBERi0xLjQK..."}]})],
    )
    def post(self, request, number: str, *args, **kwargs):
        order = _order(request, number)
        _may_act(request)
        form = ss.OrderAnswerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        orders.answer(order, request.user, form.validated_data["text"], form.validated_data["files"])
        return Response(ss.OrderDetailSerializer(_order(request, number)).data)
