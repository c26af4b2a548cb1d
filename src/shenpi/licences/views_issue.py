"""Staff pages of 制证: issue a granted case's certificate, download or print it, renew, change,
cancel or revoke it. Every action comes back to the case page, where the 证照 section shows it."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, re_path, reverse
from django.views.decorators.http import require_GET, require_POST

from shenpi.accounts.access import forbidden, staff_required
from shenpi.cases import services
from shenpi.errors import ServiceError
from shenpi.web import public_base_url

from . import issue
from .models import Licence
from .panel import may_act


def _case_page(case) -> str:
    return reverse("workbench:case", args=[case.number]) + "#licences"


def _visible_licence(user, serial: str) -> Licence:
    licence = get_object_or_404(Licence.objects.select_related("case", "department"), serial=serial)
    if not services.visible_cases(user).filter(pk=licence.case_id).exists():
        raise Http404
    return licence


@staff_required
@require_POST
def issue_licence(request, number):
    case = get_object_or_404(services.visible_cases(request.user).select_related("version", "department"),
                             number=number)
    if not may_act(request.user, case):
        return forbidden(request, "只有发证部门的审批人或窗口人员可以制证。")
    try:
        licence = issue.issue(case, request.user, base_url=public_base_url(request))
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"已制证：{licence.title}，编号{licence.serial}。")
    return redirect(_case_page(case))


@staff_required
@require_GET
def licence_pdf(request, serial):
    licence = issue.ensure_pdf(_visible_licence(request.user, serial), public_base_url(request))
    # ?print opens it in the browser (to print); otherwise it downloads.
    return FileResponse(licence.pdf.open("rb"), content_type="application/pdf",
                        as_attachment="print" not in request.GET, filename=f"{licence.serial}.pdf")


@staff_required
@require_POST
def licence_action(request, serial, action):
    licence = _visible_licence(request.user, serial)
    case = licence.case
    if not may_act(request.user, case):
        return forbidden(request, "只有发证部门的审批人或窗口人员可以变更证照。")
    reason = request.POST.get("reason", "")
    try:
        if action == "renew":
            new = issue.renew(licence, request.user, reason, base_url=public_base_url(request))
        elif action == "change":
            labels = [f["label"] for f in licence.data.get("fields", [])]
            changes = {label: request.POST.get(f"field_{i}", "").strip() for i, label in enumerate(labels)
                       if f"field_{i}" in request.POST}
            new = issue.change(licence, request.user, reason, changes, base_url=public_base_url(request))
        elif action == "cancel":
            issue.cancel(licence, request.user, reason)
            new = None
        elif action == "revoke":
            issue.revoke(licence, request.user, reason)
            new = None
        else:
            raise Http404
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        done = {"renew": "已换发", "change": "已变更", "cancel": "已注销", "revoke": "已吊销"}[action]
        messages.success(request, f"证照{licence.serial}{done}" + (f"，新证编号{new.serial}。" if new else "。"))
    return redirect(_case_page(case))


urlpatterns = [
    path("issue/<str:number>/", issue_licence, name="issue"),
    path("issued/<str:serial>/pdf/", licence_pdf, name="pdf"),
    re_path(r"^issued/(?P<serial>[^/]+)/(?P<action>renew|change|cancel|revoke)/$", licence_action, name="action"),
]
