"""Staff pages. Each view translates HTTP into one call of the case services or queries and back.

Who may do what is decided by shenpi.cases.services (allowed_actions, perform, receive,
visible_cases); a view never repeats those rules, it only shows their answers.
"""

from __future__ import annotations

from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Max, Prefetch, Q, prefetch_related_objects
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from shenpi import clock
from shenpi.accounts import routing
from shenpi.accounts.access import forbidden, is_htmx, staff_required
from shenpi.accounts.models import Absence
from shenpi.cases import deadlines, lifecycle, materials, queries, services
from shenpi.cases.documents import notice_pdf
from shenpi.cases.models import CLOSED_STATES, Case, CaseEvent, CaseMaterial, CaseStep, Extension, Notice
from shenpi.catalog.models import Department
from shenpi.delivery import panel as delivery_panel
from shenpi.errors import InvalidInput, ServiceError
from shenpi.fees import panel as fees_panel
from shenpi.joint import reviews as joint_reviews
from shenpi.joint.models import StagePart
from shenpi.licences import library as licence_library
from shenpi.licences import panel as licences_panel
from shenpi.security import audit
from shenpi.web import client_address, public_base_url

from .forms import (
    NEGATIVE_ACTIONS,
    AbsenceForm,
    AcceptanceForm,
    PairForm,
    action_form,
    attach_scans,
    material_rows,
    materials_payload,
    missing_payload,
    missing_rows_for,
    missing_rows_from,
    put_errors,
    still_missing,
)
from .panels import case_panels

PAGE_SIZE = 20
ITEMS_PAGE_SIZE = 30

BUCKET_HINTS = {
    "todo": "等待我办理的办件",
    "done": "我经手办理过的办件",
    "due_soon": "{rule}",
    "overdue": "已超过承诺或环节期限",
    "suspended": "特别程序、补件暂停计时",
}
ACCEPT_OUTCOMES = {
    "accept": "已受理，办件编号 {number}。请打印受理通知书交申请人。",
    "correct": "已收件并出具一次性告知书（补正材料通知书），办件编号 {number}。",
    "refuse": "已出具不予受理通知书，办件编号 {number}。",
    "on_the_spot": "即办件已当场办结，办件编号 {number}。",
}


def locked_out(request, original_response=None, credentials=None):
    """What django-axes shows when an account is locked after repeated login failures."""
    hours = float(settings.AXES_COOLOFF_TIME or 0)
    minutes = round(hours * 60)
    wait = f"请{minutes}分钟后再试，" if minutes else ""
    message = (f"该账号从您所在的网络连续{settings.AXES_FAILURE_LIMIT}次登录失败，已在此网络暂时锁定。"
               f"{wait}或联系中心管理员解锁。")
    return render(request, "workbench/login.html", {"locked_message": message},
                  status=settings.AXES_HTTP_RESPONSE_CODE)


# -- home: the buckets ------------------------------------------------------------------------------

def _hint(bucket: str) -> str:
    """The bucket's explanation; 即将到期 states the rule as the thresholds administrators set make it."""
    return BUCKET_HINTS[bucket].format(rule=deadlines.thresholds().case.rule())


@staff_required
def home(request):
    user, today, now = request.user, clock.today(), clock.now()
    chosen = request.GET.get("bucket", "todo")
    if chosen not in queries.BUCKETS:
        chosen = "todo"
    counts = {name: queries.bucket(name, user, today, now).count() for name in queries.BUCKETS}
    page = Paginator(queries.bucket(chosen, user, today, now), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "workbench/home.html", {
        "buckets": [(name, label, counts[name], _hint(name)) for name, label in queries.BUCKETS.items()],
        "bucket": chosen, "bucket_label": queries.BUCKETS[chosen], "page": page,
        "may_receive": queries.may_receive(user), "today": today, "now": now,
        "covering": queries.covering_ids(user, today), "covered": routing.covered_by(user, today),
    })


