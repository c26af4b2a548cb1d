"""Public pages: 咨询 and 常见问题, 投诉 and its tracking, 好差评 (by case number + query code, from 我的办件,
or from a window's QR code) and the applicant's 申诉复核. No login needed except for 我的办件.

Each view turns the form into one call of shenpi.feedback.services and renders its answer; a refusal
is shown as the service's Chinese message with the status it carries.
"""

from __future__ import annotations

import time

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from shenpi.applicants.access import applicant_required
from shenpi.applicants.services import my_cases
from shenpi.catalog.models import Department, Item, ItemVersion, Window
from shenpi.errors import ServiceError
from shenpi.portal import progress
from shenpi.web import client_address, public_base_url

from . import services
from .models import Complaint, Level

WINDOW_REPEAT_SECONDS = 30 * 60  # 一次一评: one rating per service; a browser rating again at once is a repeat


def _address(request) -> str:
    # The rate limits key on the address: requests without one share a single key rather than none.
    return client_address(request) or "unknown"


def _published_item(code: str) -> tuple[Item, ItemVersion] | None:
    item = Item.objects.select_related("department").filter(code=code).first()
    version = item.current_version() if item else None
    return (item, version) if version else None


def _fail(context: dict, error: ServiceError) -> dict:
    context.update(error=error.message, field_errors=error.fields)
    return context


# -- 咨询 / 常见问题 ------------------------------------------------------------------------------

def consult_index(request):
    """Search the whole FAQ, and find the item to ask about by name."""
    keyword = request.GET.get("q", "").strip()[:50]
    answers = list(services.faq(keyword=keyword)[:30]) if keyword else list(services.faq()[:10])
    items = []
    if keyword:
        items = list(ItemVersion.objects.published().filter(name__icontains=keyword)
                     .select_related("item", "item__department").order_by("name")[:20])
    names = {v.item_id: v.name for v in ItemVersion.objects.published().filter(
        item_id__in={q.item_id for q in answers})}
    for question in answers:
        question.item_name = names.get(question.item_id, question.item.code)
    return render(request, "feedback/consult_index.html", {"q": keyword, "answers": answers, "items": items})


@never_cache
def item_faq(request, code):
    found = _published_item(code)
    if found is None:
        return render(request, "portal/not_found.html", {"message": "该事项不存在或已停止办理。"}, status=404)
    item, version = found
    keyword = request.GET.get("q", "").strip()[:50]
    context = {"item": item, "version": version, "q": keyword, "form": {}, "field_errors": {}}
    status = 200
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("name", "contact", "question")}
        context["form"] = form
        try:
            services.ask(item, ip=_address(request), **form)
            context["asked"] = True
            context["form"] = {}
        except ServiceError as error:
            _fail(context, error)
            status = error.http_status
    context["answers"] = services.faq(item, keyword)[:50]
    return render(request, "feedback/item_faq.html", context, status=status)


# -- 投诉 -------------------------------------------------------------------------------------------

def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _complaint_choices() -> dict:
    return {"subjects": Complaint.Subject.choices,
            "windows": Window.objects.select_related("department").order_by("number"),
            "departments": Department.objects.order_by("sort", "code")}


@never_cache
def complaint_form(request):
    context = {**_complaint_choices(), "form": {"subject": request.GET.get("subject", "case"),
                                                 "case_number": request.GET.get("number", "")[:40]},
               "field_errors": {}, "answer_days": settings.COMPLAINT_ANSWER_DAYS}
    if request.method != "POST":
        return render(request, "feedback/complaint_form.html", context)
    post = request.POST
    form = {k: post.get(k, "") for k in ("subject", "case_number", "window", "person", "department",
                                          "complainant", "mobile", "content")}
    context["form"] = form
    data = services.ComplaintInput(subject=form["subject"], complainant=form["complainant"], mobile=form["mobile"],
                                   content=form["content"], case_number=form["case_number"],
                                   window_id=_int(form["window"]), person=form["person"],
                                   department_id=_int(form["department"]))
    try:
        complaint = services.file_complaint(data, ip=_address(request))
    except ServiceError as error:
        return render(request, "feedback/complaint_form.html", _fail(context, error), status=error.http_status)
    return render(request, "feedback/complaint_filed.html", {"complaint": complaint})


@never_cache
@applicant_required
def complain_mine(request, number):
    """投诉 from 我的办件, in the account holder's name: only about a case the account may see."""
    applicant = request.applicant
    case = get_object_or_404(my_cases(applicant), number=number)
    complainant = applicant.contact_name or applicant.name
    context = {"case": case, "applicant": applicant, "complainant": complainant, "form": {}, "field_errors": {},
               "answer_days": settings.COMPLAINT_ANSWER_DAYS}
    if request.method != "POST":
        return render(request, "feedback/complaint_mine.html", context)
    context["form"] = {"content": request.POST.get("content", "")}
    data = services.ComplaintInput(subject=Complaint.Subject.CASE, complainant=complainant, mobile=applicant.mobile,
                                   content=context["form"]["content"], case_number=case.number)
    try:
        complaint = services.file_complaint(data, ip=_address(request))
    except ServiceError as error:
        return render(request, "feedback/complaint_mine.html", _fail(context, error), status=error.http_status)
    return render(request, "feedback/complaint_filed.html", {"complaint": complaint})


