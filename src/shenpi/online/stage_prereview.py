"""网上预审 of 一件事/阶段 applications (/workbench/prereview/stages/): the comprehensive window's companion
page to the online pre-review queue. Accepting opens every case of the stage at once."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shenpi import clock
from shenpi.accounts.access import forbidden, staff_required
from shenpi.cases import materials
from shenpi.errors import ServiceError
from shenpi.security import audit
from shenpi.web import client_address

from . import stage_services as services
from .models import StageApplication, StageUpload
from .services import PREREVIEW_DAYS, QUEUES
from .views import file_response

Status = StageApplication.Status
PAGE_SIZE = 20


def window_required(view):
    @functools.wraps(view)
    @staff_required
    def wrapper(request, *args, **kwargs):
        if not services.may_prereview_stages(request.user):
            return forbidden(request, "一件事和项目阶段的网上申报由综合窗口预审。")
        return view(request, *args, **kwargs)

    return wrapper


@window_required
def queue(request):
    status = request.GET.get("status", Status.SUBMITTED)
    if status not in QUEUES:
        status = Status.SUBMITTED
    page = Paginator(services.prereview_queue(request.user, status), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = services.queue_counts(request.user)
    return render(request, "online/stage_prereview_queue.html", {
        "page": page, "status": status, "status_label": QUEUES[status],
        "tabs": [(code, label, counts[code]) for code, label in QUEUES.items()],
        "today": clock.today(), "prereview_days": PREREVIEW_DAYS,
    })


def _visible(request, number: str) -> StageApplication:
    scope = services.prereview_scope(request.user).select_related("applicant", "template", "project", "stage",
                                                                  "decided_by")
    return get_object_or_404(scope, number=number)


def _detail(request, app: StageApplication, *, error: ServiceError | None = None, posted=None, status=200):
    notice = getattr(app, "correction_notice", None)
    rows = services.material_rows(app)
    posted = posted or {}
    for index, row in enumerate(rows):
        row["index"] = index
        if posted:
            row["include"] = posted.get(f"item-{index}") == "1"
            row["problem"] = posted.get(f"problem-{index}", "")
        else:
            row["include"], row["problem"] = row["missing"], ("未提交" if row["missing"] else "")
    audit.record("personal_data.viewed", request=request, target=f"stage_application:{app.number}",
                 where="prereview", fields=["id_number", "mobile"])
    return render(request, "online/stage_prereview_detail.html", {
        "app": app, "applicant": app.applicant, "rows": rows, "notice": notice, "items": services.included(app),
        "questions": services.questions(app), "events": list(app.events.select_related("actor")),
        "today": clock.today(), "may_decide": app.status == Status.SUBMITTED,
        "may_correct": app.status == Status.SUBMITTED and notice is None,
        "may_refuse": app.status in (Status.SUBMITTED, Status.CORRECTING),
        "error": error, "posted": posted,
    }, status=status)


@window_required
def detail(request, number):
    return _detail(request, _visible(request, number))


@window_required
@require_POST
def act(request, number, action):
    app = _visible(request, number)
    ip = client_address(request)
    try:
        if action == "accept":
            stage = services.accept(app, request.user, ip=ip)
            messages.success(request, f"预审通过，“{stage.name}”{stage.parts.count()}件办件已同时受理，"
                                      f"编号 {stage.number}。已短信通知申请人。")
            return redirect("online_staff:stage_detail", number=app.number)
        if action == "correct":
            rows = services.material_rows(app)
            items = [{"name": row["name"], "problem": request.POST.get(f"problem-{i}", "")}
                     for i, row in enumerate(rows) if request.POST.get(f"item-{i}") == "1"]
            services.request_correction(app, request.user, items, note=request.POST.get("note", ""), ip=ip)
            messages.success(request, f"已向申请人出具一次性补正告知（{app.number}），并短信通知。")
        else:
            services.refuse(app, request.user, request.POST.get("reason", ""), ip=ip)
            messages.success(request, f"已作出不予受理（{app.number}），并短信通知申请人。")
    except ServiceError as error:
        app.refresh_from_db()
        return _detail(request, app, error=error, posted=request.POST, status=error.http_status)
    return redirect("online_staff:stages")


@window_required
def download(request, number, upload_id):
    app = _visible(request, number)
    upload = get_object_or_404(StageUpload, pk=upload_id, application=app)
    materials.record_access(request.user, reference=app.number, material_name=upload.material,
                            file_name=upload.name, digest=upload.digest, ip=client_address(request), inline=False,
                            case=None, request=request)
    return file_response(upload)