@staff_required
def case_search(request):
    query = request.GET.get("q", "").strip()
    cases = services.visible_cases(request.user)
    if query:
        cases = cases.filter(Q(number__istartswith=query) | Q(applicant_name__icontains=query)
                             | Q(title__icontains=query))
        exact = cases.filter(number=query.upper()).first()
        if exact is not None:
            return redirect("workbench:case", number=exact.number)
    else:
        cases = cases.none()
    cases = cases.select_related("version", "department").prefetch_related(Prefetch(
        "steps", queryset=CaseStep.objects.filter(status=CaseStep.Status.ACTIVE), to_attr="active_steps"))
    page = Paginator(cases.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "workbench/cases.html", {"q": query, "page": page, "today": clock.today(),
                                                    "now": clock.now(),
                                                    "covering": queries.covering_ids(request.user)})


# -- the acceptance screen (受理) -----------------------------------------------------------------

@staff_required
def accept(request):
    user = request.user
    if not queries.may_receive(user):
        return forbidden(request, "窗口受理须由窗口人员办理。")
    code = request.POST.get("item") or request.GET.get("item")
    if not code:
        search = request.GET.get("q", "")
        page = Paginator(queries.receivable_items(user, search), ITEMS_PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "workbench/accept_items.html", {"page": page, "q": search})
    item = get_object_or_404(queries.receivable_items(user), code=code)
    version = item.current_version()
    specs = list(version.materials.all())
    if request.method != "POST":
        return _render_accept(request, item, version, AcceptanceForm(initial=_kind_for(version)), material_rows(specs))
    return _accept_submitted(request, item, version, specs)


def _kind_for(version) -> dict:
    """An item for one kind of applicant (服务对象) starts the form on that kind."""
    return {} if version.audience == version.Audience.BOTH else {"applicant_kind": version.audience}


def _render_accept(request, item, version, form, rows, *, missing_rows=None, errors=(), status=200):
    return render(request, "workbench/accept_form.html", {
        "item": item, "version": version, "form": form, "rows": rows, "missing_rows": missing_rows,
        "errors": list(errors), "show_id_note": _show_id_note(form),
        "deferrable": any(row.spec.deferrable for row in rows),
    }, status=status)


def _show_id_note(form: AcceptanceForm) -> bool:
    """The note for a legal code failing its check appears once such a code was refused, or was noted."""
    organisation = form.data.get("applicant_kind") == "organisation"
    return bool(form.data.get("id_note")) or (organisation and form.is_bound and "id_number" in form.errors)


def _accept_submitted(request, item, version, specs):
    """收件 and the window's decision in one transaction: all of it happens, or none of it."""
    user = request.user
    form = AcceptanceForm(request.POST)
    rows = material_rows(specs, request.POST)
    _held_as_licences(rows, request.POST.get("id_number", ""))
    scan_refusals = attach_scans(rows, request.POST, request.FILES, user)
    decision = request.POST.get("decision", "")
    missing_rows = missing_rows_from(request.POST) if "missing-count" in request.POST else None
    if decision not in AcceptanceForm.DECISIONS:
        return _render_accept(request, item, version, form, rows, missing_rows=missing_rows,
                              errors=["请选择办理结果。"], status=400)
    if scan_refusals:
        form.is_valid()
        return _render_accept(request, item, version, form, rows, missing_rows=missing_rows,
                              errors=scan_refusals, status=400)
    if decision == "correct" and missing_rows is None:
        # First press: list everything still missing so the clerk can complete the one notice.
        form.is_valid()
        return _render_accept(request, item, version, form, rows, missing_rows=missing_rows_for(still_missing(rows)))
    if not form.is_valid():
        return _render_accept(request, item, version, form, rows, missing_rows=missing_rows,
                              errors=["请检查填写的内容。"], status=400)
    try:
        with transaction.atomic():
            case = services.receive(actor=user, item=item, applicant=form.applicant(),
                                    materials=materials_payload(rows), title=form.cleaned_data["title"],
                                    ip=client_address(request))
            case = services.perform(case, AcceptanceForm.DECISIONS[decision], actor=user,
                                    params=form.action_params(decision, missing_payload(missing_rows or [])),
                                    ip=client_address(request), expected_version=case.row_version)
    except ServiceError as error:
        loose = put_errors(form, error, AcceptanceForm.FIELD_NAMES)
        return _render_accept(request, item, version, form, rows, missing_rows=missing_rows,
                              errors=[error.message, *loose], status=error.http_status)
    messages.success(request, ACCEPT_OUTCOMES[decision].format(number=case.number))
    return redirect(_case_url(case, case.notices.order_by("-pk").first()))


