"""Webhook subscriptions in the API (/api/v1/webhooks/, docs/webhooks.md): a department system
subscribes with its token, reads its delivery log and asks for a replay of a period.

Only token calls reach a subscription (a session has no scope to bound the events: 403), and a
token sees only its own subscriptions; another's answers 404 exactly like one that does not exist.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from shenpi.api.base import ApiViewMixin
from shenpi.api.pagination import CasePagination
from shenpi.api.views import BAD_REQUEST, UNAUTHENTICATED, _error, _query

from . import webhook_serializers as ws
from . import webhooks
from .models import Delivery, Destination

FORBIDDEN = _error("须以接口令牌调用（会话不可），且令牌范围内须有部门。")
MISSING = _error("订阅不存在，或不属于当前令牌（两者不作区分）。")
WEBHOOK = OpenApiParameter("id", str, OpenApiParameter.PATH, description="订阅标识")
TAGS = ["webhooks"]


def _subscription(request, code: str) -> Destination:
    try:
        return webhooks.get(request.auth, code)
    except LookupError:
        raise NotFound(webhooks.NOT_FOUND) from None


def _shown(destinations, serializer=ws.SubscriptionSerializer):
    """One subscription or a list, with its filters as codes. (The secret is shown only through
    CreatedSubscriptionSerializer, right after it was drawn.)"""
    many = isinstance(destinations, list)
    rows = destinations if many else [destinations]
    context = {"codes": {d.pk: webhooks.codes(d) for d in rows}}
    return serializer(destinations, many=many, context=context).data


class SubscriptionListView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = ws.SubscriptionInputSerializer

    @extend_schema(operation_id="webhooks_list", tags=TAGS, summary="本令牌的事件订阅",
                   responses={200: ws.SubscriptionSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN})
    def get(self, request, *args, **kwargs):
        return Response(_shown(list(webhooks.owned(request.auth).order_by("pk"))))

    @extend_schema(
        operation_id="webhooks_create", tags=TAGS, summary="订阅事件（按类型、部门、事项），返回签名密钥（仅此一次）",
        description="部门和事项须在令牌范围内，超出的以 400 列出字段；为空表示令牌范围内的全部。"
                    "事件以签名的 JSON 批量 POST 到 url，签名与核验见 docs/webhooks.md。",
        request=ws.SubscriptionInputSerializer,
        responses={201: ws.CreatedSubscriptionSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN},
        examples=[OpenApiExample("住建局审批系统订阅受理和办结", request_only=True, value={
            "name": "住建局审批系统", "url": "https://zjj.example.gov.cn/shenpi/events",
            "event_kinds": ["accept", "complete"], "departments": ["ZJJ"], "algorithm": "hmac-sm3"})],
    )
    def post(self, request, *args, **kwargs):
        webhooks.scope_of(request.auth)  # a session or a token without departments: 403 before the body
        form = ws.SubscriptionInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        destination, _secret = webhooks.create(request.auth, request=request, **form.validated_data)
        return Response(_shown(destination, ws.CreatedSubscriptionSerializer),
                        status=status.HTTP_201_CREATED)


class SubscriptionDetailView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = ws.SubscriptionChangeSerializer

    @extend_schema(operation_id="webhooks_retrieve", tags=TAGS, summary="一个订阅", parameters=[WEBHOOK],
                   responses={200: ws.SubscriptionSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: MISSING})
    def get(self, request, id, *args, **kwargs):
        return Response(_shown(_subscription(request, id)))

    @extend_schema(
        operation_id="webhooks_update", tags=TAGS, summary="修改订阅（只传要改的字段；active=false 停用）",
        parameters=[WEBHOOK], request=ws.SubscriptionChangeSerializer,
        responses={200: ws.SubscriptionSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   404: MISSING},
    )
    def patch(self, request, id, *args, **kwargs):
        destination = _subscription(request, id)
        form = ws.SubscriptionChangeSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        changes = {k: v for k, v in form.validated_data.items() if k in request.data}
        return Response(_shown(webhooks.update(request.auth, destination, changes, request=request)))

    @extend_schema(operation_id="webhooks_deactivate", tags=TAGS,
                   summary="停用订阅（不再写入和发送；投递记录保留，可用 PATCH active=true 重新启用）",
                   parameters=[WEBHOOK],
                   responses={200: ws.SubscriptionSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: MISSING})
    def delete(self, request, id, *args, **kwargs):
        destination = _subscription(request, id)
        return Response(_shown(webhooks.deactivate(request.auth, destination, request=request)))


class RotateSecretView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = ws.SecretSerializer

    @extend_schema(operation_id="webhooks_rotate_secret", tags=TAGS,
                   summary="更换签名密钥（新密钥仅此一次显示，从下一批事件起使用）", parameters=[WEBHOOK], request=None,
                   responses={200: ws.SecretSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: MISSING})
    def post(self, request, id, *args, **kwargs):
        return Response({"secret": webhooks.rotate(_subscription(request, id), request=request)})


class DeliveryPagination(CasePagination):
    """Newest first by primary key."""


class DeliveryLogView(ApiViewMixin, generics.ListAPIView):
    serializer_class = ws.DeliverySerializer
    pagination_class = DeliveryPagination

    @extend_schema(
        operation_id="webhooks_deliveries", tags=TAGS, summary="投递记录（每个事件一行，最新在前，游标分页）",
        description="from/to 按事件发生时间筛选；status=failed 为放弃重试的事件（可申请重发）。",
        parameters=[WEBHOOK, ws.DeliveryFilterSerializer],
        responses={200: ws.DeliverySerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   404: MISSING},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delivery.objects.none()
        destination = _subscription(self.request, self.kwargs["id"])
        criteria = _query(ws.DeliveryFilterSerializer, self.request)
        return webhooks.log(destination, status=criteria.get("status", ""), start=criteria.get("from"),
                            end=criteria.get("to"))


class ReplayView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = ws.ReplaySerializer

    @extend_schema(
        operation_id="webhooks_replay", tags=TAGS, summary="重发一个时段的事件",
        description="把 [from, to) 内、按订阅当前条件应收的事件再发送一次（事件标识不变，接收方按标识去重）。"
                    "一次最多 SHENPI_EXCHANGE_WEBHOOK_REPLAY_MAX 个事件（默认10000），超过则 400，请分段申请。",
        parameters=[WEBHOOK], request=ws.ReplaySerializer,
        responses={202: ws.ReplayResultSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   404: MISSING},
        examples=[OpenApiExample("重发12月5日的事件", request_only=True, value={
            "from": "2026-12-05T00:00:00+08:00", "to": "2026-12-06T00:00:00+08:00"})],
    )
    def post(self, request, id, *args, **kwargs):
        destination = _subscription(request, id)
        form = ws.ReplaySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        period = form.validated_data
        count = webhooks.replay(destination, period["from"], period["to"], request=request)
        return Response({"events": count}, status=status.HTTP_202_ACCEPTED)


urls: list = [
    path("webhooks/", SubscriptionListView.as_view(), name="webhook-list"),
    path("webhooks/<str:id>/", SubscriptionDetailView.as_view(), name="webhook-detail"),
    path("webhooks/<str:id>/rotate-secret/", RotateSecretView.as_view(), name="webhook-rotate-secret"),
    path("webhooks/<str:id>/deliveries/", DeliveryLogView.as_view(), name="webhook-deliveries"),
    path("webhooks/<str:id>/replays/", ReplayView.as_view(), name="webhook-replay"),
]
