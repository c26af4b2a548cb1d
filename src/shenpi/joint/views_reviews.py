"""网上联审 pages: my department's rooms, opening one, the room with its drawings, opinions and marks,
a drawing's page as a picture, and the 联审意见书.

Each view turns HTTP into one call of shenpi.joint.reviews and back; who may do what is decided
there (may_open, may_post, may_annotate, may_conclude, visible_reviews).
"""

from __future__ import annotations

from collections import OrderedDict

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from shenpi import clock
from shenpi.accounts.access import forbidden, staff_required
from shenpi.cases.models import Case
from shenpi.catalog.models import Department
from shenpi.errors import ServiceError
from shenpi.security import audit

from . import pages, reviews
from .models import Annotation, JointReview, ReviewDocument, ReviewInvitation, SharedMaterial, Stage
from .review_pdf import render_review, review_filename

DEFAULT_LIMIT_DAYS = 5
PIN_RADIUS = 0.014  # of the page's width


class OpenForm(forms.Form):
    title = forms.CharField(label="联审事项", max_length=reviews.TITLE_MAX, required=False)
    departments = forms.ModelMultipleChoiceField(label="受邀部门", queryset=Department.objects.none(), required=False,
                                                 widget=forms.CheckboxSelectMultiple)
    limit_days = forms.IntegerField(label="联审时限（工作日）", initial=DEFAULT_LIMIT_DAYS, required=False,
                                    help_text=f"自今日起按工作日计算，1至{reviews.MAX_LIMIT_DAYS}个工作日。")

    shared = forms.ModelMultipleChoiceField(label="选用阶段共享材料（PDF）", queryset=SharedMaterial.objects.none(),
                                            required=False, widget=forms.CheckboxSelectMultiple,
                                            help_text="申请人已提交的图纸，无需再次上传。")

    def __init__(self, *args, lead: Department, stage: Stage | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Department.objects.exclude(pk=lead.pk).order_by("sort", "code")
        if stage is not None:
            self.fields["shared"].queryset = stage.shared_materials.filter(content_type=reviews.PDF).order_by("pk")
        else:
            del self.fields["shared"]


class OpinionForm(forms.Form):
    verdict = forms.ChoiceField(label="本部门结论", choices=ReviewInvitation.Verdict.choices, required=False,
                                widget=forms.RadioSelect)
    opinion = forms.CharField(label="意见", required=False, widget=forms.Textarea(attrs={"rows": 5}),
                              help_text="原则同意(附意见)或不同意的，写明具体意见和依据。")


class ConcludeForm(forms.Form):
    conclusion = forms.CharField(label="联审意见", required=False, widget=forms.Textarea(attrs={"rows": 6}),
                                 help_text="综合各部门意见出具；出具后各部门不能再修改意见。")


# -- reading ---------------------------------------------------------------------------------------

def _review(user, number: str) -> JointReview:
    """A review this user may not see does not exist for them."""
    review = get_object_or_404(JointReview.objects.select_related(
        "lead_department", "stage__project", "case__version", "opened_by", "concluded_by"), number=number)
    if not reviews.may_see(user, review):
        raise Http404
    return review


@staff_required
def review_list(request):
    user, today = request.user, clock.today()
    rows = (reviews.visible_reviews(user).select_related("lead_department", "stage", "case")
            .prefetch_related("invitations__department").order_by("-opened_at", "-pk"))[:300]
    listed = []
    for review in rows:
        mine = reviews.invitation_of(user, review)
        review.mine = mine
        review.leading = reviews.in_lead(user, review)
        review.late = [i.department for i in review.invitations.all() if reviews.is_late(i, review, today)]
        review.posted = sum(1 for i in review.invitations.all() if i.posted_at)
        review.my_late = mine is not None and reviews.is_late(mine, review, today)
        # Outstanding first: my department's opinion still due, then the rooms it leads still open.
        review.rank = (0 if mine is not None and mine.posted_at is None and review.state == "open" else
                       1 if review.state == "open" else 2)
        listed.append(review)
    listed.sort(key=lambda r: (r.rank, r.due_on))
    return render(request, "joint/reviews.html", {"reviews": listed, "today": today})


def _subject(request) -> tuple[Stage | None, Case | None]:
    stage_number = request.GET.get("stage") or request.POST.get("stage") or ""
    case_number = request.GET.get("case") or request.POST.get("case") or ""
    subject = (request.GET.get("subject") or "").strip().upper()
    if subject:
        stage_number, case_number = (subject, "") if subject.startswith("JD") else ("", subject)
    if stage_number:
        return Stage.objects.select_related("lead_department", "project").filter(
            number=stage_number.strip()).first(), None
    if case_number:
        return None, Case.objects.select_related("department", "version").filter(number=case_number.strip()).first()
    return None, None


def _suggested(stage: Stage | None, case: Case | None) -> dict:
    if stage is not None:
        departments = list(stage.parts.exclude(department_id=stage.lead_department_id)
                           .values_list("department_id", flat=True).distinct())
        name = stage.project.name if stage.project else stage.applicant_name
        return {"title": f"{name}{stage.name}联合审查", "departments": departments,
                "limit_days": DEFAULT_LIMIT_DAYS}
    return {"title": f"{case.title or case.version.name}联合审查", "limit_days": DEFAULT_LIMIT_DAYS}


@staff_required
def review_new(request):
    stage, case = _subject(request)
    if stage is None and case is None:
        messages.error(request, "未找到该阶段或办件，请核对编号（阶段编号以JD开头）。")
        return redirect("joint:reviews")
    user = request.user
    if not reviews.may_open(user, stage, case):
        return forbidden(request, "网上联审须由牵头部门（阶段的牵头部门或办件的承办部门）发起。")
    lead = reviews.lead_of(stage, case)
    context = {"stage": stage, "case": case, "lead": lead, "error": None, "loose": [],
               "max_documents": reviews.MAX_DOCUMENTS}
    if request.method != "POST":
        context["form"] = OpenForm(lead=lead, stage=stage, initial=_suggested(stage, case))
        return render(request, "joint/review_new.html", context)
    form = OpenForm(request.POST, lead=lead, stage=stage)
    context["form"] = form
    if not form.is_valid():
        return render(request, "joint/review_new.html", context, status=400)
    data = form.cleaned_data
    try:
        review = reviews.open_review(user, stage=stage, case=case, title=data["title"],
                                     departments=list(data["departments"]), limit_days=data["limit_days"] or 0,
                                     documents=request.FILES.getlist("documents"),
                                     shared=list(data.get("shared") or ()))
    except ServiceError as error:
        context.update(error=error, loose=_put(form, error))
        return render(request, "joint/review_new.html", context, status=error.http_status)
    messages.success(request, f"已发起网上联审 {review.number}，已通知受邀部门，意见期限 {review.due_on:%Y-%m-%d}。")
    return redirect("joint:review", number=review.number)


def _put(form: forms.Form, error: ServiceError) -> list[str]:
    loose = []
    for key, texts in error.fields.items():
        for text in texts:
            if key in form.fields:
                form.add_error(key, text)
            elif key != "documents":  # shown beside the file input
                loose.append(text)
    return loose


def _sheet(review: JointReview, document: ReviewDocument, page: int) -> dict:
    """The page's picture and its marks, numbered in order, drawn in the page's own units."""
    sizes = document.page_sizes or []
    width, height = sizes[page - 1] if len(sizes) >= page else (595.0, 842.0)
    marks = list(document.annotations.filter(page=page).select_related("department", "author").order_by("pk"))
    for number, mark in enumerate(marks, start=1):
        mark.number = number
        mark.cx, mark.cy = round(mark.x * width, 2), round(mark.y * height, 2)
    by_department: OrderedDict = OrderedDict()
    for mark in marks:
        by_department.setdefault(mark.department, []).append(mark)
    return {"document": document, "page": page, "width": width, "height": height, "marks": marks,
            "by_department": list(by_department.items()), "radius": round(width * PIN_RADIUS, 2),
            "image": reverse("joint:review_page", args=[review.number, document.pk, page]),
            "pages": range(1, document.pages + 1)}


def _room(request, review: JointReview, *, opinion_form=None, conclude_form=None, error=None, status=200):
    user, today = request.user, clock.today()
    invitations = list(review.invitations.select_related("department", "posted_by").order_by("pk"))
    for invitation in invitations:
        invitation.late = reviews.is_late(invitation, review, today)
    documents = list(review.documents.order_by("pk"))
    document, page = None, 1
    if documents:
        wanted = request.GET.get("doc", "")
        document = next((d for d in documents if str(d.pk) == wanted), documents[0])
        try:
            page = min(max(int(request.GET.get("page", "1")), 1), document.pages)
        except ValueError:
            page = 1
    mine = reviews.invitation_of(user, review)
    may_post = reviews.may_post(user, review)
    may_conclude = reviews.may_conclude(user, review)
    if may_post and opinion_form is None:
        opinion_form = OpinionForm(initial={"verdict": mine.verdict, "opinion": mine.opinion} if mine.posted_at
                                   else None)
    if may_conclude and conclude_form is None:
        conclude_form = ConcludeForm()
    all_marks = list(Annotation.objects.filter(document__review=review)
                     .select_related("department", "author", "document").order_by("document_id", "page", "pk"))
    per_page: dict[tuple[int, int], int] = {}
    for mark in all_marks:  # numbered per page, as the pins are
        key = (mark.document_id, mark.page)
        per_page[key] = mark.number = per_page.get(key, 0) + 1
    for d in documents:
        d.mark_count = sum(n for (doc, _), n in per_page.items() if doc == d.pk)
    marked_pages = {p for (doc, p) in per_page if document is not None and doc == document.pk}
    by_department: OrderedDict = OrderedDict()
    for mark in sorted(all_marks, key=lambda m: (m.department.sort, m.department_id, m.document_id, m.page, m.pk)):
        by_department.setdefault(mark.department, []).append(mark)
    context = {
        "review": review, "invitations": invitations, "documents": documents, "mine": mine,
        "late": [i.department for i in invitations if i.late], "leading": reviews.in_lead(user, review),
        "sheet": _sheet(review, document, page) if document else None,
        "may_post": may_post, "may_annotate": reviews.may_annotate(user, review), "may_conclude": may_conclude,
        "opinion_form": opinion_form if may_post else None, "conclude_form": conclude_form if may_conclude else None,
        "error": error, "silent": [i.department for i in invitations if not i.posted_at],
        "marks_by_department": list(by_department.items()), "marked_pages": marked_pages,
    }
    return render(request, "joint/review.html", context, status=status)


@staff_required
def review_room(request, number):
    return _room(request, _review(request.user, number))


@staff_required
@require_POST
def review_opinion(request, number):
    review = _review(request.user, number)
    form = OpinionForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        reviews.post_opinion(request.user, review, data.get("verdict", ""), data.get("opinion", ""))
    except ServiceError as error:
        _put(form, error)
        return _room(request, review, opinion_form=form, error=error, status=error.http_status)
    messages.success(request, "本部门联审意见已提交。")
    return redirect("joint:review", number=review.number)


@staff_required
@require_POST
def review_annotate(request, number):
    review = _review(request.user, number)
    document = get_object_or_404(ReviewDocument, pk=request.POST.get("document") or 0, review=review)
    back = f"{reverse('joint:review', args=[review.number])}?doc={document.pk}&page={request.POST.get('page', 1)}"
    try:
        reviews.annotate(request.user, document, request.POST.get("page"), request.POST.get("x"),
                         request.POST.get("y"), request.POST.get("comment", ""))
    except ServiceError as error:
        messages.error(request, f"标注未保存：{error.message}")
        return redirect(back)
    messages.success(request, "标注已保存，各部门均可看到。")
    return redirect(f"{back}#sheet")


@staff_required
@require_POST
def review_conclude(request, number):
    review = _review(request.user, number)
    form = ConcludeForm(request.POST)
    form.is_valid()
    try:
        reviews.conclude(request.user, review, form.cleaned_data.get("conclusion", ""))
    except ServiceError as error:
        _put(form, error)
        return _room(request, review, conclude_form=form, error=error, status=error.http_status)
    messages.success(request, "已出具联审意见，可打印联审意见书。")
    return redirect("joint:review", number=review.number)


@staff_required
def review_page(request, number, document_id, page):
    """A drawing's page as a PNG: rendered once per file (content-hashed), then read from the storage."""
    review = _review(request.user, number)
    document = get_object_or_404(ReviewDocument, pk=document_id, review=review)
    if not 1 <= page <= document.pages:
        raise Http404
    etag = f'"{document.content_hash[:32]}-{page}-{pages.WIDTH}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(pages.cached_page(document, page), content_type="image/png")
    # A stored document never changes: the browser may keep its pages (private: they are the applicant's).
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=604800"
    return response


@staff_required
def review_pdf(request, number):
    review = _review(request.user, number)
    if review.state != JointReview.State.CONCLUDED:
        return render(request, "workbench/forbidden.html",
                      {"message": "联审意见书在牵头部门出具联审意见后才能打印。"}, status=409)
    audit.record("export.joint_review_pdf", request=request, target=f"review:{review.number}")
    response = HttpResponse(render_review(review), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(request.GET.get("download") == "1",
                                                                 review_filename(review))
    return response


urlpatterns = [
    path("reviews/", review_list, name="reviews"),
    path("reviews/new/", review_new, name="review_new"),
    path("reviews/<str:number>/", review_room, name="review"),
    path("reviews/<str:number>/opinion/", review_opinion, name="review_opinion"),
    path("reviews/<str:number>/marks/", review_annotate, name="review_annotate"),
    path("reviews/<str:number>/conclude/", review_conclude, name="review_conclude"),
    path("reviews/<str:number>/documents/<int:document_id>/pages/<int:page>.png", review_page,
         name="review_page"),
    path("reviews/<str:number>/pdf/", review_pdf, name="review_pdf"),
]
