"""Staff pages of 日结清、周对账、月汇总: a window's clerk closes the window's day (a department's lead,
or the centre's administrator, its online takings); leads and administrators reconcile the gateway's
statement and read the monthly summary (a lead: their own department's), each exportable to Excel."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from shenpi import clock, spreadsheets
from shenpi.accounts.access import forbidden, staff_required
from shenpi.accounts.models import Role
from shenpi.catalog.models import Department
from shenpi.errors import InvalidInput, ServiceError

from . import closing as closing_service
from . import reconciliation as reconciliation_service
from . import summary as summary_service
from .models import DailyClosing, Difference, Payment, Reconciliation
from .periods import local_time

LEADS = (Role.APPROVER, Role.ADMIN)
CENTRE = (Role.ADMIN, Role.SUPERVISOR)


def _is_lead(user) -> bool:
    return user.is_superuser or user.has_role(*LEADS)


def _centre_wide(user) -> bool:
    return user.is_superuser or user.has_role(*CENTRE)


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=spreadsheets.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _day(text: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if text else clock.today()
    except ValueError:
        return clock.today()


# -- 日结 -------------------------------------------------------------------------------------------

def _closing_places(user) -> list[dict]:
    """What this person closes: their window (clerk), their department's online takings (lead), every
    department's online takings (administrator)."""
    places = []
    if user.has_role(Role.CLERK) and user.window_id and user.window.department.comprehensive:
        # A comprehensive window (综合窗口) takes fees for several departments: each closed apart.
        taken = Department.objects.filter(
            pk__in=Payment.objects.filter(window_id=user.window_id).values("charge__department")).order_by("code")
        places += [{"key": f"w{user.window_id}-{department.pk}", "window": user.window, "department": department,
                    "label": f"{user.window} {department.name}"} for department in taken]
    elif user.has_role(Role.CLERK) and user.window_id:
        places.append({"key": f"w{user.window_id}", "window": user.window, "department": user.window.department,
                       "label": str(user.window)})
    if user.is_superuser or user.has_role(Role.ADMIN):
        departments = Department.objects.order_by("code")
    elif user.has_role(Role.APPROVER) and user.department_id:
        departments = Department.objects.filter(pk=user.department_id)
    else:
        departments = Department.objects.none()
    places += [{"key": f"d{department.pk}", "window": None, "department": department,
                "label": f"{department.name} 网上支付"} for department in departments]
    return places


@staff_required
def closing_page(request):
    places = _closing_places(request.user)
    if not places:
        return forbidden(request, "日结由窗口人员（本窗口）或部门分管领导、中心管理员（网上支付）办理。")
    chosen = next((p for p in places if p["key"] == request.POST.get("place", request.GET.get("place"))), places[0])
    day = _day(request.POST.get("day") or request.GET.get("day"))
    error = None
    if request.method == "POST":
        try:
            done = closing_service.close_day(department=chosen["department"], window=chosen["window"], day=day,
                                             actor=request.user)
        except ServiceError as failure:
            error = failure
        else:
            return redirect(f"{request.path}?place={chosen['key']}&day={day:%Y-%m-%d}&closed={done.pk}")
    closed = DailyClosing.objects.filter(department=chosen["department"], window=chosen["window"], day=day).first()
    recent = DailyClosing.objects.filter(department=chosen["department"], window=chosen["window"]).select_related(
        "closed_by")[:30]
    return render(request, "fees/closing.html", {
        "places": places, "chosen": chosen, "day": day, "closed": closed, "recent": recent, "error": error,
        "preview": None if closed else closing_service.takings(chosen["department"], chosen["window"], day),
    }, status=error.http_status if error else 200)


def _closing_visible(user, closing: DailyClosing) -> bool:
    return _centre_wide(user) or any(
        p["department"].pk == closing.department_id and (p["window"].pk if p["window"] else None) == closing.window_id
        for p in _closing_places(user))


@staff_required
def closing_export(request, pk):
    closing = get_object_or_404(DailyClosing.objects.select_related("window", "department", "closed_by"), pk=pk)
    if not _closing_visible(request.user, closing):
        return forbidden(request, "只能导出本窗口或本部门的日结单。")
    return _xlsx(closing_service.export(closing), f"日结单-{closing.day:%Y%m%d}-{closing.pk}.xlsx")


# -- 周对账 -----------------------------------------------------------------------------------------

def _lead_required(request):
    if not _is_lead(request.user) and not _centre_wide(request.user):
        return forbidden(request, "对账和月汇总由部门分管领导和中心管理员查看。")
    return None


