"""Request and response shapes of the e-licence library (电子证照库) in the API."""

from __future__ import annotations

from rest_framework import serializers

from shenpi.licences.identifiers import check_identifier
from shenpi.licences.models import Licence

from .serializers import DepartmentRefSerializer


def _identifier(value: str) -> str:
    problem = check_identifier(value)
    if problem:
        raise serializers.ValidationError(problem)
    return value.strip().upper()


class LicenceFilterSerializer(serializers.Serializer):
    type_code = serializers.CharField(required=False, max_length=40, help_text="证照类型代码")
    department = serializers.CharField(required=False, max_length=32, help_text="发证部门编码")
    status = serializers.ChoiceField(required=False, choices=Licence.Status.choices,
                                     help_text="状态：valid 有效，replaced 已换发，cancelled 已注销，revoked 已吊销")
    valid_on = serializers.DateField(required=False, help_text="只列出该日（YYYY-MM-DD）有效的证照")
    identifier = serializers.CharField(required=False, max_length=100, validators=[_identifier],
                                       help_text="电子证照标识（GB/T 36904）")


class HolderQuerySerializer(serializers.Serializer):
    id_number = serializers.CharField(max_length=40, help_text="持证主体的居民身份证号码或统一社会信用代码")
    type_code = serializers.CharField(required=False, max_length=40, help_text="证照类型代码")
    valid_on = serializers.DateField(required=False, help_text="只列出该日（YYYY-MM-DD）有效的证照")


class LicenceSummarySerializer(serializers.Serializer):
    identifier = serializers.CharField(help_text="电子证照标识（GB/T 36904）")
    serial = serializers.CharField(help_text="证照编号")
    title = serializers.CharField(help_text="证照名称")
    type_code = serializers.CharField(help_text="证照类型代码")
    department = DepartmentRefSerializer(help_text="发证部门")
    holder_kind = serializers.CharField(help_text="持证主体类型：person 个人，organisation 法人")
    holder_name = serializers.CharField(help_text="持证主体名称")
    holder_id_masked = serializers.CharField(help_text="持证主体证件号码（脱敏）")
    issued_at = serializers.DateTimeField(help_text="发证时间")
    valid_from = serializers.DateField(help_text="有效期起")
    valid_until = serializers.DateField(allow_null=True, help_text="有效期至（null 为长期有效）")
    status = serializers.CharField(help_text="状态：valid / replaced / cancelled / revoked")
    status_display = serializers.CharField(source="get_status_display", help_text="状态（中文）")


class LicenceDetailSerializer(LicenceSummarySerializer):
    data = serializers.JSONField(help_text="证照信息（发证时的字段与取值）")
    status_reason = serializers.CharField(help_text="注销、吊销或换发的理由")
    status_changed_at = serializers.DateTimeField(allow_null=True, help_text="状态变更时间")
    replaces = serializers.CharField(source="replaces.identifier", allow_null=True, default=None,
                                     help_text="换发自（原证照的电子证照标识）")
    case = serializers.CharField(source="case.number", help_text="发证所依据的办件编号")
    sm2_signature = serializers.CharField(help_text="SM2签名（Base64），签名原文为 signed_data")
    signed_data = serializers.CharField(help_text="签名原文（证照信息的规范化JSON）")
    pdf_digest = serializers.CharField(help_text="证照PDF的SM3摘要")
    citable = serializers.BooleanField(help_text="当前能否用于一证通办（有效、在有效期内、未被注销吊销换发、核验通过）")
    verification = serializers.CharField(help_text="核验结果说明")
