"""Staff pages of charges and bills at /workbench/fees/: making a case's charge, taking the payment at
the window and printing its bill, refunds and their approval, and the window's bill stock
(票据领、用、缴、销)."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from shenpi.accounts.access import staff_required
from shenpi.accounts.models import Role
from shenpi.cases import services as case_services
from shenpi.catalog.models import Department, Window
from shenpi.errors import ServiceError

from . import bills, services, standards
from .models import Bill, BillStock, Charge, Payment, Refund, WaiverReason


def _case_url(case) -> str:
    return reverse("workbench:case", args=[case.number]) + "#fees"


def _visible_case(user, number: str):
    return get_object_or_404(case_services.visible_cases(user).select_related("version", "department"),
                             number=number)


def _visible_charge(user, number: str) -> Charge:
    charge = get_object_or_404(Charge.objects.select_related("case", "department"), number=number)
    _visible_case(user, charge.case.number)  # 404 when the case is not theirs to see
    return charge


@staff_required
def charge_new(request, number):
    """开具收费单: the version's standards with a quantity for per-unit and tiered ones and a waiver
    ground to choose; the amounts are computed, never typed."""
    case = _visible_case(request.user, number)
    fees = list(case.version.fees.order_by("pk"))
    reasons = list(WaiverReason.objects.filter(active=True))
    error, posted = None, request.POST if request.method == "POST" else {}
    quantities = {f.pk: posted.get(f"quantity_{f.pk}", "") for f in fees}
    waivers = {f.pk: posted.get(f"waiver_{f.pk}", "") for f in fees}
    if request.method == "POST":
        try:
            services.create_charge(case, actor=request.user, quantities=quantities, waivers=waivers)
            return redirect(_case_url(case))
        except ServiceError as failure:
            error = failure
    rows = [{"fee": f, "kind": f.get_kind_display(), "standard": standards.describe(f),
             "needs_quantity": standards.needs_quantity(f), "quantity": quantities[f.pk],
             "waiver": str(waivers[f.pk])} for f in fees]
    return render(request, "fees/charge_new.html", {"case": case, "rows": rows, "reasons": reasons,
                                                    "error": error})


@staff_required
def charge_pay(request, number):
    """窗口收费: cash, card or transfer, and the bill printed on the window's next blank number."""
    charge = _visible_charge(request.user, number)
    error = None
    if request.method == "POST":
        try:
            _, bill = services.pay_at_window(charge, channel=request.POST.get("channel", ""), actor=request.user,
                                             reference=request.POST.get("reference", ""))
            return redirect(_case_url(charge.case) + f"?bill={bill.pk}")
        except ServiceError as failure:
            error = failure
    channels = [c for c in Payment.Channel.choices if c[0] in services.WINDOW_CHANNELS]
    return render(request, "fees/charge_pay.html", {"charge": charge, "channels": channels, "error": error,
                                                    "posted": request.POST})


@staff_required
def charge_cancel(request, number):
    charge = _visible_charge(request.user, number)
    error = None
    if request.method == "POST":
        try:
            services.cancel_charge(charge, actor=request.user, reason=request.POST.get("reason", ""))
            return redirect(_case_url(charge.case))
        except ServiceError as failure:
            error = failure
    return render(request, "fees/charge_reason.html", {
        "charge": charge, "error": error, "title": "撤销收费单", "label": "撤销理由", "button": "撤销收费单"})


@staff_required
def refund_new(request, number):
    charge = _visible_charge(request.user, number)
    error = None
    if request.method == "POST":
        try:
            services.request_refund(charge, actor=request.user, reason=request.POST.get("reason", ""))
            return redirect(_case_url(charge.case))
        except ServiceError as failure:
            error = failure
    return render(request, "fees/charge_reason.html", {
        "charge": charge, "error": error, "title": "申请退费", "label": "退费理由", "button": "提交退费申请",
        "note": f"退费金额{services.refundable(charge)}元，须经他人审批后退款。"})