@never_cache
def complaint_track(request):
    context = {"number": request.GET.get("number", "")[:40]}
    if request.method != "POST":
        return render(request, "feedback/complaint_track.html", context)
    ip = _address(request)
    context["number"] = request.POST.get("number", "").strip()[:40]
    if services.tracking_limited(ip):
        context["error"] = f"查询失败次数过多，请{settings.QUERY_WINDOW_MINUTES}分钟后再试。"
        return render(request, "feedback/complaint_track.html", context, status=429)
    complaint = services.track(context["number"], request.POST.get("mobile", ""), ip=ip)
    if complaint is None:
        context["error"] = services.TRACK_WRONG
    context["complaint"] = complaint
    return render(request, "feedback/complaint_track.html", context)


# -- 好差评 -----------------------------------------------------------------------------------------

def _rating_input(post) -> services.RatingInput:
    return services.RatingInput(level=post.get("level", ""), comment=post.get("comment", ""),
                                reason=post.get("reason", ""), rater_name=post.get("rater_name", ""),
                                rater_mobile=post.get("rater_mobile", ""))


def _rating_context(**extra) -> dict:
    return {"levels": Level.choices, "bad_levels": [lv.value for lv in services.BAD_LEVELS], "form": {},
            "field_errors": {}, **extra}


def _find_case(request, context: dict):
    """The case for number + query code, counted against the progress query's limit: codes are guessed there too."""
    ip = _address(request)
    if progress.is_limited(ip):
        context["error"] = f"查询失败次数过多，请{settings.QUERY_WINDOW_MINUTES}分钟后再试。"
        return None, 429
    case = progress.find(request.POST.get("number", ""), request.POST.get("code", ""))
    if case is None:
        progress.count_failure(ip)
        context["error"] = progress.WRONG
        return None, 200
    return case, 200


@never_cache
def rate_case(request):
    """一事一评 by case number and query code (from the receipt, the result notice or the SMS)."""
    context = _rating_context(number=progress.normalise_number(request.GET.get("number", ""))[:40])
    if request.method != "POST":
        return render(request, "feedback/rate_case.html", context)
    context["form"] = request.POST.dict()
    context["number"] = progress.normalise_number(request.POST.get("number", ""))[:40]
    case, status = _find_case(request, context)
    if case is None:
        return render(request, "feedback/rate_case.html", context, status=status)
    try:
        rating = services.rate_case(case, _rating_input(request.POST), ip=_address(request))
    except ServiceError as error:
        return render(request, "feedback/rate_case.html", _fail(context, error), status=error.http_status)
    return render(request, "feedback/rated.html", {"rating": rating})


@never_cache
@applicant_required
def rate_my_case(request, number):
    """一事一评 from 我的办件: the signed-in applicant's own completed case."""
    case = get_object_or_404(my_cases(request.applicant), number=number)
    context = _rating_context(case=case, rating=case.ratings.first())
    if request.method != "POST" or context["rating"]:
        return render(request, "feedback/rate_mine.html", context)
    context["form"] = request.POST.dict()
    try:
        rating = services.rate_case(case, _rating_input(request.POST), ip=_address(request))
    except ServiceError as error:
        return render(request, "feedback/rate_mine.html", _fail(context, error), status=error.http_status)
    return render(request, "feedback/rated.html", {"rating": rating})


@never_cache
def rate_window(request, window_id):
    """一次一评 from the window's link or QR code."""
    window = get_object_or_404(Window.objects.select_related("department"), pk=window_id)
    context = _rating_context(window=window)
    if request.method != "POST":
        return render(request, "feedback/rate_window.html", context)
    context["form"] = request.POST.dict()
    rated = request.session.get("feedback_window_rated", {})
    last = rated.get(str(window.pk), 0)
    if time.time() - last < WINDOW_REPEAT_SECONDS:
        context["error"] = "您已评价过本次服务，谢谢！"
        return render(request, "feedback/rate_window.html", context, status=409)
    try:
        rating = services.rate_window(window, _rating_input(request.POST), ip=_address(request))
    except ServiceError as error:
        return render(request, "feedback/rate_window.html", _fail(context, error), status=error.http_status)
    rated[str(window.pk)] = time.time()
    request.session["feedback_window_rated"] = rated
    return render(request, "feedback/rated.html", {"rating": rating})


def window_qr(request, window_id):
    """The QR code printed at the window: it opens the window's rating page (一次一评)."""
    window = get_object_or_404(Window, pk=window_id)
    url = public_base_url(request) + reverse("feedback:rate_window", args=[window.pk])
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return HttpResponse(image.to_string(), content_type="image/svg+xml")


@never_cache
def appeal(request):
    """申诉复核 by the applicant: the rating of their case was mistaken (e.g. a wrong level chosen)."""
    context = {"number": progress.normalise_number(request.GET.get("number", ""))[:40], "form": {}}
    if request.method != "POST":
        return render(request, "feedback/appeal.html", context)
    context["form"] = request.POST.dict()
    context["number"] = progress.normalise_number(request.POST.get("number", ""))[:40]
    case, status = _find_case(request, context)
    if case is None:
        return render(request, "feedback/appeal.html", context, status=status)
    rating = case.ratings.first()
    if rating is None:
        context["error"] = "该办件尚未评价，无需申诉。"
        return render(request, "feedback/appeal.html", context, status=400)
    try:
        services.request_appeal(rating, reason=request.POST.get("reason", ""))
    except ServiceError as error:
        context["error"] = error.message
        return render(request, "feedback/appeal.html", context, status=error.http_status)
    context["done"] = True
    return render(request, "feedback/appeal.html", context)


