"""Projects, stages (and 一件事 bundles), stage templates and joint reviews in the API.

What a caller sees is joint_queries' rule (through the cases it may see, narrowed to a token's
scope); registering a project and opening a stage go through shenpi.joint.services, as the pages
do, and need an acting token; opening a stage also needs every included item in the token's scope.
An invited department posts (or revises) its opinion on a joint review and marks the drawings through
shenpi.joint.reviews, as in the joint review room; opening and concluding a review stay in the room.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from shenpi import clock
from shenpi.cases import files
from shenpi.cases.models import ApplicantKind
from shenpi.cases.services import ApplicantInput
from shenpi.catalog.models import Department
from shenpi.catalog.services import materials_of, published_version
from shenpi.errors import InvalidInput
from shenpi.joint import reviews as review_services
from shenpi.joint import services as joint
from shenpi.joint.models import JointReview, Project, ReviewDocument, ReviewInvitation, Stage, StageTemplate
from shenpi.web import client_address
from shenpi.workdays.services import get_calendar

from . import joint_queries as jq
from . import joint_serializers as js
from . import tokens
from .base import ApiViewMixin
from .pagination import CasePagination
from .parsers import JSONParser
from .views import (
    BAD_REQUEST,
    FORBIDDEN,
    NOT_STAFF,
    NUL,
    REFUSED,
    TOO_LARGE,
    UNAUTHENTICATED,
    _error,
    _id_by_code,
    _may_act,
    _query,
    _scope,
)

PROJECT_NOT_FOUND = "项目不存在，或您无权查看。"
STAGE_NOT_FOUND = "阶段不存在，或您无权查看。"
REVIEW_NOT_FOUND = "联审不存在，或您无权查看。"

PROJECT_CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, description="投资项目统一代码")
STAGE_NUMBER = OpenApiParameter("number", str, OpenApiParameter.PATH, description="阶段编号")
REVIEW_NUMBER = OpenApiParameter("number", str, OpenApiParameter.PATH, description="联审编号")


def _context(view) -> dict:
    return {"request": view.request, "view": view, "today": clock.today(), "calendar": get_calendar()}


def _lookup(queryset, field: str, value: str, message: str):
    if NUL in value:  # PostgreSQL cannot even compare it; no code or number has one
        raise NotFound(message)
    found = queryset.filter(**{field: value}).first()
    if found is None:
        raise NotFound(message)
    return found


class JointPagination(CasePagination):
    """Newest first by primary key, as the case list."""


# -- projects -------------------------------------------------------------------------------------

def _project_body(project: Project, context: dict) -> dict:
    vars(project).update(jq.project_in_full(project))
    return js.ProjectDetailSerializer(project, context=context).data


class ProjectListView(ApiViewMixin, generics.ListCreateAPIView):
    pagination_class = JointPagination

    def get_serializer_class(self):
        return js.ProjectCreateSerializer if self.request.method == "POST" else js.ProjectSummarySerializer

    def get_serializer_context(self):
        return _context(self)

    @extend_schema(
        operation_id="projects_list", summary="项目列表（仅有权查看的项目，按登记先后倒序，游标分页）",
        description="可查看的项目：本人（令牌范围内）可查看其办件的项目，以及本部门牵头的项目。",
        parameters=[js.ProjectFilterSerializer],
        responses={200: js.ProjectSummarySerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED,
                   403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="projects_create", summary="登记项目（填写已有项目代码，或留空由本平台赋码）",
        description="须由综合窗口或中心管理员调用，令牌须有办理权限。项目代码按“年份-行政区划-行业-类型-流水号”校验，"
                    "并须与所填行政区划、行业和类型一致。",
        request=js.ProjectCreateSerializer,
        responses={201: js.ProjectDetailSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   409: REFUSED},
        examples=[OpenApiExample("本平台赋码", request_only=True, value={
            "name": "城西科创中心一期", "owner_name": "杭州示范置业有限公司", "owner_uscc": "91330100MA2XXXXX0X",
            "location": "杭州市西湖区", "division": "330106", "total_investment": "52000.00", "kind": "01",
            "industry": "47", "project_type": "gov-building", "lead_department": "FGJ", "key_project": True})],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Project.objects.none()
        criteria = _query(js.ProjectFilterSerializer, self.request)
        projects = jq.visible_projects(self.request.user, _scope(self.request)).select_related(
            "project_type", "lead_department", "district")
        for flag in ("key_project", "green_channel"):
            if criteria.get(flag) is not None:
                projects = projects.filter(**{flag: criteria[flag]})
        for field in ("lead_department", "district"):
            if criteria.get(field):
                projects = projects.filter(**{f"{field}_id": _id_by_code(Department, criteria[field], field, "部门")})
        if criteria.get("industry"):
            projects = projects.filter(industry=criteria["industry"])
        if criteria.get("code"):
            projects = projects.filter(code__startswith=criteria["code"].strip())
        if criteria.get("q"):
            q = criteria["q"].strip()
            projects = projects.filter(Q(name__icontains=q) | Q(owner_name__icontains=q))
        return projects

    def create(self, request, *args, **kwargs):
        _may_act(request)
        form = js.ProjectCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        project = joint.register_project(actor=request.user, data=joint.ProjectInput(
            code=data["code"], name=data["name"], owner_name=data["owner_name"], owner_uscc=data["owner_uscc"],
            location=data["location"], division=data["division"], district=data.get("district"),
            total_investment=data["total_investment"], kind=data["kind"], industry=data["industry"],
            project_type=data["project_type"], lead_department=data["lead_department"],
            key_project=data["key_project"], green_channel=data["green_channel"], answers=data["answers"]))
        project = Project.objects.select_related("project_type", "lead_department", "district").get(pk=project.pk)
        location = request.build_absolute_uri(f"{request.path}{project.code}/")
        return Response(_project_body(project, self.get_serializer_context()), status=status.HTTP_201_CREATED,
                        headers={"Location": location})


class ProjectDetailView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = js.ProjectDetailSerializer

    @extend_schema(
        operation_id="projects_retrieve",
        summary="项目全貌：项目信息、各阶段及其时限、各部门办件、网上联审意见、共享材料与复用的审批结果",
        description="一次调用取得显示项目页所需的一切；文件内容不在其中（只有名称与 SM3 摘要）。",
        parameters=[PROJECT_CODE],
        responses={200: js.ProjectDetailSerializer, 401: UNAUTHENTICATED, 403: NOT_STAFF,
                   404: _error(PROJECT_NOT_FOUND)},
    )
    def get(self, request, *args, **kwargs):
        projects = jq.visible_projects(request.user, _scope(request)).select_related(
            "project_type", "lead_department", "district")
        project = _lookup(projects, "code", kwargs["code"], PROJECT_NOT_FOUND)
        return Response(_project_body(project, _context(self)))


# -- stage templates ------------------------------------------------------------------------------

def _describe_template(template: StageTemplate) -> StageTemplate:
    """The template's items with their current names, and its one list of materials."""
    items, materials = [], {}
    for stage_item in template.items.all():
        version = published_version(stage_item.item)
        items.append({"item": stage_item.item, "name": version.name if version else str(stage_item.item),
                      "required": stage_item.required, "condition": stage_item.condition})
        for spec in materials_of(version) if version else ():
            entry = materials.setdefault(spec.name, {"name": spec.name, "required": False, "items": []})
            entry["required"] = entry["required"] or (spec.required and not stage_item.condition)
            entry["items"].append(stage_item.item.code)
    template.api_items, template.api_materials = items, list(materials.values())
    return template