def _held_as_licences(rows, id_number: str) -> None:
    """一证通办: a material the applicant holds as a valid e-licence counts as brought (收件 cites the
    licence), so a correction notice never lists it."""
    held = licence_library.citable([row.spec for row in rows], licence_library.holder_index(id_number))
    for row in rows:
        if row.spec.pk in held and not row.received:
            row.received, row.deferred = True, False


def _case_url(case: Case, notice: Notice | None = None) -> str:
    url = reverse("workbench:case", args=[case.number])
    return f"{url}?notice={notice.pk}" if notice else url


# -- the case page ------------------------------------------------------------------------------

def _visible_case(user, number: str) -> Case:
    """Least privilege: a case outside what the services let this user see does not exist for them."""
    return get_object_or_404(
        services.visible_cases(user).select_related("item", "version", "department", "window", "received_by"),
        number=number)


def _case_context(request, case: Case, *, failed=None, error: ServiceError | None = None,
                  form_version: int | None = None) -> dict:
    user, today = request.user, clock.today()
    # The page and the action forms read the same step rows.
    prefetch_related_objects([case], Prefetch(
        "steps", queryset=CaseStep.objects.select_related("role", "department", "assignee", "finished_by")))
    steps = list(case.steps.all())
    forms = []
    for transition in services.allowed_actions(case, user):
        form = failed if failed is not None and failed.action == transition.action else action_form(
            transition.action, case)
        forms.append({"transition": transition, "form": form, "negative": transition.action in NEGATIVE_ACTIONS,
                      "open": form is failed})
    shown = request.GET.get("notice")
    notices = list(case.notices.select_related("issued_by"))
    return {
        "case": case,
        "today": today,
        "now_moment": clock.now(),
        "clock": queries.clock_facts(case, today),
        "sees_applicant": queries.sees_applicant(user, case),
        "steps": steps,
        "materials": list(case.materials.select_related("source_case", "citation__licence")),
        "stage_part": StagePart.objects.filter(case=case).select_related("stage").first(),
        "joint_reviews": joint_reviews.listed(case.joint_reviews.all(), today),
        "may_open_review": case.state not in CLOSED_STATES and joint_reviews.may_open(user, case=case),
        "fee_panel": fees_panel.case_panel(user, case),
        "licence_panel": licences_panel.case_panel(user, case),
        "delivery_panel": delivery_panel.case_panel(user, case),
        "stops": list(case.clock_stops.all()),
        "commitments": list(case.commitments.select_related("recorded_by")),
        "extensions": list(Extension.objects.filter(case=case).select_related("approved_by")),
        "notices": notices,
        "new_notice": next((n for n in notices if str(n.pk) == shown), None),
        "events": list(CaseEvent.objects.filter(case=case).select_related("step").order_by("at", "pk")),
        "action_forms": forms,
        "error": error,
        "failed_action": failed.action if failed is not None else "",
        "form_version": case.row_version if form_version is None else form_version,
        **case_panels(user, case),
    }


@staff_required
def case_detail(request, number):
    case = _visible_case(request.user, number)
    context = _case_context(request, case)
    if context["sees_applicant"]:
        record_personal_data_view(request, case, "workbench")
    return render(request, "workbench/case.html", context)


