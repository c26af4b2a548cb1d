"""Request and response shapes of online applications (网上申报) under pre-review (预审) in the API.

Docstrings and help texts are published in the schema, in Chinese.
"""

from __future__ import annotations

from rest_framework import serializers

from shenpi.accounts.identifiers import mask_id, mask_phone
from shenpi.api.serializers import DepartmentRefSerializer

from . import services

ACTIONS = {"accept": "预审通过并受理", "correct": "一次性告知补正", "refuse": "不予受理"}
ACTION_CHOICES = list(ACTIONS.items())


class ApplicationFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        [(code, label) for code, label in services.QUEUES.items()], required=False, default="submitted",
        help_text="队列：submitted 待预审（默认），correcting 待申请人补正，accepted 已受理，refused 不予受理")


class ApplicationSummarySerializer(serializers.Serializer):
    number = serializers.CharField(help_text="申报编号")
    item_code = serializers.CharField(source="item.code", help_text="事项编码")
    item_name = serializers.CharField(source="version.name", help_text="事项名称（所申报的版本）")
    department = DepartmentRefSerializer(help_text="实施部门")
    title = serializers.CharField(help_text="申请事项/项目名称")
    applicant_name = serializers.CharField(source="applicant.name", help_text="申请人")
    applicant_id_masked = serializers.SerializerMethodField(help_text="证件号码（脱敏）")
    status = serializers.CharField(help_text="状态：submitted / correcting / accepted / refused")
    status_display = serializers.CharField(source="get_status_display", help_text="状态（中文）")
    submitted_at = serializers.DateTimeField(allow_null=True, help_text="提交时间")
    prereview_due = serializers.DateField(allow_null=True, help_text="预审期限")
    case = serializers.CharField(source="case.number", default=None, allow_null=True, help_text="受理后的办件编号")

    def get_applicant_id_masked(self, app) -> str:
        return mask_id(app.applicant.id_number)


class OnlineApplicantSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="person 自然人 / organisation 法人")
    name = serializers.CharField(help_text="姓名或单位名称")
    id_number = serializers.CharField(help_text="证件号码（原文，查看记入安全审计）")
    mobile = serializers.CharField(help_text="已验证的手机号码")
    mobile_masked = serializers.SerializerMethodField(help_text="手机号码（脱敏）")

    def get_mobile_masked(self, applicant) -> str:
        return mask_phone(applicant.mobile)


class UploadSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="文件编号")
    name = serializers.CharField(help_text="文件名")
    content_type = serializers.CharField(help_text="类型（按内容识别）")
    size = serializers.IntegerField(help_text="大小（字节）")
    pages = serializers.IntegerField(allow_null=True, help_text="PDF 页数")
    digest = serializers.CharField(help_text="SM3摘要")


class MaterialRowSerializer(serializers.Serializer):
    spec = serializers.IntegerField(source="spec.pk", help_text="目录材料编号（补正时引用）")
    name = serializers.CharField(source="spec.name", help_text="材料名称")
    required = serializers.BooleanField(source="spec.required", help_text="必交")
    deferrable = serializers.BooleanField(source="spec.deferrable", help_text="可容缺（受理后补交）")
    upload = UploadSerializer(allow_null=True, help_text="现行的电子文件（未上传为 null）")
    missing = serializers.BooleanField(help_text="必交而未上传（也未以电子证照替代）")
    listed = serializers.JSONField(allow_null=True, help_text="补正告知中列出的问题（未列出为 null）")
    corrected = serializers.BooleanField(help_text="已按补正告知重新上传")


class ApplicationDetailSerializer(ApplicationSummarySerializer):
    applicant = OnlineApplicantSerializer()
    data = serializers.JSONField(help_text="申请表内容")
    decided_at = serializers.DateTimeField(allow_null=True, help_text="预审办结时间")
    refusal_reason = serializers.CharField(help_text="不予受理理由")
    materials = serializers.SerializerMethodField(help_text="材料及其电子文件")

    def get_materials(self, app) -> list[dict]:
        return MaterialRowSerializer(services.attach_summary(app), many=True).data


class CorrectionItemSerializer(serializers.Serializer):
    spec = serializers.IntegerField(help_text="目录材料编号（详情 materials[].spec）")
    problem = serializers.CharField(required=False, allow_blank=True, max_length=services.PROBLEM_MAX,
                                    help_text="问题（不填：未上传的为“未提交”，已上传的为“材料不符合要求”）")


class PrereviewActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(ACTION_CHOICES, help_text="accept 预审通过并受理，correct 一次性告知补正，"
                                                                     "refuse 不予受理")
    items = CorrectionItemSerializer(many=True, required=False, default=list,
                                     help_text="correct：需要补正的全部材料（一次性告知，只能告知一次）")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.TEXT_MAX,
                                 help_text="correct：说明")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.TEXT_MAX,
                                   help_text="refuse：不予受理理由（必填）")


class PrereviewResultSerializer(serializers.Serializer):
    application = ApplicationDetailSerializer()
    case = serializers.CharField(allow_null=True, help_text="accept：受理后的办件编号")


