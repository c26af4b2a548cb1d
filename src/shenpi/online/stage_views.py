"""一件事一次办 and project stages online, the applicant's pages: the bundle guide, choosing a stage of one's
project, the one form with its questions and the one material list, saving, submitting, following it.

Each view translates HTTP into one call of shenpi.online.stage_services; an application that is not
the signed-in applicant's own does not exist for them (404).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shenpi import clock
from shenpi.applicants.access import applicant_required, current_applicant
from shenpi.errors import InvalidInput, ServiceError
from shenpi.joint.models import StageTemplate
from shenpi.web import client_address

from . import stage_services as services
from .models import StageApplication, StageUpload
from .views import _limits, file_response

Status = StageApplication.Status


# -- the guide of 一件事 ------------------------------------------------------------------------------

def bundles(request):
    """一件事一次办: each bundle with its items, its one total and its one material list, to apply online."""
    return render(request, "online/bundles.html", {
        "guides": [services.bundle_guide(t) for t in services.bundles()],
        "applicant": current_applicant(request), "limits": _limits(),
    })


@applicant_required
@require_POST
def bundle_start(request, code):
    template = get_object_or_404(services.bundles(), code=code)
    try:
        app = services.start(request.applicant, template, ip=client_address(request))
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(reverse("online:bundles") + f"#bundle-{template.code}")
    messages.success(request, f"已创建“{template.name}”申报草稿 {app.number}，请填写申请表并上传材料。")
    return redirect("online:stage_application", number=app.number)


@applicant_required
def project_stages(request):
    """工程建设项目阶段申报: the project by its code; its stages for the owner's account."""
    code = request.GET.get("code", "").strip()
    project, error, templates = None, "", []
    if code:
        project = services.joint.project_of(code)
        if project is None:
            error = "未找到该项目代码，请核对投资项目统一代码。"
        elif not services.owns(request.applicant, project):
            error = "只有项目单位（统一社会信用代码与项目登记一致的法人账号）可以申报该项目的审批阶段。"
            project = None
        else:
            templates = services.project_stages(project)
    return render(request, "online/project_stages.html", {
        "code": code, "project": project, "error": error, "templates": templates, "applicant": request.applicant,
    }, status=400 if error else 200)


@applicant_required
@require_POST
def stage_start(request):
    code = request.POST.get("code", "").strip()
    template = StageTemplate.objects.filter(pk=request.POST.get("template") or 0,
                                            kind=StageTemplate.Kind.STAGE).first()
    try:
        project = services.find_project(code)
        if template is None:
            raise InvalidInput("请选择审批阶段。", {"template": ["请选择审批阶段。"]})
        app = services.start(request.applicant, template, project=project, ip=client_address(request))
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(reverse("online:project_stages") + f"?code={code}")
    messages.success(request, f"已创建“{template.name}”申报草稿 {app.number}。")
    return redirect("online:stage_application", number=app.number)


# -- the application page ----------------------------------------------------------------------------

def _mine(request, number: str) -> StageApplication:
    return get_object_or_404(services.applications_of(request.applicant), number=number)


def _page(request, app: StageApplication, *, errors=(), field_errors=None, upload_errors=None, status=200):
    rows = services.material_rows(app)
    for row in rows:
        row["errors"] = (upload_errors or {}).get(row["name"], [])
    return render(request, "online/stage_application.html", {
        "app": app, "applicant": app.applicant, "questions": services.questions(app),
        "items": services.included(app), "rows": rows, "notice": getattr(app, "correction_notice", None),
        "events": list(app.events.all()), "stage": app.stage, "errors": list(errors),
        "field_errors": field_errors or {}, "limits": _limits(), "today": clock.today(),
    }, status=status)


@applicant_required
def stage_application(request, number):
    return _page(request, _mine(request, number))


@applicant_required
@require_POST
def stage_save(request, number):
    """保存草稿 (the questions change the items and the material list at once), or 提交 with the submit button."""
    app = _mine(request, number)
    post = request.POST
    answers = {q["key"]: post.get(f"answer-{q['key']}") == "1" for q in app.template.questions or []}
    submitting = "submit" in post
    try:
        app = services.save_draft(request.applicant, app, title=post.get("title", ""),
                                  contact_name=post.get("contact_name", ""), description=post.get("description", ""),
                                  answers=answers)
        if submitting:
            was = app.status
            app = services.submit(request.applicant, app, ip=client_address(request))
    except ServiceError as error:
        app.refresh_from_db()
        loose = [m for key, found in error.fields.items() if key in ("materials", "template", "answers") for m in found]
        return _page(request, app, errors=[error.message, *loose], field_errors=error.fields,
                     status=error.http_status)
    if submitting:
        again = "补正材料已重新提交" if was == Status.CORRECTING else "申请已提交"
        messages.success(request, f"{again}，综合窗口将在{app.prereview_due:%Y年%m月%d日}前完成预审。")
    else:
        messages.success(request, "已保存。")
    return redirect("online:stage_application", number=app.number)


@applicant_required
@require_POST
def stage_upload(request, number):
    app = _mine(request, number)
    material = request.POST.get("material", "")
    try:
        row = services.add_upload(request.applicant, app, material, request.FILES.get("file"))
    except ServiceError as error:
        app.refresh_from_db()
        return _page(request, app, upload_errors={material: error.fields.get("file") or [error.message]},
                     status=error.http_status)
    messages.success(request, f"“{row.material}”已上传：{row.name}。")
    return redirect(reverse("online:stage_application", args=[app.number]) + "#materials")


@applicant_required
@require_POST
def stage_remove(request, number, upload_id):
    app = _mine(request, number)
    try:
        services.remove_upload(request.applicant, app, upload_id)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "文件已删除。")
    return redirect("online:stage_application", number=app.number)


@applicant_required
@require_POST
def stage_discard(request, number):
    app = _mine(request, number)
    try:
        services.discard(request.applicant, app)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("online:stage_application", number=app.number)
    messages.success(request, f"草稿 {number} 已删除。")
    return redirect("applicants:home")


@applicant_required
def stage_file(request, number, upload_id):
    app = _mine(request, number)
    return file_response(get_object_or_404(StageUpload, pk=upload_id, application=app))
