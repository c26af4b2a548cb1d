"""Consultations, complaints and ratings in the API (/api/v1/feedback/…).

Which a caller reads is services.visible_questions / visible_complaints (the department's liaison,
approver or handler; the centre's roles everywhere), narrowed to the token's departments unless the
token reaches all of them; ratings likewise by department. Answering needs an acting token; the
services decide who may answer (有诉必复: a complaint is answered once, and the complainant told by SMS).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
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

from . import api_serializers as fs
from . import services
from .models import Complaint, Question, Rating

QUESTION_NOT_FOUND = "咨询不存在，或您无权查看。"
COMPLAINT_NOT_FOUND = "投诉不存在，或您无权查看。"
MISSING = _error("不存在，或您无权查看（两者不作区分）。")
QUESTION_ID = OpenApiParameter("question_id", int, OpenApiParameter.PATH, description="咨询编号")
COMPLAINT_NUMBER = OpenApiParameter("number", str, OpenApiParameter.PATH, description="投诉编号")


def _in_scope(request, rows):
    scope = _scope(request)
    if scope is not None and not scope.all_departments:
        rows = rows.filter(department_id__in=scope.departments)
    return rows


def _department(criteria: dict) -> int | None:
    return _id_by_code(Department, criteria.get("department"), "department", "部门")


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# -- consultations --------------------------------------------------------------------------------

def _question(request, question_id: str) -> Question:
    if row_id(question_id) is None:
        raise NotFound(QUESTION_NOT_FOUND)
    question = _in_scope(request, services.visible_questions(request.user)).filter(pk=question_id).first()
    if question is None:
        raise NotFound(QUESTION_NOT_FOUND)
    return question


class QuestionListView(ApiViewMixin, generics.ListAPIView):
    pagination_class = CasePagination
    serializer_class = fs.ConsultationSerializer

    @extend_schema(
        operation_id="feedback_questions_list", summary="咨询列表（本部门或令牌范围内，最新在前，游标分页）",
        description="令牌只读即可。不返回咨询人的联系方式。",
        parameters=[fs.ConsultationFilterSerializer],
        responses={200: fs.ConsultationSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Question.objects.none()
        criteria = _query(fs.ConsultationFilterSerializer, self.request)
        rows = _in_scope(self.request, services.visible_questions(self.request.user))
        if criteria.get("answered") is not None:
            rows = rows.filter(answered_at__isnull=not criteria["answered"])
        if department_id := _department(criteria):
            rows = rows.filter(department_id=department_id)
        return rows


class QuestionDetailView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = fs.ConsultationSerializer

    @extend_schema(operation_id="feedback_questions_detail", summary="一条咨询", parameters=[QUESTION_ID],
                   responses={200: fs.ConsultationSerializer, 401: UNAUTHENTICATED, 403: NOT_STAFF, 404: MISSING})
    def get(self, request, question_id: str, *args, **kwargs):
        return Response(fs.ConsultationSerializer(_question(request, question_id)).data)


class QuestionAnswerView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = fs.ConsultationAnswerSerializer

    @extend_schema(
        operation_id="feedback_questions_answer", summary="答复咨询（可同时公开到常见问题）",
        description="须可办理的令牌；持有人须是该部门的联络员、审批人或承办人（或中心管理员）。可修改已有答复。",
        parameters=[QUESTION_ID], request=fs.ConsultationAnswerSerializer,
        responses={200: fs.ConsultationSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   404: MISSING},
    )
    def post(self, request, question_id: str, *args, **kwargs):
        question = _question(request, question_id)
        _may_act(request)
        form = fs.ConsultationAnswerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.answer_question(question, actor=request.user, answer=form.validated_data["answer"],
                                 publish=form.validated_data["publish"])
        return Response(fs.ConsultationSerializer(_question(request, question_id)).data)


# -- complaints -----------------------------------------------------------------------------------

def _complaint(request, number: str) -> Complaint:
    complaint = None if NUL in number else _in_scope(request, services.visible_complaints(request.user)).filter(
        number=number.strip().upper()).first()
    if complaint is None:
        raise NotFound(COMPLAINT_NOT_FOUND)
    return complaint


class ComplaintListView(ApiViewMixin, generics.ListAPIView):
    pagination_class = CasePagination
    serializer_class = fs.ComplaintSerializer

    @extend_schema(
        operation_id="feedback_complaints_list", summary="投诉列表（本部门或令牌范围内，最新在前，游标分页）",
        description="令牌只读即可。投诉人手机号码只返回脱敏值。",
        parameters=[fs.ComplaintFilterSerializer],
        responses={200: fs.ComplaintSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Complaint.objects.none()
        criteria = _query(fs.ComplaintFilterSerializer, self.request)
        rows = _in_scope(self.request, services.visible_complaints(self.request.user))
        if criteria.get("status"):
            rows = rows.filter(status=criteria["status"])
        if department_id := _department(criteria):
            rows = rows.filter(department_id=department_id)
        return rows


class ComplaintDetailView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = fs.ComplaintSerializer

    @extend_schema(operation_id="feedback_complaints_detail", summary="一件投诉", parameters=[COMPLAINT_NUMBER],
                   responses={200: fs.ComplaintSerializer, 401: UNAUTHENTICATED, 403: NOT_STAFF, 404: MISSING})
    def get(self, request, number: str, *args, **kwargs):
        return Response(fs.ComplaintSerializer(_complaint(request, number)).data)


class ComplaintAnswerView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = fs.ComplaintAnswerSerializer

    @extend_schema(
        operation_id="feedback_complaints_answer", summary="答复投诉（有诉必复，只答复一次，短信告知投诉人）",
        description="须可办理的令牌；持有人须是被投诉部门的联络员、审批人或承办人（或中心管理员）。已答复的答 409。",
        parameters=[COMPLAINT_NUMBER], request=fs.ComplaintAnswerSerializer,
        responses={200: fs.ComplaintSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   404: MISSING, 409: REFUSED},
    )
    def post(self, request, number: str, *args, **kwargs):
        complaint = _complaint(request, number)
        _may_act(request)
        form = fs.ComplaintAnswerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.answer_complaint(complaint, actor=request.user, answer=form.validated_data["answer"])
        return Response(fs.ComplaintSerializer(_complaint(request, number)).data)


# -- ratings --------------------------------------------------------------------------------------

class RatingListView(ApiViewMixin, generics.ListAPIView):
    pagination_class = CasePagination
    serializer_class = fs.RatingSerializer

    @extend_schema(
        operation_id="feedback_ratings_list", summary="好差评列表（本部门或令牌范围内，最新在前，游标分页）",
        description="令牌只读即可。可按等级、部门、评价日期和是否默认评价筛选。不返回评价人信息。",
        parameters=[fs.RatingFilterSerializer],
        responses={200: fs.RatingSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: NOT_STAFF},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Rating.objects.none()
        criteria = _query(fs.RatingFilterSerializer, self.request)
        rows = _in_scope(self.request, services._scoped(
            Rating.objects.select_related("case", "window", "department"), self.request.user))
        if criteria.get("level"):
            rows = rows.filter(level=criteria["level"])
        if department_id := _department(criteria):
            rows = rows.filter(department_id=department_id)
        if criteria.get("since"):
            rows = rows.filter(rated_at__gte=_start_of(criteria["since"]))
        if criteria.get("until"):
            rows = rows.filter(rated_at__lt=_start_of(criteria["until"] + dt.timedelta(days=1)))
        if criteria.get("by_default") is not None:
            rows = rows.filter(by_default=criteria["by_default"])
        return rows