def record_personal_data_view(request, case: Case, where: str) -> None:
    """The case page shows the applicant's ID number and phone in full to this user: recorded."""
    audit.record("personal_data.viewed", request=request, target=f"case:{case.number}", where=where,
                 fields=["applicant_id", "contact_phone"])


@staff_required
@require_POST
def act(request, number):
    """Perform one action on a case; on refusal, show why with the values kept and nothing changed."""
    user = request.user
    case = _visible_case(user, number)
    action = request.POST.get("action", "")
    form = action_form(action, case, request.POST, request.FILES)
    posted_version = request.POST.get("row_version", "")
    last_notice = case.notices.aggregate(last=Max("pk"))["last"] or 0
    try:
        if not posted_version.isdigit():
            raise InvalidInput("页面已过期，请刷新后重试。")
        if not form.is_valid():
            raise InvalidInput("请检查填写的内容。")
        case = services.perform(case, action, actor=user, params=form.params(), ip=client_address(request),
                                expected_version=int(posted_version))
    except ServiceError as error:
        if hasattr(form, "discard"):
            form.discard()
        put_errors(form, error, getattr(form, "FIELD_NAMES", {}))
        fresh = _visible_case(user, number)
        stale = error.code == "conflict" and is_htmx(request)
        context = _case_context(request, fresh, failed=form, error=error,
                                form_version=int(posted_version) if stale else None)
        template = "workbench/_action_panel.html" if is_htmx(request) else "workbench/case.html"
        if not is_htmx(request) and context["sees_applicant"]:
            record_personal_data_view(request, fresh, "workbench")
        return render(request, template, context, status=error.http_status)
    label = lifecycle.TRANSITIONS[action].label
    messages.success(request, f"已办理：{label}。")
    url = _case_url(case, case.notices.filter(pk__gt=last_notice).order_by("-pk").first())
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@staff_required
def notice_pdf_view(request, number, notice_id):
    case = _visible_case(request.user, number)
    notice = get_object_or_404(Notice, pk=notice_id, case=case)
    filename, pdf = notice_pdf(notice, public_base_url(request))
    # A notice carries the applicant's particulars: each copy made is recorded.
    audit.record("export.notice_pdf", request=request, target=f"case:{case.number}", notice=notice.pk,
                 kind=notice.kind)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


# -- the case's electronic materials (online uploads and window scans) -----------------------

def _material(request, number: str, material_id: int) -> CaseMaterial:
    try:
        return materials.material_of(request.user, number, material_id)
    except CaseMaterial.DoesNotExist:
        raise Http404("该电子材料不存在。") from None


@staff_required
def material_page(request, number, material_id):
    """The file previewed in the page (PDF in a frame, pictures as images), with its facts and who opened it."""
    material = _material(request, number, material_id)
    case = material.case
    return render(request, "workbench/material.html", {
        "case": case, "material": material, "inline": materials.shows_inline(material),
        "others": materials.with_files(case), "accesses": materials.accesses(material),
    })


@never_cache
@xframe_options_sameorigin  # the material page frames the PDF; no other site may
@csp_replace({"frame-ancestors": ["'self'"]})
@staff_required
def material_file(request, number, material_id):
    """The file itself: PDF and pictures inline, anything else (and ?download=1) as a download.

    Every opening is recorded first (who, when, which file, from where): a file never leaves unrecorded.
    """
    try:
        material, inline = materials.open_material(request.user, number, material_id, ip=client_address(request),
                                                   download=bool(request.GET.get("download")), request=request)
    except CaseMaterial.DoesNotExist:
        raise Http404("该电子材料不存在。") from None
    try:
        handle = material.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件不存在。") from None
    return FileResponse(handle, as_attachment=not inline, filename=material.shown_name,
                        content_type=material.content_type or "application/octet-stream")


# -- the department's stand-ins and absences (AB角与离岗) ----------------------------------------------

STAND_IN_EVENTS = {"pair": "staff.stand_in_paired", "unpair": "staff.stand_in_unpaired",
                   "absence": "staff.absence_recorded", "end_absence": "staff.absence_ended"}