@staff_required
def reconciliation_list(request):
    refusal = _lead_required(request)
    if refusal:
        return refusal
    may_reconcile = request.user.is_superuser or request.user.has_role(Role.ADMIN)
    today = clock.today()
    # The week before this one, Monday to Sunday: what is reconciled on a Monday.
    first = today - dt.timedelta(days=today.weekday() + 7)
    form = {"first_day": f"{first:%Y-%m-%d}", "last_day": f"{first + dt.timedelta(days=6):%Y-%m-%d}"}
    error = None
    if request.method == "POST":
        if not may_reconcile:
            return forbidden(request, "对账由中心管理员办理。")
        form = {"first_day": request.POST.get("first_day", ""), "last_day": request.POST.get("last_day", "")}
        upload = request.FILES.get("statement")
        try:
            try:
                first_day, last_day = (dt.date.fromisoformat(form["first_day"]),
                                       dt.date.fromisoformat(form["last_day"]))
            except ValueError:
                raise InvalidInput("请填写起止日期（年-月-日）。") from None
            if upload is not None and upload.size > 20 * 1024 * 1024:
                raise InvalidInput("对账单文件过大（最大20MB）。")
            done = reconciliation_service.reconcile(first_day, last_day, actor=request.user,
                                                    statement=upload.read() if upload else None)
        except ServiceError as failure:
            error = failure
        else:
            return redirect("fees:reconciliation", pk=done.pk)
    return render(request, "fees/reconciliations.html", {
        "reconciliations": Reconciliation.objects.select_related("created_by")[:50], "form": form,
        "may_reconcile": may_reconcile, "error": error}, status=error.http_status if error else 200)


@staff_required
def reconciliation_detail(request, pk):
    refusal = _lead_required(request)
    if refusal:
        return refusal
    reconciliation = get_object_or_404(Reconciliation, pk=pk)
    return render(request, "fees/reconciliation.html", {
        "reconciliation": reconciliation, "differences": list(reconciliation.differences.all()),
        "may_resolve": request.user.is_superuser or request.user.has_role(Role.ADMIN)})


@staff_required
@require_POST
def resolve_difference(request, pk):
    if not (request.user.is_superuser or request.user.has_role(Role.ADMIN)):
        return forbidden(request, "对账差异由中心管理员处理。")
    difference = get_object_or_404(Difference, pk=pk)
    try:
        reconciliation_service.resolve(difference, request.POST.get("note", ""), actor=request.user)
    except ServiceError as failure:
        reconciliation = difference.reconciliation
        return render(request, "fees/reconciliation.html", {
            "reconciliation": reconciliation, "differences": list(reconciliation.differences.all()),
            "may_resolve": True, "error": failure, "failed": difference.pk}, status=failure.http_status)
    return redirect("fees:reconciliation", pk=difference.reconciliation_id)


@staff_required
def reconciliation_export(request, pk):
    refusal = _lead_required(request)
    if refusal:
        return refusal
    reconciliation = get_object_or_404(Reconciliation, pk=pk)
    return _xlsx(reconciliation_service.export(reconciliation),
                 f"对账差异-{reconciliation.first_day:%Y%m%d}-{reconciliation.last_day:%Y%m%d}.xlsx")


# -- 月汇总 -----------------------------------------------------------------------------------------

def _summary(request):
    today = clock.today()
    previous = today.replace(day=1) - dt.timedelta(days=1)
    try:
        year, month = (int(part) for part in request.GET.get("month", "").split("-"))
        dt.date(year, month, 1)
    except ValueError:
        year, month = previous.year, previous.month
    if _centre_wide(request.user):
        departments, scope = None, "全部执收部门"
    else:
        departments = Department.objects.filter(pk=request.user.department_id)
        scope = request.user.department.name if request.user.department_id else "—"
    return summary_service.month_summary(year, month, departments=departments), scope


@staff_required
def summary_page(request):
    refusal = _lead_required(request)
    if refusal:
        return refusal
    summary, scope = _summary(request)
    return render(request, "fees/summary.html", {"summary": summary, "scope": scope,
                                                 "month": f"{summary.year:04d}-{summary.month:02d}",
                                                 "channels": summary_service.CHANNELS})


@staff_required
def summary_export(request):
    refusal = _lead_required(request)
    if refusal:
        return refusal
    summary, scope = _summary(request)
    conditions = f"范围：{scope}　导出时间：{local_time(clock.now())}　按缴费时间所在日（北京时间）汇总"
    return _xlsx(summary_service.export(summary, conditions), f"收费月汇总-{summary.year:04d}{summary.month:02d}.xlsx")


urlpatterns = [
    path("closing/", closing_page, name="closing"),
    path("closing/<int:pk>/export.xlsx", closing_export, name="closing_export"),
    path("reconciliations/", reconciliation_list, name="reconciliations"),
    path("reconciliations/<int:pk>/", reconciliation_detail, name="reconciliation"),
    path("reconciliations/<int:pk>/export.xlsx", reconciliation_export, name="reconciliation_export"),
    path("differences/<int:pk>/resolve/", resolve_difference, name="resolve_difference"),
    path("summary/", summary_page, name="summary"),
    path("summary/export.xlsx", summary_export, name="summary_export"),
]