class StageTemplateListView(ApiViewMixin, generics.ListAPIView):
    serializer_class = js.StageTemplateSerializer
    pagination_class = None

    @extend_schema(
        operation_id="stage_templates_list", summary="阶段与一件事模板（启用中）：事项、情形问题与材料清单",
        parameters=[js.TemplateFilterSerializer],
        responses={200: js.StageTemplateSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED,
                   403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return StageTemplate.objects.none()
        criteria = _query(js.TemplateFilterSerializer, self.request)
        templates = jq.templates_in_full(StageTemplate.objects.filter(active=True))
        if criteria.get("kind"):
            templates = templates.filter(kind=criteria["kind"])
        if criteria.get("project_type"):
            templates = templates.filter(project_type__code=criteria["project_type"])
        return templates

    def list(self, request, *args, **kwargs):
        templates = [_describe_template(t) for t in self.get_queryset()]
        return Response(js.StageTemplateSerializer(templates, many=True).data)


# -- stages ---------------------------------------------------------------------------------------

# joint.services / cases.services name fields after the models; the request names them flat.
_STAGE_FIELDS = {"applicant_id": "applicant_id_number", "contact_phone": "phone", "materials": "material_names",
                 "answers": "yes", "applicant_id_note": "applicant_id_note"}


def _stage_body(stage_pk: int, context: dict) -> dict:
    stage = jq.stages_in_full(Stage.objects.filter(pk=stage_pk)).get()
    return js.StageSerializer(stage, context=context).data


class StageListView(ApiViewMixin, generics.ListCreateAPIView):
    pagination_class = JointPagination
    parser_classes = [JSONParser, MultiPartParser]

    def get_serializer_class(self):
        return js.StageCreateSerializer if self.request.method == "POST" else js.StageSummarySerializer

    def get_serializer_context(self):
        return _context(self)

    @extend_schema(
        operation_id="stages_list", summary="阶段与一件事列表（有权查看其办件的，按受理先后倒序，游标分页）",
        parameters=[js.StageFilterSerializer],
        responses={200: js.StageSummarySerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED,
                   403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="stages_create", summary="申报阶段或一件事：一张表单、一套材料，各事项在其部门同时收件并受理",
        description="须由窗口人员调用，令牌须有办理权限，且范围包括所办每个事项及其部门。"
                    "共用材料以 multipart/form-data 上传（material_names 与 material_files 一一对应，按文件内容校验）；"
                    "前序阶段的审批结果自动作为材料，无须上传。任何一项被拒绝则什么也不保存。",
        request={"application/json": js.StageCreateSerializer, "multipart/form-data": js.StageCreateSerializer},
        responses={201: js.StageSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   409: REFUSED, 413: TOO_LARGE},
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Stage.objects.none()
        criteria = _query(js.StageFilterSerializer, self.request)
        stages = jq.visible_stages(self.request.user, _scope(self.request)).select_related(
            "template", "lead_department", "project")
        if criteria.get("kind"):
            stages = stages.filter(template__kind=criteria["kind"])
        if criteria.get("state"):
            stages = stages.filter(state=criteria["state"])
        if criteria.get("project"):
            stages = stages.filter(project__code=criteria["project"])
        return stages

    def create(self, request, *args, **kwargs):
        _may_act(request)
        form = js.StageCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        template: StageTemplate = data["template"]
        project = None
        if data.get("project"):
            project = joint.project_of(data["project"])
            if project is None:
                raise ValidationError({"project": [f"项目代码“{data['project']}”尚未登记。"]})
        answers = ({key: True for key in data["yes"]} if "yes" in data
                   else (project.answers if project else {}))
        scope = _scope(request)
        if scope is not None:
            outside = [si.item for si in joint.included_items(template, answers) if not scope.allows_item(si.item)]
            if outside:
                raise PermissionDenied(f"{tokens.OUT_OF_SCOPE}（{'、'.join(i.code for i in outside)}）")
        applicant = self._applicant(data, project)
        known = {name for name, _ in joint.materials_needed(template, answers)}
        unknown = [n for n in data["material_names"] if n not in known]
        if unknown:
            raise ValidationError({"material_names": [f"材料“{'、'.join(unknown)}”不在本阶段的材料清单中。"]})
        stored: list[files.StoredFile] = []
        try:
            shared = {}
            for index, (name, upload) in enumerate(zip(data["material_names"], data["material_files"], strict=True)):
                try:
                    shared[name] = files.store(files.inspect(upload), folder="stages")
                except InvalidInput as error:
                    raise ValidationError({f"material_files.{index}": [error.message]}) from None
                stored.append(shared[name])
            try:
                stage = joint.open_stage(actor=request.user, template=template, applicant=applicant, project=project,
                                         answers=answers, shared=shared, channel=data["channel"],
                                         ip=client_address(request))
            except InvalidInput as error:
                raise InvalidInput(error.message, {_STAGE_FIELDS.get(k, k): v for k, v in error.fields.items()}) \
                    from error
        except BaseException:
            for kept in stored:  # refused: the files kept for it point at nothing
                default_storage.delete(kept.path)
            raise
        location = request.build_absolute_uri(f"{request.path}{stage.number}/")
        return Response(_stage_body(stage.pk, self.get_serializer_context()), status=status.HTTP_201_CREATED,
                        headers={"Location": location})

    @staticmethod
    def _applicant(data: dict, project: Project | None) -> ApplicantInput:
        kind = data.get("applicant_kind") or (ApplicantKind.ORGANISATION if project else "")
        name = (data.get("applicant_name") or "").strip() or (project.owner_name if project else "")
        id_number = (data.get("applicant_id_number") or "").strip() or (project.owner_uscc if project else "")
        missing = {field: ["请填写申请人信息。"] for field, value in
                   (("applicant_kind", kind), ("applicant_name", name), ("applicant_id_number", id_number))
                   if not value}
        if missing:
            raise ValidationError(missing)
        return ApplicantInput(kind=kind, name=name, id_number=id_number, contact_name=data["contact_name"],
                              phone=data["phone"], id_note=data["applicant_id_note"])


class StageDetailView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = js.StageSerializer

    @extend_schema(
        operation_id="stages_retrieve", summary="阶段全貌：阶段时限、各部门办件及其状态、共用材料",
        parameters=[STAGE_NUMBER],
        responses={200: js.StageSerializer, 401: UNAUTHENTICATED, 403: NOT_STAFF, 404: _error(STAGE_NOT_FOUND)},
    )
    def get(self, request, *args, **kwargs):
        stages = jq.stages_in_full(jq.visible_stages(request.user, _scope(request)))
        stage = _lookup(stages, "number", kwargs["number"], STAGE_NOT_FOUND)
        return Response(js.StageSerializer(stage, context=_context(self)).data)


# -- joint reviews -----------------------------------------------------------------------------------

class ReviewListView(ApiViewMixin, generics.ListAPIView):
    serializer_class = js.JointReviewSerializer
    pagination_class = JointPagination

    def get_serializer_context(self):
        return _context(self)

    @extend_schema(
        operation_id="joint_reviews_list", summary="网上联审列表（牵头、受邀，或有权查看其阶段/办件的，游标分页）",
        parameters=[js.ReviewFilterSerializer],
        responses={200: js.JointReviewSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED,
                   403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return JointReview.objects.none()
        criteria = _query(js.ReviewFilterSerializer, self.request)
        reviews = jq.reviews_in_full(jq.visible_reviews(self.request.user, _scope(self.request)))
        if criteria.get("state"):
            reviews = reviews.filter(state=criteria["state"])
        if criteria.get("stage"):
            reviews = reviews.filter(stage__number=criteria["stage"])
        if criteria.get("department"):
            department = _id_by_code(Department, criteria["department"], "department", "部门")
            invited = ReviewInvitation.objects.filter(review_id=OuterRef("pk"), department_id=department)
            reviews = reviews.filter(Q(lead_department_id=department) | Exists(invited))
        return reviews


class ReviewDetailView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = js.JointReviewSerializer

    @extend_schema(
        operation_id="joint_reviews_retrieve", summary="网上联审：受邀部门的结论与意见（含逾期）、图纸材料、联审意见",
        parameters=[REVIEW_NUMBER],
        responses={200: js.JointReviewSerializer, 401: UNAUTHENTICATED, 403: NOT_STAFF,
                   404: _error(REVIEW_NOT_FOUND)},
    )
    def get(self, request, *args, **kwargs):
        reviews = jq.reviews_in_full(jq.visible_reviews(request.user, _scope(request)))
        review = _lookup(reviews, "number", kwargs["number"], REVIEW_NOT_FOUND)
        return Response(js.JointReviewSerializer(review, context=_context(self)).data)


REVIEW_CLOSED = _error("联审已出具意见，不能再修改（refused）；什么也没有改变。")


def _acting_on(request, number: str) -> JointReview:
    """The review the caller may see (404 otherwise), with a token that acts for the caller's department."""
    review = _lookup(jq.visible_reviews(request.user, _scope(request)), "number", number, REVIEW_NOT_FOUND)
    _may_act(request)
    scope = _scope(request)
    if scope is not None and request.user.department_id not in scope.departments:
        raise PermissionDenied(tokens.OUT_OF_SCOPE)
    return review


def _review_body(review: JointReview, view) -> dict:
    full = jq.reviews_in_full(JointReview.objects.filter(pk=review.pk)).get()
    return js.JointReviewSerializer(full, context=_context(view)).data


class ReviewOpinionView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = js.OpinionSerializer

    @extend_schema(
        operation_id="joint_reviews_opinions_create", summary="受邀部门提交或修改本部门的联审意见",
        description="须由受邀部门的工作人员（窗口收件人员除外）调用，令牌须有办理权限且范围包括本部门。"
                    "每个部门一份意见，联审出具意见前可修改；期限后提交的记为逾期。成功返回联审全貌。",
        parameters=[REVIEW_NUMBER],
        request=js.OpinionSerializer,
        responses={200: js.JointReviewSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   404: _error(REVIEW_NOT_FOUND), 409: REVIEW_CLOSED},
        examples=[OpenApiExample("原则同意（附意见）", request_only=True,
                                 value={"verdict": "conditional", "opinion": "建筑退让道路红线须调整至8米。"})],
    )
    def post(self, request, *args, **kwargs):
        review = _acting_on(request, kwargs["number"])
        form = js.OpinionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        review_services.post_opinion(request.user, review, form.validated_data["verdict"],
                                     form.validated_data["opinion"])
        return Response(_review_body(review, self))


class ReviewAnnotationView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = js.AnnotationCreateSerializer

    @extend_schema(
        operation_id="joint_reviews_annotations_create", summary="在联审图纸的一页上标注并附批注（各部门可见）",
        description="须由牵头部门或受邀部门的工作人员调用，令牌须有办理权限且范围包括本部门。"
                    "位置以页面比例表示：x 距左边、y 距上边，均为 0—1。",
        parameters=[REVIEW_NUMBER],
        request=js.AnnotationCreateSerializer,
        responses={201: js.AnnotationSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   404: _error(REVIEW_NOT_FOUND), 409: REVIEW_CLOSED},
        examples=[OpenApiExample("标注", request_only=True, value={
            "document": 1, "page": 1, "x": 0.42, "y": 0.3, "comment": "消防车道宽度不足4米。"})],
    )
    def post(self, request, *args, **kwargs):
        review = _acting_on(request, kwargs["number"])
        form = js.AnnotationCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        document = ReviewDocument.objects.select_related("review").filter(review=review, pk=data["document"]).first()
        if document is None:
            raise ValidationError({"document": ["该图纸材料不属于本次联审。"]})
        mark = review_services.annotate(request.user, document, data["page"], data["x"], data["y"], data["comment"])
        mark = type(mark).objects.select_related("document__review", "department", "author").get(pk=mark.pk)
        return Response(js.AnnotationSerializer(mark).data, status=status.HTTP_201_CREATED)
