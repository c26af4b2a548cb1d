"""The demo's fees: waiver grounds, bill stocks for the windows that take fees, the charge and the
payment (with its bill) of each fee-charging case before 办结 — online for cases applied for online,
at the window otherwise — and one refund."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from decimal import Decimal

from django.db.models import Q

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.cases.models import Case, Channel, Decision
from shenpi.catalog.models import Department, FeeStandard, Window
from shenpi.fees import bills, services
from shenpi.fees.models import BillStock, Charge, Payment, WaiverReason

from . import fees_online

WAIVERS = (
    ("城乡最低生活保障对象", "《关于减免低收入群体行政事业性收费的通知》：对城乡低保对象免收", "1.00"),
    ("小微企业减半", "《关于对小微企业免征有关行政事业性收费的通知》(财税〔2014〕101号)", "0.50"),
    ("残疾人", "《中华人民共和国残疾人保障法》第五十条：减免有关费用", "1.00"),
)
# Numbers per window: enough for a demo year's fee-charging cases at one window.
STOCK_SIZE = 2000
CHANNELS = (Payment.Channel.CASH, Payment.Channel.CARD, Payment.Channel.TRANSFER)


def _fee_departments() -> list[int]:
    return list(FeeStandard.objects.filter(version__item__department__code__startswith="SF-")
                .values_list("version__item__department_id", flat=True).distinct())


def build(result, admin: User) -> None:
    """Waiver grounds, and a paper stock for each window that takes fees (the fee departments' and
    the comprehensive windows) and an electronic one per fee department; nothing twice."""
    for name, basis, share in WAIVERS:
        _, created = WaiverReason.objects.get_or_create(name=name, defaults={"basis": basis, "share": Decimal(share)})
        result.created["waiver_reasons"] += created
    departments = _fee_departments()
    if not departments:
        return
    stocked = set(BillStock.objects.values_list("window_id", flat=True))
    windows = Window.objects.filter(Q(department_id__in=departments) | Q(department__comprehensive=True),
                                    department__code__startswith="SF-").select_related("department")
    for window in windows.order_by("pk"):
        if window.pk in stocked:
            continue
        first = window.pk * 10_000 + 1
        bills.issue_stock(department=window.department, series="浙非税2026", first=first, last=first + STOCK_SIZE - 1,
                          window=window, actor=admin)
        result.created["bill_stocks"] += 1
    electronic = set(BillStock.objects.filter(kind=BillStock.Kind.ELECTRONIC).values_list("department_id", flat=True))
    for department in Department.objects.filter(pk__in=departments).exclude(pk__in=electronic).order_by("pk"):
        first = department.pk * 100_000 + 1
        bills.issue_stock(department=department, series="浙电票2026", first=first, last=first + STOCK_SIZE - 1,
                          kind=BillStock.Kind.ELECTRONIC, actor=admin)
        result.created["bill_stocks"] += 1


def _cashier(clerk: User, case: Case) -> User:
    """Who takes the money: the clerk completing the case when their window holds bills, else a
    clerk of the case's department who has a window."""
    if clerk.window_id and BillStock.objects.filter(window_id=clerk.window_id,
                                                    status=BillStock.Status.ISSUED).exists():
        return clerk
    other = User.objects.filter(department_id=case.department_id, roles=Role.CLERK, window__isnull=False).first()
    return other or clerk


def settle(case_id: int, clerk: User) -> Charge | None:
    """Before 办结 of a granted fee-charging case: its charge (an area for per-unit fees, from the
    case number so that runs agree) and its payment at the window with the bill printed."""
    case = Case.objects.select_related("version").get(pk=case_id)
    if case.decision != Decision.GRANT or not services.chargeable(case.version):
        return None
    charge = services.current_charge(case)
    cashier = _cashier(clerk, case)
    online = case.channel == Channel.ONLINE and clock.now() - case.decided_at > dt.timedelta(hours=3)
    if charge is None:
        seed = int(case.number[-4:]) if case.number[-4:].isdigit() else case.pk
        quantities = {fee.pk: str(10 + seed % 90) for fee in case.version.fees.all() if fee.kind != "fixed"}
        # Who applied online is billed with the decision and pays online, an hour or two later.
        with clock.frozen(case.decided_at + dt.timedelta(minutes=10)) if online else contextlib.nullcontext():
            charge = services.create_charge(case, actor=cashier, quantities=quantities)
    if charge.status == Charge.Status.UNPAID and online:
        moment = charge.created_at + dt.timedelta(minutes=60 + case.pk % 60)
        fees_online.pay_online(charge, moment, random.Random(case.pk))
        return charge
    if charge.status == Charge.Status.UNPAID:
        channel = CHANNELS[case.pk % len(CHANNELS)]
        reference = "" if channel == Payment.Channel.CASH else f"POS{case.number[-10:]}"
        services.pay_at_window(charge, channel=channel, actor=cashier, reference=reference)
    return charge


def refund_one(result) -> None:
    """One refund, asked by the window that took the money and approved by the department's approver."""
    if Charge.objects.filter(status=Charge.Status.REFUNDED).exists():
        return
    charge = (Charge.objects.filter(status=Charge.Status.PAID, payments__channel=Payment.Channel.TRANSFER)
              .select_related("case").order_by("pk").first())
    if charge is None:
        return
    payment = charge.payments.select_related("recorded_by").first()
    approver = User.objects.filter(department_id=charge.department_id, roles=Role.APPROVER).first()
    requester = payment.recorded_by
    if approver is None or requester is None or approver.pk == requester.pk:
        return
    refund = services.request_refund(charge, actor=requester,
                                     reason="经复核申请人属城乡最低生活保障对象，应予免收，退还已缴费用")
    services.decide_refund(refund, actor=approver, approve=True, note="已核实低保证明，同意退还")
    services.pay_refund(refund, actor=approver)
    result.created["refunds"] += 1
