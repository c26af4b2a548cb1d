"""Request and response shapes of consultations (咨询), complaints (投诉) and ratings (好差评) in the API.

Docstrings and help texts are published in the schema, in Chinese. Contact details of the public
never leave the platform through the API: a complaint carries its masked mobile only.
"""

from __future__ import annotations

from rest_framework import serializers

from shenpi.api.serializers import DepartmentRefSerializer

from .models import Complaint, Level


def _date_range(data: dict) -> dict:
    if data.get("since") and data.get("until") and data["since"] > data["until"]:
        raise serializers.ValidationError({"until": ["结束日期不能早于开始日期。"]})
    return data


class ConsultationFilterSerializer(serializers.Serializer):
    answered = serializers.BooleanField(required=False, allow_null=True, default=None,
                                        help_text="true 已答复，false 待答复；不填为全部")
    department = serializers.CharField(required=False, max_length=32, help_text="部门编码")


class ConsultationSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="咨询编号")
    item = serializers.CharField(source="item.code", help_text="事项编码")
    department = DepartmentRefSerializer(help_text="答复部门")
    question = serializers.CharField(help_text="问题")
    asked_at = serializers.DateTimeField(help_text="咨询时间")
    answer = serializers.CharField(help_text="答复（待答复为空）")
    answered_at = serializers.DateTimeField(allow_null=True, help_text="答复时间")
    published = serializers.BooleanField(help_text="已公开到常见问题")


class ConsultationAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=2000, help_text="答复",
                                   error_messages={"blank": "请填写答复。", "required": "请填写答复。"})
    publish = serializers.BooleanField(default=False, help_text="同时公开到常见问题")


class ComplaintFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(Complaint.Status.choices, required=False, help_text="open 待答复，answered 已答复")
    department = serializers.CharField(required=False, max_length=32, help_text="被投诉部门编码")


class ComplaintSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="投诉编号")
    subject = serializers.CharField(help_text="投诉对象：case / window / person / other")
    case = serializers.CharField(source="case.number", default=None, allow_null=True, help_text="办件编号")
    department = DepartmentRefSerializer(help_text="被投诉部门")
    complainant = serializers.CharField(help_text="投诉人")
    mobile_masked = serializers.CharField(help_text="手机号码（脱敏）")
    content = serializers.CharField(help_text="投诉内容")
    filed_at = serializers.DateTimeField(help_text="投诉时间")
    answer_due = serializers.DateField(help_text="答复期限")
    status = serializers.CharField(help_text="open / answered")
    answer = serializers.CharField(help_text="答复")
    answered_at = serializers.DateTimeField(allow_null=True, help_text="答复时间")


class ComplaintAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=2000, help_text="答复（短信告知投诉人）",
                                   error_messages={"blank": "请填写答复。", "required": "请填写答复。"})


class RatingFilterSerializer(serializers.Serializer):
    level = serializers.ChoiceField(Level.choices, required=False, help_text="评价等级 1—5（5 非常满意）")
    department = serializers.CharField(required=False, max_length=32, help_text="部门编码")
    since = serializers.DateField(required=False, help_text="评价日期起（含）")
    until = serializers.DateField(required=False, help_text="评价日期止（含）")
    by_default = serializers.BooleanField(required=False, allow_null=True, default=None,
                                          help_text="true 只看超期默认评价，false 只看主动评价")

    def validate(self, data):
        return _date_range(data)


class RatingSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="评价编号")
    case = serializers.CharField(source="case.number", default=None, allow_null=True, help_text="办件编号（一事一评）")
    window = serializers.CharField(source="window.number", default=None, allow_null=True,
                                   help_text="窗口号（一次一评）")
    department = DepartmentRefSerializer(help_text="部门")
    level = serializers.IntegerField(help_text="评价等级 1—5")
    level_display = serializers.CharField(source="get_level_display", help_text="评价等级（中文）")
    comment = serializers.CharField(help_text="评价内容")
    reason = serializers.CharField(help_text="差评原因")
    rated_at = serializers.DateTimeField(help_text="评价时间")
    by_default = serializers.BooleanField(help_text="超期未评价的默认评价")
    excluded = serializers.BooleanField(help_text="申诉复核成立，不计入统计")