@staff_required
def bill_pdf(request, pk):
    bill = get_object_or_404(Bill.objects.select_related("stock", "charge__case", "charge__department", "used_by"),
                             pk=pk, charge__isnull=False)
    _visible_case(request.user, bill.charge.case.number)
    response = HttpResponse(bills.bill_pdf(bill), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bill-{bill.stock.series}-{bill.number:08d}.pdf"'
    return response


# -- refunds awaiting approval ------------------------------------------------------------------------

def _refunds_for(user):
    refunds = Refund.objects.select_related("charge__case", "requested_by", "decided_by")
    if user.is_superuser or user.has_role(Role.ADMIN):
        return refunds
    return refunds.filter(charge__department_id=user.department_id)


@staff_required
def refund_list(request):
    """退费审批: requested refunds to approve or reject (not one's own), approved ones to pay out."""
    refunds = _refunds_for(request.user)
    error = request.session.pop("fees_error", "")
    return render(request, "fees/refunds.html", {
        "waiting": list(refunds.filter(status__in=[Refund.Status.REQUESTED, Refund.Status.APPROVED])),
        "done": list(refunds.filter(status__in=[Refund.Status.PAID, Refund.Status.REJECTED])[:50]),
        "error": error})


@staff_required
@require_POST
def refund_decide(request, pk):
    refund = get_object_or_404(_refunds_for(request.user), pk=pk)
    op = request.POST.get("op")
    try:
        if op == "pay":
            services.pay_refund(refund, actor=request.user)
        else:
            services.decide_refund(refund, actor=request.user, approve=op == "approve",
                                   note=request.POST.get("note", ""))
    except ServiceError as failure:
        request.session["fees_error"] = failure.message
    return redirect("fees:refunds")


# -- bill stocks (票据领用缴销) --------------------------------------------------------------------------

def _stocks_for(user):
    stocks = BillStock.objects.select_related("department", "window", "holder", "written_off_by")
    if user.is_superuser or user.has_role(Role.ADMIN):
        return stocks
    if user.has_role(Role.APPROVER):
        return stocks.filter(department_id=user.department_id)
    return stocks.filter(Q(window_id=user.window_id) | Q(holder=user)) if user.window_id else stocks.filter(holder=user)


@staff_required
def stock_list(request):
    """The window's bills: numbers left, used and voided per stock; void a number, hand a stock in;
    issue and write off for the administrator or the department's approver."""
    user = request.user
    error = request.session.pop("fees_error", "")
    stocks = bills.stock_counts(_stocks_for(user)).order_by("status", "-issued_at")[:100]
    manages = user.is_superuser or user.has_role(Role.ADMIN, Role.APPROVER)
    departments = windows = []
    if manages:
        departments = Department.objects.all() if user.is_superuser or user.has_role(Role.ADMIN) \
            else Department.objects.filter(pk=user.department_id)
        windows = Window.objects.filter(department__in=departments) if not user.has_role(Role.ADMIN) \
            and not user.is_superuser else Window.objects.all()
    return render(request, "fees/stocks.html", {
        "stocks": stocks, "manages": manages, "departments": departments, "windows": windows, "error": error,
        "kinds": BillStock.Kind.choices})


@staff_required
def stock_detail(request, pk):
    stock = get_object_or_404(_stocks_for(request.user), pk=pk)
    report = bills.account(stock)
    rows = stock.bills.select_related("charge", "used_by").exclude(status=Bill.Status.BLANK).order_by("number")
    return render(request, "fees/stock.html", {"stock": stock, "report": report, "rows": rows,
                                               "error": request.session.pop("fees_error", "")})


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@staff_required
@require_POST
def stock_act(request):
    user, op = request.user, request.POST.get("op", "")
    back = redirect("fees:stocks")
    try:
        if op == "issue":
            kind = request.POST.get("kind", BillStock.Kind.PAPER)
            department = get_object_or_404(Department, pk=_int(request.POST.get("department")))
            window = Window.objects.filter(pk=_int(request.POST.get("window"))).first()
            bills.issue_stock(department=department, series=request.POST.get("series", ""),
                              first=_int(request.POST.get("first")), last=_int(request.POST.get("last")),
                              kind=kind, window=window, actor=user)
        else:
            stock = get_object_or_404(_stocks_for(user), pk=_int(request.POST.get("stock")))
            back = redirect("fees:stock", stock.pk)
            if op == "void":
                bill = get_object_or_404(stock.bills, number=_int(request.POST.get("number")))
                bills.void_bill(bill, actor=user, reason=request.POST.get("reason", ""))
            elif op == "hand_in":
                bills.hand_in(stock, actor=user)
            elif op == "write_off":
                bills.write_off(stock, actor=user)
    except ServiceError as failure:
        request.session["fees_error"] = failure.message
    return back


urlpatterns = [
    path("cases/<str:number>/charge/", charge_new, name="charge_new"),
    path("charges/<str:number>/pay/", charge_pay, name="charge_pay"),
    path("charges/<str:number>/cancel/", charge_cancel, name="charge_cancel"),
    path("charges/<str:number>/refund/", refund_new, name="refund_new"),
    path("bills/<int:pk>.pdf", bill_pdf, name="bill_pdf"),
    path("refunds/", refund_list, name="refunds"),
    path("refunds/<int:pk>/", refund_decide, name="refund_decide"),
    path("stocks/", stock_list, name="stocks"),
    path("stocks/act/", stock_act, name="stock_act"),
    path("stocks/<int:pk>/", stock_detail, name="stock"),
]
