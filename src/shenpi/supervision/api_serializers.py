"""Request and response shapes of supervision alerts (监察告警) and orders (督办) in the API.

Docstrings and help texts are published in the schema, in Chinese.
"""

from __future__ import annotations

import base64
import binascii

from django.core.files.base import ContentFile
from rest_framework import serializers

from shenpi.api.serializers import DepartmentRefSerializer

from . import alerts, orders
from .models import Alert, Category, Level, Order, OrderEntry

MAX_BASE64_CHARS = (orders.MAX_FILE_BYTES * 4) // 3 + 8


def _date_range(data: dict) -> dict:
    if data.get("since") and data.get("until") and data["since"] > data["until"]:
        raise serializers.ValidationError({"until": ["结束日期不能早于开始日期。"]})
    return data


# -- alerts ---------------------------------------------------------------------------------------

class AlertFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(Alert.Status.choices, required=False,
                                     help_text="状态：open 未解除，closed 已解除；不填为全部")
    level = serializers.ChoiceField(Level.choices, required=False, help_text="级别：1 预警，2 黄牌，3 红牌")
    category = serializers.ChoiceField(Category.choices, required=False, help_text="监察类别")
    rule = serializers.CharField(required=False, max_length=60, help_text="监察点编码")
    department = serializers.CharField(required=False, max_length=32, help_text="责任部门编码")
    since = serializers.DateField(required=False, help_text="发现日期起（含）")
    until = serializers.DateField(required=False, help_text="发现日期止（含）")

    def validate(self, data):
        return _date_range(data)


class RuleRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="监察点编码")
    name = serializers.CharField(help_text="监察点名称")
    category = serializers.CharField(help_text="监察类别")


class AlertSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="告警编号")
    rule = RuleRefSerializer()
    level = serializers.IntegerField(help_text="级别：1 预警，2 黄牌，3 红牌")
    level_display = serializers.CharField(source="get_level_display", help_text="级别（中文）")
    subject = serializers.SerializerMethodField(help_text="监察对象（文字）")
    case = serializers.CharField(source="case.number", default=None, allow_null=True, help_text="办件编号")
    department = DepartmentRefSerializer(help_text="责任部门")
    responsible = serializers.CharField(source="responsible.full_name", default=None, allow_null=True,
                                        help_text="责任人")
    status = serializers.CharField(help_text="状态：open / closed")
    detected_at = serializers.DateTimeField(help_text="发现时间")
    closed_at = serializers.DateTimeField(allow_null=True, help_text="解除时间")
    closed_reason = serializers.CharField(help_text="解除原因")
    reopened = serializers.IntegerField(help_text="再次发生次数")
    answer = serializers.CharField(help_text="整改说明（未反馈为空）")
    answered_at = serializers.DateTimeField(allow_null=True, help_text="反馈时间")

    def get_subject(self, alert) -> str:
        return alerts.subject_label(alert)


class AlertDetailSerializer(AlertSerializer):
    figures = serializers.JSONField(help_text="依据数据（监察点计算所依据的数字）")
    answered_by = serializers.CharField(source="answered_by.full_name", default=None, allow_null=True,
                                        help_text="反馈人")
    orders = serializers.SerializerMethodField(help_text="据此发出的督办单号")

    def get_orders(self, alert) -> list[str]:
        return [o.number for o in alert.orders.order_by("issued_at", "pk")]


class AlertAnswerSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=alerts.MAX_TEXT, help_text="整改说明",
                                 error_messages={"blank": "请填写整改说明。", "required": "请填写整改说明。"})


# -- orders ---------------------------------------------------------------------------------------

class OrderFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(Order.Status.choices, required=False,
                                     help_text="状态：open 待反馈，answered 已反馈待审核，accepted 已办结")
    department = serializers.CharField(required=False, max_length=32, help_text="责任部门编码")
    since = serializers.DateField(required=False, help_text="督办日期起（含）")
    until = serializers.DateField(required=False, help_text="督办日期止（含）")

    def validate(self, data):
        return _date_range(data)


class OrderSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="督办单号")
    title = serializers.CharField(help_text="督办事由")
    department = DepartmentRefSerializer(help_text="责任部门")
    issued_at = serializers.DateTimeField(help_text="督办时间")
    reply_due = serializers.DateField(help_text="反馈期限")
    status = serializers.CharField(help_text="状态：open / answered / accepted")
    status_display = serializers.CharField(source="get_status_display", help_text="状态（中文）")
    closed_at = serializers.DateTimeField(allow_null=True, help_text="办结时间")


class AttachmentSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="文件名")
    content_type = serializers.CharField(help_text="类型（按内容识别）")
    size = serializers.IntegerField(help_text="大小（字节）")
    digest = serializers.CharField(help_text="SM3摘要（十六进制）")


class OrderEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        OrderEntry.Kind.choices, help_text="issue 发出督办，reply 整改反馈，accept 审核通过，return 退回重新整改")
    text = serializers.CharField(help_text="内容")
    by = serializers.CharField(source="by.full_name", help_text="填写人")
    at = serializers.DateTimeField(help_text="时间")
    reply_due = serializers.DateField(allow_null=True, help_text="本次确定的反馈期限")
    attachments = AttachmentSerializer(many=True, source="attachments.all")


class OrderDetailSerializer(OrderSerializer):
    demand = serializers.CharField(help_text="督办要求")
    issued_by = serializers.CharField(source="issued_by.full_name", help_text="督办人")
    alerts = serializers.SerializerMethodField(help_text="相关告警编号")
    cases = serializers.SerializerMethodField(help_text="相关办件编号")
    entries = OrderEntrySerializer(many=True, source="entries.all", help_text="督办记录（时间顺序）")

    def get_alerts(self, order) -> list[int]:
        return sorted(a.pk for a in order.alerts.all())

    def get_cases(self, order) -> list[str]:
        return sorted(c.number for c in order.cases.all())


class FileSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, help_text="文件名")
    content = serializers.CharField(max_length=MAX_BASE64_CHARS, trim_whitespace=False,
                                    help_text="文件内容（Base64）；按内容识别，只接受 PDF、JPG、PNG，每个不超过10 MB")

    def validate(self, data):
        try:
            raw = base64.b64decode(data["content"], validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError({"content": ["不是合法的 Base64 编码。"]}) from None
        return ContentFile(raw, name=data["name"])


class OrderAnswerSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=orders.MAX_TEXT, help_text="整改情况",
                                 error_messages={"blank": "请填写整改情况。", "required": "请填写整改情况。"})
    files = FileSerializer(many=True, required=False, default=list,
                           help_text=f"附件（最多{orders.MAX_FILES}个）")
