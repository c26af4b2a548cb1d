"""网上申报 pages for applicants: choose an item, fill the form, upload materials, save, submit, follow it.

Each view translates HTTP into one call of shenpi.online.services and back; an application that
is not the signed-in applicant's own does not exist for them (404).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shenpi import clock
from shenpi.applicants.access import applicant_required, current_applicant
from shenpi.applicants.forms import put_errors
from shenpi.applicants.services import my_cases
from shenpi.cases import files, lifecycle
from shenpi.errors import ServiceError
from shenpi.web import client_address

from . import services
from .forms import ApplicationForm
from .models import OnlineApplication, Upload

PAGE_SIZE = 30


def _limits() -> dict:
    return {"accepted": files.ACCEPTED, "max_mb": files.MAX_UPLOAD_BYTES // (1024 * 1024),
            "max_pages": files.MAX_PDF_PAGES}


# -- choosing an item ------------------------------------------------------------------------------

def items(request):
    search = request.GET.get("q", "").strip()
    applicant = current_applicant(request)
    page = Paginator(services.applyable_items(search, applicant), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "online/items.html", {"page": page, "q": search, "applicant": applicant})


def item(request, code):
    chosen = get_object_or_404(services.applyable_items(), code=code)
    version = chosen.current_version()
    applicant = current_applicant(request)
    return render(request, "online/item.html", {
        "item": chosen, "version": version, "specs": list(version.materials.all()),
        "applicant": applicant, "limits": _limits(),
        "refusal": services.audience_refusal(version, applicant) if applicant else "",
    })


@applicant_required
@require_POST
def start(request, code):
    chosen = get_object_or_404(services.applyable_items(), code=code)
    try:
        app = services.start(request.applicant, chosen, ip=client_address(request))
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("online:item", code=code)
    messages.success(request, f"已创建申报草稿 {app.number}，请填写申请表并上传材料。")
    return redirect("online:application", number=app.number)


# -- the application page ----------------------------------------------------------------------------

def _mine(request, number: str) -> OnlineApplication:
    return get_object_or_404(services.applications_of(request.applicant), number=number)


def _form(app: OnlineApplication, data=None) -> ApplicationForm:
    initial = {"title": app.title, "contact_name": app.data.get("contact_name", ""),
               "description": app.data.get("description", "")}
    return ApplicationForm(data, initial=initial, person=app.applicant.is_person)


def _page(request, app: OnlineApplication, *, form=None, upload_errors=None, errors=(), status=200):
    case = app.case
    rows = services.attach_summary(app)
    for row in rows:
        row["errors"] = (upload_errors or {}).get(row["spec"].pk, [])
    return render(request, "online/application.html", {
        "app": app,
        "applicant": app.applicant,
        "form": form or _form(app),
        "rows": rows,
        "notice": getattr(app, "correction_notice", None),
        "events": list(app.events.all()),
        "case": case,
        "errors": list(errors),
        "limits": _limits(),
        "deferring": services.deferring(app) if app.editable else [],
        "today": clock.today(),
    }, status=status)


@applicant_required
def application(request, number):
    return _page(request, _mine(request, number))


@applicant_required
@require_POST
def save(request, number):
    """保存草稿, or 保存并提交 when the submit button was pressed."""
    app = _mine(request, number)
    form = _form(app, request.POST)
    if not form.is_valid():
        return _page(request, app, form=form, errors=["请检查填写的内容。"], status=400)
    data = form.cleaned_data
    submitting = "submit" in request.POST
    try:
        app = services.save_draft(request.applicant, app, title=data["title"],
                                  contact_name=data.get("contact_name", ""), description=data["description"])
        if submitting:
            was = app.status
            app = services.submit(request.applicant, app, ip=client_address(request),
                                  commitment=data.get("deferral_commitment", False))
    except ServiceError as error:
        put_errors(form, error)
        app.refresh_from_db()
        return _page(request, app, form=form, errors=[error.message, *error.fields.get("materials", []),
                                                  *error.fields.get("deferral_commitment", [])],
                     status=error.http_status)
    if submitting:
        again = "补正材料已重新提交" if was == OnlineApplication.Status.CORRECTING else "申请已提交"
        messages.success(request, f"{again}，窗口将在{app.prereview_due:%Y年%m月%d日}前完成预审。")
    elif app.status == OnlineApplication.Status.CORRECTING:
        messages.success(request, "修改已保存。补正完成后请点击“提交补正材料”。")
    else:
        messages.success(request, "草稿已保存。")
    return redirect("online:application", number=app.number)


@applicant_required
@require_POST
def upload(request, number, spec_id):
    app = _mine(request, number)
    sent = request.FILES.get("file")
    try:
        row = services.add_upload(request.applicant, app, spec_id, sent)
    except ServiceError as error:
        messages_for_spec = error.fields.get("file") or [error.message]
        app.refresh_from_db()
        return _page(request, app, upload_errors={spec_id: messages_for_spec}, status=error.http_status)
    note = "" if _named_as(sent.name, row.content_type) else f"（按文件内容识别为{row.kind_label}）"
    messages.success(request, f"“{row.spec.name}”已上传：{row.name}{note}。")
    return redirect(reverse("online:application", args=[app.number]) + f"#material-{spec_id}")


def _named_as(name: str, content_type: str) -> bool:
    """Whether the name the applicant gave the file says what it really is."""
    suffixes = next((k.suffixes for k in files.KINDS if k.content_type == content_type), ())
    return str(name).lower().endswith(suffixes)


@applicant_required
@require_POST
def remove(request, number, upload_id):
    app = _mine(request, number)
    try:
        services.remove_upload(request.applicant, app, upload_id)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "文件已删除。")
    return redirect("online:application", number=app.number)


@applicant_required
@require_POST
def discard(request, number):
    app = _mine(request, number)
    try:
        services.discard(request.applicant, app)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("online:application", number=app.number)
    messages.success(request, f"草稿 {number} 已删除。")
    return redirect("applicants:home")


def file_response(row: Upload) -> FileResponse:
    """The stored file, as a download with its own type (never rendered in the page's origin)."""
    try:
        handle = row.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件不存在。") from None
    return FileResponse(handle, as_attachment=True, filename=row.name, content_type=row.content_type)


@applicant_required
def download(request, number, upload_id):
    app = _mine(request, number)
    return file_response(get_object_or_404(Upload, pk=upload_id, application=app))


# -- 补件 during processing ------------------------------------------------------------------------

def _supplement_page(request, case, stop, *, errors=(), field_errors=None, comment="", status=200):
    field_errors = field_errors or {}
    rows = [{"index": i, "entry": entry, "errors": field_errors.get(f"file-{i}", [])}
            for i, entry in enumerate(stop.materials)] if stop else []
    return render(request, "online/supplement.html", {
        "case": case, "stop": stop, "rows": rows, "errors": list(errors), "comment": comment,
        "comment_errors": field_errors.get("comment", []), "limits": _limits(),
    }, status=status)


@applicant_required
def supplement(request, number):
    """网上补件: the materials a 补件 during processing lists, uploaded here; submitting them resumes the case."""
    case = get_object_or_404(my_cases(request.applicant), number=number)
    stop = services.open_supplement(case)
    if request.method != "POST" or stop is None:
        return _supplement_page(request, case, stop)
    uploads = {row: request.FILES.get(f"file-{row}") for row in range(len(stop.materials))}
    comment = request.POST.get("comment", "")
    try:
        services.supply_materials(request.applicant, case, uploads, comment=comment, ip=client_address(request))
    except ServiceError as error:
        loose = [m for key, messages_ in error.fields.items() if not key.startswith("file-") and key != "comment"
                 for m in messages_]
        return _supplement_page(request, case, services.open_supplement(case) or stop,
                                errors=[error.message, *loose], field_errors=error.fields, comment=comment,
                                status=error.http_status)
    messages.success(request, "补件材料已提交，办件恢复办理，办理期限自今日起继续计算。")
    return redirect("applicants:case", number=case.number)


# -- 容缺 materials uploaded after acceptance ----------------------------------------------------------

def _deferred_page(request, case, *, errors=(), field_errors=None, comment="", status=200):
    field_errors = field_errors or {}
    rows = [{"material": m, "errors": field_errors.get(f"file-{m.pk}", [])}
            for m in lifecycle.deferred_to_upload(case)]
    return render(request, "online/deferred.html", {
        "case": case, "rows": rows, "errors": list(errors), "comment": comment, "today": clock.today(),
        "comment_errors": field_errors.get("comment", []), "limits": _limits(),
    }, status=status)


@applicant_required
def deferred(request, number):
    """网上补交容缺材料: a file for each material accepted under 容缺 that is still outstanding."""
    case = get_object_or_404(my_cases(request.applicant), number=number)
    outstanding = lifecycle.deferred_to_upload(case)
    if request.method != "POST" or not outstanding:
        return _deferred_page(request, case)
    uploads = {m.pk: request.FILES.get(f"file-{m.pk}") for m in outstanding}
    comment = request.POST.get("comment", "")
    try:
        services.supply_deferred(request.applicant, case, uploads, comment=comment, ip=client_address(request))
    except ServiceError as error:
        loose = [m for key, messages_ in error.fields.items() if not key.startswith("file-") and key != "comment"
                 for m in messages_]
        return _deferred_page(request, case, errors=[error.message, *loose], field_errors=error.fields,
                              comment=comment, status=error.http_status)
    messages.success(request, "容缺材料已提交，已记入办件材料。")
    return redirect("applicants:case", number=case.number)
