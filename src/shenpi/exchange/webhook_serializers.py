"""What the webhook endpoints take and give (docs/webhooks.md)."""

from __future__ import annotations

from urllib.parse import urlsplit

from rest_framework import serializers

from .models import Delivery, Destination, EventKind


def _http_only(url: str) -> None:
    if urlsplit(url).scheme not in ("http", "https"):
        raise serializers.ValidationError("接收地址须以 http:// 或 https:// 开头。")


class SubscriptionInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="订阅名称（部门系统的名称）")
    url = serializers.URLField(max_length=500, validators=[_http_only], help_text="接收地址（http 或 https）")
    event_kinds = serializers.ListField(child=serializers.ChoiceField(EventKind.choices), required=False,
                                        default=list, help_text="事件类型；为空表示全部类型")
    departments = serializers.ListField(child=serializers.CharField(max_length=60), required=False, default=list,
                                        help_text="部门编码；须在令牌范围内，为空表示令牌范围内的全部部门")
    items = serializers.ListField(child=serializers.CharField(max_length=60), required=False, default=list,
                                  help_text="事项编码；须在令牌范围内，为空表示令牌范围内的全部事项")
    algorithm = serializers.ChoiceField(Destination.Algorithm.choices, default=Destination.Algorithm.HMAC_SM3,
                                        help_text="签名算法")


class SubscriptionChangeSerializer(SubscriptionInputSerializer):
    active = serializers.BooleanField(required=False, help_text="false 停用（不再写入和发送），true 重新启用")


class SubscriptionSerializer(serializers.Serializer):
    id = serializers.CharField(source="code", help_text="订阅标识")
    name = serializers.CharField()
    url = serializers.CharField()
    algorithm = serializers.CharField()
    event_kinds = serializers.ListField(child=serializers.CharField())
    departments = serializers.SerializerMethodField(help_text="部门编码")
    items = serializers.SerializerMethodField(help_text="事项编码；为空表示所列部门的全部事项")
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    failures = serializers.IntegerField(help_text="连续投递失败次数")
    retry_at = serializers.DateTimeField(allow_null=True, help_text="失败后暂停投递至此时刻")

    def get_departments(self, obj) -> list[str]:
        return self.context["codes"][obj.pk][0]

    def get_items(self, obj) -> list[str]:
        return self.context["codes"][obj.pk][1]


class CreatedSubscriptionSerializer(SubscriptionSerializer):
    secret = serializers.CharField(help_text="签名密钥：只在此时显示一次，请妥善保存")


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="新的签名密钥：只显示一次，下一批事件起使用")


class DeliverySerializer(serializers.Serializer):
    event = serializers.UUIDField(source="event_id", help_text="事件标识（幂等键，重发时不变）")
    kind = serializers.CharField(source="event.kind", help_text="事件类型")
    case = serializers.SerializerMethodField(help_text="办件编号")
    at = serializers.DateTimeField(source="event.at", help_text="事件发生时间")
    round = serializers.IntegerField(help_text="0 为首次投递，重发依次为 1、2…")
    status = serializers.ChoiceField(Delivery.Status.choices)
    attempts = serializers.IntegerField(help_text="已尝试次数")
    last_error = serializers.CharField(help_text="最近一次失败的原因")
    created_at = serializers.DateTimeField(help_text="写入时间")
    delivered_at = serializers.DateTimeField(allow_null=True, help_text="投递成功时间")

    def get_case(self, obj) -> str | None:
        return obj.event.payload.get("case")


class _Period(serializers.Serializer):
    """`from` and `to` are Python keywords: the fields are declared by name here."""

    period_required = False

    def get_fields(self):
        return {
            "from": serializers.DateTimeField(required=self.period_required, help_text="起（含），ISO 8601 带时区"),
            "to": serializers.DateTimeField(required=self.period_required, help_text="止（不含），ISO 8601 带时区"),
        }

    def validate(self, data):
        if data.get("from") and data.get("to") and data["to"] <= data["from"]:
            raise serializers.ValidationError({"to": ["止时间须晚于起时间。"]})
        return data


class DeliveryFilterSerializer(_Period):
    def get_fields(self):
        return {"status": serializers.ChoiceField(Delivery.Status.choices, required=False, help_text="投递状态"),
                **super().get_fields()}


class ReplaySerializer(_Period):
    period_required = True


class ReplayResultSerializer(serializers.Serializer):
    events = serializers.IntegerField(help_text="排入重发的事件数")
