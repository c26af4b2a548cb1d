"""网上预审 in the staff workbench (/workbench/prereview/): the window's queue of online applications.

Addressed by shenpi.online.staff_urls. Who may pre-review what is decided by
shenpi.online.services (window clerks of the item's department, or of a comprehensive window).
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shenpi import clock
from shenpi.accounts.access import forbidden, staff_required
from shenpi.cases import materials
from shenpi.errors import ServiceError
from shenpi.security import audit
from shenpi.web import client_address

from . import services, stage_services
from .models import OnlineApplication, Upload
from .views import file_response

Status = OnlineApplication.Status
PAGE_SIZE = 20


def clerk_required(view):
    @functools.wraps(view)
    @staff_required
    def wrapper(request, *args, **kwargs):
        if not services.may_prereview(request.user):
            return forbidden(request, "网上预审须由窗口人员办理。")
        return view(request, *args, **kwargs)

    return wrapper


@clerk_required
def queue(request):
    """待预审 oldest first, with the due date; the other tabs show what waits for the applicant or is done."""
    status = request.GET.get("status", Status.SUBMITTED)
    if status not in services.QUEUES:
        status = Status.SUBMITTED
    page = Paginator(services.prereview_queue(request.user, status), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = services.queue_counts(request.user)
    return render(request, "online/prereview_queue.html", {
        "page": page, "status": status, "status_label": services.QUEUES[status],
        "tabs": [(code, label, counts[code]) for code, label in services.QUEUES.items()],
        "today": clock.today(), "prereview_days": services.PREREVIEW_DAYS,
        # The comprehensive window also pre-reviews 一件事/阶段 applications, on their companion page.
        "stage_waiting": (stage_services.prereview_scope(request.user).filter(status=Status.SUBMITTED).count()
                          if stage_services.may_prereview_stages(request.user) else None),
    })


def _visible(request, number: str) -> OnlineApplication:
    scope = services.prereview_scope(request.user).select_related("applicant", "version", "item", "department",
                                                                  "case", "decided_by")
    return get_object_or_404(scope, number=number)


def _detail(request, app: OnlineApplication, *, error: ServiceError | None = None, posted=None, status=200):
    notice = getattr(app, "correction_notice", None)
    rows = services.attach_summary(app)
    posted = posted or {}
    for row in rows:
        key = str(row["spec"].pk)
        if posted:
            row["include"] = posted.get(f"item-{key}") == "1"
            row["problem"] = posted.get(f"problem-{key}", "")
        else:
            # Pre-checked: every required material without a file, except those the item lets follow
            # after acceptance (容缺). The clerk adds what is wrong.
            due_now = row["missing"] and not row["spec"].deferrable
            row["include"], row["problem"] = due_now, ("未提交" if row["missing"] else "")
    # The page shows the applicant's ID number and mobile in full (the clerk checks them): recorded.
    audit.record("personal_data.viewed", request=request, target=f"online_application:{app.number}",
                 where="prereview", fields=["id_number", "mobile"])
    return render(request, "online/prereview_detail.html", {
        "app": app, "applicant": app.applicant, "rows": rows, "notice": notice,
        "events": list(app.events.select_related("actor")), "today": clock.today(),
        "may_decide": app.status == Status.SUBMITTED,
        "may_correct": app.status == Status.SUBMITTED and notice is None,
        "may_refuse": app.status in (Status.SUBMITTED, Status.CORRECTING),
        "error": error, "posted": posted, "superseded": list(app.uploads.filter(superseded_at__isnull=False)
                                                            .select_related("spec")),
    }, status=status)


@clerk_required
def detail(request, number):
    return _detail(request, _visible(request, number))


def _correction_items(post) -> list[dict]:
    items = []
    for key in post:
        if key.startswith("item-") and post.get(key) == "1":
            spec = key.removeprefix("item-")
            items.append({"spec": spec, "problem": post.get(f"problem-{spec}", "")})
    return items


@clerk_required
@require_POST
def act(request, number, action):
    app = _visible(request, number)
    ip = client_address(request)
    try:
        if action == "accept":
            case = services.accept(app, request.user, ip=ip)
            notice = case.notices.order_by("-pk").first()
            messages.success(request, f"预审通过，已受理，办件编号 {case.number}。已短信通知申请人。")
            url = reverse("workbench:case", args=[case.number])
            return redirect(f"{url}?notice={notice.pk}" if notice else url)
        if action == "correct":
            services.request_correction(app, request.user, _correction_items(request.POST),
                                        note=request.POST.get("note", ""), ip=ip)
            messages.success(request, f"已向申请人出具一次性补正告知（{app.number}），并短信通知。")
        else:
            services.refuse(app, request.user, request.POST.get("reason", ""), ip=ip)
            messages.success(request, f"已作出不予受理（{app.number}），并短信通知申请人。")
    except ServiceError as error:
        app.refresh_from_db()
        return _detail(request, app, error=error, posted=request.POST, status=error.http_status)
    return redirect("online_staff:queue")


@clerk_required
def download(request, number, upload_id):
    """The applicant's file, its opening recorded like the case page's (who, when, which file, from where)."""
    app = _visible(request, number)
    upload = get_object_or_404(Upload.objects.select_related("spec"), pk=upload_id, application=app)
    materials.record_access(request.user, reference=app.number, material_name=upload.spec.name,
                            file_name=upload.name, digest=upload.digest, ip=client_address(request), inline=False,
                            case=app.case, request=request)
    return file_response(upload)

