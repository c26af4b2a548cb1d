"""Staff pages under /workbench/feedback/: 投诉 queue and answers, 咨询 answers, 差评整改 and 申诉复核.

Addressed by shenpi.feedback.staff_urls. Who sees and does what is decided by
shenpi.feedback.services (department staff their department, supervisors everything).
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shenpi import clock
from shenpi.accounts.access import forbidden, staff_required
from shenpi.errors import ServiceError
from shenpi.security import audit

from . import services
from .models import Complaint, RatingAppeal, RatingFollowUp

PAGE_SIZE = 20


def feedback_staff(view):
    @functools.wraps(view)
    @staff_required
    def wrapper(request, *args, **kwargs):
        if not services.may_work_feedback(request.user):
            return forbidden(request, "咨询、投诉和差评整改由部门联络员、审批人、承办人办理，监察员可查看全部。")
        return view(request, *args, **kwargs)

    return wrapper


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _refused(request, error: ServiceError, to: str):
    messages.error(request, error.message)
    return redirect(to)


# -- 投诉 ------------------------------------------------------------------------------------------

COMPLAINT_TABS = {"open": "待答复", "overdue": "已超期", "answered": "已答复"}


@feedback_staff
def complaints(request):
    tab = request.GET.get("status", "open")
    tab = tab if tab in COMPLAINT_TABS else "open"
    today = clock.today()
    scope = services.visible_complaints(request.user)
    filters = {"open": Q(status=Complaint.Status.OPEN),
               "overdue": Q(status=Complaint.Status.OPEN, answer_due__lt=today),
               "answered": Q(status=Complaint.Status.ANSWERED)}
    order = ["answer_due", "id"] if tab != "answered" else ["-answered_at", "-id"]
    return render(request, "feedback/staff_complaints.html", {
        "page": _page(request, scope.filter(filters[tab]).order_by(*order)), "tab": tab,
        "tabs": [(code, label, scope.filter(filters[code]).count()) for code, label in COMPLAINT_TABS.items()],
        "today": today,
    })


@feedback_staff
def complaint(request, number):
    item = get_object_or_404(services.visible_complaints(request.user), number=number)
    here = reverse("feedback_staff:complaint", args=[number])
    if request.method == "POST":
        try:
            services.answer_complaint(item, actor=request.user, answer=request.POST.get("answer", ""))
        except ServiceError as error:
            return _refused(request, error, here)
        messages.success(request, "已答复，并已短信通知投诉人。")
        return redirect(here)
    return render(request, "feedback/staff_complaint.html", {
        "complaint": item, "today": clock.today(),
        "may_answer": item.status == Complaint.Status.OPEN and services.acts_for(request.user, item.department_id),
    })


# -- 咨询 ------------------------------------------------------------------------------------------

@feedback_staff
def questions(request):
    answered = request.GET.get("status") == "answered"
    scope = services.visible_questions(request.user).filter(answered_at__isnull=not answered)
    return render(request, "feedback/staff_questions.html", {
        "page": _page(request, scope.order_by("-answered_at" if answered else "asked_at", "id")),
        "answered": answered,
    })


@feedback_staff
def question(request, pk):
    item = get_object_or_404(services.visible_questions(request.user), pk=pk)
    here = reverse("feedback_staff:question", args=[pk])
    if request.method == "POST":
        try:
            if request.POST.get("action") == "publish":
                services.set_published(item, actor=request.user, published=request.POST.get("published") == "1")
                messages.success(request, "已更新公开状态。")
            else:
                services.answer_question(item, actor=request.user, answer=request.POST.get("answer", ""),
                                         publish=request.POST.get("publish") == "1")
                messages.success(request, "已保存答复。")
        except ServiceError as error:
            return _refused(request, error, here)
        return redirect(here)
    return render(request, "feedback/staff_question.html", {
        "question": item, "may_answer": services.acts_for(request.user, item.department_id),
    })


# -- 差评整改 -------------------------------------------------------------------------------------

@feedback_staff
def follow_ups(request):
    done = request.GET.get("status") == "done"
    scope = services.visible_follow_ups(request.user).filter(done_at__isnull=not done)
    return render(request, "feedback/staff_follow_ups.html", {
        "page": _page(request, scope.order_by("-done_at" if done else "due", "id")), "done": done,
        "today": clock.today(),
    })


@feedback_staff
def follow_up(request, pk):
    item = get_object_or_404(services.visible_follow_ups(request.user), pk=pk)
    here = reverse("feedback_staff:follow_up", args=[pk])
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "visit":
                services.record_visit(item, actor=request.user, note=request.POST.get("visit_note", ""))
                messages.success(request, "已记录回访核实情况。")
            elif action == "outcome":
                services.record_outcome(item, actor=request.user, outcome=request.POST.get("outcome", ""),
                                        note=request.POST.get("outcome_note", ""))
                messages.success(request, "差评整改已办结。")
            elif action == "appeal":
                services.request_appeal(item.rating, actor=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, "已提出申诉复核，等待监察员复核。")
            else:
                messages.error(request, "未知的操作。")
        except ServiceError as error:
            return _refused(request, error, here)
        return redirect(here)
    rating = item.rating
    if rating.rater_mobile:
        # 回访核实 needs the number in full: recorded like every view of unmasked personal data.
        audit.record("personal_data.viewed", request=request, target=f"rating:{rating.pk}", where="follow_up",
                     fields=["rater_mobile"])
    return render(request, "feedback/staff_follow_up.html", {
        "follow_up": item, "rating": rating, "appeals": rating.appeals.select_related("requested_by", "decided_by"),
        "outcomes": RatingFollowUp.Outcome.choices, "today": clock.today(),
        "may_act": item.done_at is None and services.acts_for(request.user, item.department_id),
        "may_appeal": (not rating.excluded and services.acts_for(request.user, item.department_id)
                       and not rating.appeals.filter(decision=RatingAppeal.Decision.PENDING).exists()),
    })


# -- 申诉复核 --------------------------------------------------------------------------------------

@feedback_staff
def appeals(request):
    if not services.may_decide_appeals(request.user):
        return forbidden(request, "申诉复核由监察员决定。")
    return render(request, "feedback/staff_appeals.html", {"page": _page(request, services.pending_appeals())})


@require_POST
@feedback_staff
def decide(request, pk):
    appeal = get_object_or_404(RatingAppeal, pk=pk)
    try:
        services.decide_appeal(appeal, actor=request.user, upheld=request.POST.get("upheld") == "1",
                               note=request.POST.get("decision_note", ""))
    except ServiceError as error:
        if error.http_status == 403:
            return forbidden(request, error.message)
        return _refused(request, error, reverse("feedback_staff:appeals"))
    messages.success(request, "已作出复核结论。")
    return redirect("feedback_staff:appeals")

