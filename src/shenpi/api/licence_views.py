"""The e-licence library in the API (/api/v1/licences/): list and filter, one licence, a holder's.

Which licences a caller reads: a session, what the staff library shows them (licences.library.
staff_scope); a token, that narrowed to the token's departments — or every department's for a
centre-wide holder whose token names none (tokens.Scope.all_departments). Reading needs no acting
token. A holder is looked up by ID number in a POST body, so the number never sits in a URL or an
access log; the look-up is recorded as a personal-data view.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from shenpi.catalog.models import Department
from shenpi.licences import library
from shenpi.licences.identifiers import check_identifier
from shenpi.licences.models import Licence
from shenpi.security import audit

from . import licence_serializers as ls
from .base import ApiViewMixin
from .pagination import CasePagination
from .views import BAD_REQUEST, NOT_STAFF, NUL, UNAUTHENTICATED, _error, _query, _scope

LICENCE_NOT_FOUND = "电子证照不存在，或您无权查看。"
MISSING = _error("电子证照不存在，或您无权查看（两者不作区分）。")
IDENTIFIER = OpenApiParameter("identifier", str, OpenApiParameter.PATH, description="电子证照标识（GB/T 36904）")


def readable(request):
    """The licences this caller may read: their own rights (the staff library's), narrowed to the
    token's departments unless the token reaches all of them."""
    licences = library.staff_scope(request.user)
    scope = _scope(request)
    if scope is not None and not scope.all_departments:
        licences = licences.filter(department_id__in=scope.departments)
    return licences.select_related("department")


def _filtered(request, licences, criteria: dict):
    department = None
    if criteria.get("department"):
        department = Department.objects.filter(code=criteria["department"]).first()
        if department is None:
            raise ValidationError({"department": [f"部门编码“{criteria['department']}”不存在。"]})
    return library.search(licences, type_code=criteria.get("type_code", ""), department=department,
                          status=criteria.get("status", ""), valid_on_day=criteria.get("valid_on"),
                          identifier=criteria.get("identifier", ""))


class LicencePagination(CasePagination):
    """Newest first by primary key."""


class LicenceListView(ApiViewMixin, generics.ListAPIView):
    pagination_class = LicencePagination
    serializer_class = ls.LicenceSummarySerializer

    @extend_schema(
        operation_id="licences_list", summary="电子证照列表（有权查看的发证部门，按发证先后倒序，游标分页）",
        description="令牌只读即可。令牌限定部门的，只列出这些部门发出的证照；持有中心级角色（上级平台、监察）"
                    "且未限定部门的令牌可查询全部部门的证照。证件号码只返回脱敏值；按持证主体查询请用 "
                    "POST /api/v1/licences/holder/。",
        parameters=[ls.LicenceFilterSerializer],
        responses={200: ls.LicenceSummarySerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED,
                   403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Licence.objects.none()
        return _filtered(self.request, readable(self.request), _query(ls.LicenceFilterSerializer, self.request))


class LicenceDetailView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = ls.LicenceDetailSerializer

    @extend_schema(
        operation_id="licences_detail", summary="一份电子证照（含签名原文、SM2签名与当前核验结果）",
        parameters=[IDENTIFIER],
        responses={200: ls.LicenceDetailSerializer, 401: UNAUTHENTICATED, 403: NOT_STAFF,
                   404: MISSING},
    )
    def get(self, request, identifier, *args, **kwargs):
        if NUL in identifier or check_identifier(identifier):
            raise NotFound(LICENCE_NOT_FOUND)
        licence = readable(request).select_related("case", "replaces").filter(
            identifier=identifier.strip().upper()).first()
        if licence is None:
            raise NotFound(LICENCE_NOT_FOUND)
        licence.citable, licence.verification = library.verify_for_citation(licence)
        audit.record("personal_data.viewed", request=request, target=f"licence:{licence.identifier}", where="api",
                     fields=["holder_name", "holder_id_masked", "data"])
        return Response(ls.LicenceDetailSerializer(licence).data)


class HolderLicencesView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = ls.HolderQuerySerializer

    @extend_schema(
        operation_id="licences_holder", summary="按持证主体证件号码查询其电子证照（一证通办核验）",
        description="证件号码放在请求体中，不出现在地址里；每次查询记入安全审计（查看个人信息）。"
                    "返回该主体在令牌范围内的全部证照（不分页，最新在前），可按类型和有效日期筛选。",
        request=ls.HolderQuerySerializer,
        responses={200: ls.LicenceSummarySerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED,
                   403: NOT_STAFF},
        examples=[OpenApiExample("某人当前有效的规划许可证", request_only=True, value={
            "id_number": "11010519491231002X", "type_code": "11100000MB0000000X-001", "valid_on": "2026-12-06"})],
    )
    def post(self, request, *args, **kwargs):
        form = ls.HolderQuerySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        criteria = form.validated_data
        licences = library.search(readable(request), holder_id=criteria["id_number"],
                                  type_code=criteria.get("type_code", ""), valid_on_day=criteria.get("valid_on"))
        rows = list(licences.order_by("-issued_at", "-pk")[:500])
        audit.record("personal_data.viewed", request=request, target="licences:holder", where="api",
                     fields=["holder_id"], found=len(rows))
        return Response(ls.LicenceSummarySerializer(rows, many=True).data)