STAND_IN_OUTCOMES = {"pair": "已设置AB角。", "unpair": "已取消AB角。", "absence": "已登记离岗。",
                     "end_absence": "已结束离岗登记。"}


def _department_for(request) -> int | None:
    """The user's department; an administrator may name any department (?department=)."""
    user = request.user
    wanted = request.POST.get("department") or request.GET.get("department")
    if wanted and str(wanted).isdigit() and (user.is_superuser or user.sees_all_departments):
        return int(wanted)
    return user.department_id


@staff_required
def stand_ins(request):
    """AB角与离岗: the department's pairings and absences; its lead (and administrators) keep them."""
    department_id = _department_for(request)
    if department_id is None:
        return forbidden(request, "您不属于任何部门。中心管理员可在管理后台维护AB角与离岗登记。")
    user = request.user
    staff = list(routing.staff_of(department_id))
    pair_form, absence_form = PairForm(staff=staff), AbsenceForm(staff=staff)
    error = None
    status = 200
    if request.method == "POST":
        op = request.POST.get("op", "")
        by_pk = {str(u.pk): u for u in staff}
        try:
            if op == "pair":
                pair_form = PairForm(request.POST, staff=staff)
                if not pair_form.is_valid():
                    raise InvalidInput("请选择A角和B角。")
                person, stand_in = by_pk[pair_form.cleaned_data["principal"]], by_pk[pair_form.cleaned_data["stand_in"]]
                routing.pair(user, person, stand_in)
                facts = {"stand_in": stand_in.get_username()}
            elif op == "unpair" and request.POST.get("principal") in by_pk:
                person, facts = by_pk[request.POST["principal"]], {}
                routing.unpair(user, person)
            elif op == "absence":
                absence_form = AbsenceForm(request.POST, staff=staff)
                if not absence_form.is_valid():
                    raise InvalidInput("请检查填写的内容。")
                data = absence_form.cleaned_data
                person = by_pk[data["user"]]
                routing.record_absence(user, person, data["starts_on"], data["ends_on"], data["reason"])
                facts = {"starts_on": str(data["starts_on"]), "ends_on": str(data["ends_on"])}
            elif op == "end_absence":
                absence = get_object_or_404(Absence.objects.select_related("user"), pk=request.POST.get("absence"),
                                            user__department_id=department_id)
                person, facts = absence.user, {"starts_on": str(absence.starts_on), "ends_on": str(absence.ends_on)}
                routing.end_absence(user, absence)
            else:
                raise InvalidInput("未知的操作。")
        except ServiceError as failure:
            error, status = failure, failure.http_status
            target = pair_form if op == "pair" else absence_form
            if op in ("pair", "absence"):
                put_errors(target, failure, getattr(target, "FIELD_NAMES", {}))
        else:
            audit.record(STAND_IN_EVENTS[op], request=request, target=f"accounts.user:{person.pk}",
                         person=person.get_username(), **facts)
            messages.success(request, STAND_IN_OUTCOMES[op])
            query = f"?department={department_id}" if department_id != user.department_id else ""
            return redirect(reverse("workbench:stand_ins") + query)
    today = clock.today()
    pairings = {p.principal_id: p for p in routing.pairings_of(department_id)}
    absences = list(routing.absences_of(department_id, today))
    rows = [{"person": u, "roles": "、".join(r.name for r in u.roles.all()), "pairing": pairings.get(u.pk),
             "away": next((a for a in absences if a.user_id == u.pk and a.starts_on <= today), None)}
            for u in staff]
    return render(request, "workbench/stand_ins.html", {
        "department": get_object_or_404(Department, pk=department_id), "department_id": department_id,
        "rows": rows, "absences": absences, "today": today,
        "may_edit": routing.leads(user, department_id), "pair_form": pair_form, "absence_form": absence_form,
        "error": error,
    }, status=status)
