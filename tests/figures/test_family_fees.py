"""The fees family (收费统计) equals direct sums over the charges, payments and refunds by local day, agrees
with the fees app's own day totals, drills down to the cases, and follows payments and cancellations."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from shenpi import clock
from shenpi.cases.models import Case
from shenpi.fees.models import Charge, ChargeLine, FeeDayTotal, Payment, Refund
from shenpi.figures import upkeep
from shenpi.figures.models import FeeTouchedDay
from shenpi.figures.query import Scope
from shenpi.reports.fees_reports import FEE_CHANNELS, FEES
from shenpi.reports.registry import Ask
from tests.performance.conftest import at

OCT_1, OCT_31 = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
NOV_1, NOV_30 = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
_numbers = itertools.count(1)
D = Decimal
NOTHING = D("0")


def charge(case, created, total, *, waived=NOTHING, status=Charge.Status.UNPAID):
    c = Charge.objects.create(case=case, department=case.department, version=case.version,
                              number=f"{next(_numbers):020d}", status=status, standard_total=total + waived,
                              waived_total=waived, total=total, created_at=created, pay_due=dt.date(2026, 12, 1))
    ChargeLine.objects.create(charge=c, name="工本费", standard_amount=total + waived, waived_amount=waived,
                              amount=total)
    return c


def pay(c, paid, channel=Payment.Channel.CASH, recorded=None):
    payment = Payment.objects.create(charge=c, channel=channel, amount=c.total, paid_at=paid,
                                     recorded_at=recorded or paid)
    Charge.objects.filter(pk=c.pk).update(status=Charge.Status.PAID, paid_at=paid)
    return payment


@pytest.fixture
def planted(world):
    c, clerk = world.cases, world.people_a["clerk"]
    on_time = charge(c["on_time"], at(2026, 10, 20, 23, 10), D("80.00"))
    paid = pay(on_time, at(2026, 10, 31, 23, 40))                                   # October, late evening
    Refund.objects.create(charge=on_time, payment=paid, amount=D("30.00"), reason="多收", status=Refund.Status.PAID,
                          requested_at=at(2026, 10, 31, 23, 50), requested_by=clerk,
                          paid_at=at(2026, 11, 1, 0, 20))                              # November (10-31 in UTC)
    Refund.objects.create(charge=on_time, payment=paid, amount=D("10.00"), reason="再退", requested_by=clerk,
                          requested_at=at(2026, 11, 2))                                 # not paid out: not counted
    early = charge(c["early"], at(2026, 10, 14), D("40.00"), waived=D("40.00"))     # halved
    pay(early, at(2026, 10, 15), Payment.Channel.CARD)
    charge(c["spot"], at(2026, 10, 16, 9), D("80.00"), status=Charge.Status.CANCELLED)
    spot = charge(c["spot"], at(2026, 10, 16, 10), D("80.00"))
    pay(spot, at(2026, 11, 2), Payment.Channel.ONLINE)
    case_b = Case.objects.filter(department=world.b).order_by("pk").first()
    charge(case_b, at(2026, 10, 31, 16, 30), D("0.00"), waived=D("25.00"), status=Charge.Status.WAIVED)
    world.case_b = case_b
    upkeep.rebuild()
    return world


def ask(first, last, by=("department",), **scope):
    return Ask(first, last, Scope(**scope), by=by)


def direct(dept, first, last) -> dict:
    start, end = clock.days_range(first, last)
    made = Charge.objects.filter(department=dept, created_at__gte=start, created_at__lt=end)
    standing = made.exclude(status="cancelled")
    payments = Payment.objects.filter(charge__department=dept, paid_at__gte=start, paid_at__lt=end)
    refunds = Refund.objects.filter(charge__department=dept, status="paid", paid_at__gte=start, paid_at__lt=end)

    def total(rows, field):
        return sum((getattr(r, field) for r in rows), D("0.00"))

    return {"charges": standing.count(), "standard": total(standing, "standard_total"),
            "waived": total(standing, "waived_total"),
            "waived_charges": sum(1 for x in standing if x.waived_total > 0), "charged": total(standing, "total"),
            "cancelled": made.filter(status="cancelled").count(), "payments": payments.count(),
            "paid": total(payments, "amount"), "refunds": refunds.count(), "refunded": total(refunds, "amount")}


def by_department(first, last):
    return {r["department"]: r for r in FEES.rows(ask(first, last))}


def test_each_figure_equals_a_direct_sum_across_midnight_and_the_months_end(planted):
    for first, last in ((OCT_1, OCT_31), (NOV_1, NOV_30), (dt.date(2026, 10, 16), dt.date(2026, 11, 1))):
        rows = by_department(first, last)
        for dept in (planted.a, planted.b):
            expected = direct(dept, first, last)
            if not any(expected.values()):
                assert dept.pk not in rows
                continue
            assert {k: rows[dept.pk][k] for k in expected} == expected, (first, last, dept.name)


def test_known_figures(planted):
    a = by_department(OCT_1, OCT_31)[planted.a.pk]
    assert (a["charges"], a["charged"], a["waived"], a["cancelled"]) == (3, D("200.00"), D("40.00"), 1)
    assert (a["payments"], a["paid"], a["refunds"], a["net"]) == (2, D("120.00"), 0, D("120.00"))
    nov = by_department(NOV_1, NOV_30)[planted.a.pk]
    assert (nov["payments"], nov["paid"], nov["refunded"], nov["net"]) == (1, D("80.00"), D("30.00"), D("50.00"))
    b = by_department(OCT_1, OCT_31)[planted.b.pk]
    assert (b["charges"], b["waived_charges"], b["charged"], b["waived"]) == (1, 1, D("0.00"), D("25.00"))


def test_by_item_and_month(planted):
    items = {r["item"]: r for r in FEES.rows(ask(OCT_1, NOV_30, by=("item",)))}
    assert items[planted.item_a.pk]["paid"] == D("200.00") and items[planted.item_b.pk]["paid"] == 0
    months = {r["month"]: r for r in FEES.rows(ask(OCT_1, NOV_30, by=("month",), departments=(planted.a.pk,)))}
    assert months[OCT_1]["paid"] == D("120.00") and months[NOV_1]["paid"] == D("80.00")


def test_the_takings_agree_with_the_fees_apps_own_day_totals(planted):
    for first, last in ((OCT_1, OCT_31), (NOV_1, NOV_30)):
        ours = by_department(first, last)[planted.a.pk]["paid"]
        kept = sum(FeeDayTotal.objects.filter(department=planted.a, day__gte=first, day__lte=last)
                   .values_list("amount", flat=True), D("0"))
        channels = {r["department"]: r for r in FEE_CHANNELS.rows(ask(first, last))}[planted.a.pk]
        assert ours == kept == channels["amount"]
    october = {r["department"]: r for r in FEE_CHANNELS.rows(ask(OCT_1, OCT_31))}[planted.a.pk]
    assert (october["cash"], october["card"], october["online"]) == (D("80.00"), D("40.00"), D("0.00"))


def test_drill_down_lists_exactly_the_cases(planted):
    c, key = planted.cases, {"department": planted.a.pk}
    assert set(FEES.cases(ask(OCT_1, OCT_31), key, "paid")) == {c["on_time"], c["early"]}
    assert set(FEES.cases(ask(OCT_1, OCT_31), key, "cancelled")) == {c["spot"]}
    assert set(FEES.cases(ask(OCT_1, OCT_31), key, "waived")) == {c["early"]}
    assert set(FEES.cases(ask(NOV_1, NOV_30), key, "refunded")) == {c["on_time"]}
    assert set(FEES.cases(ask(OCT_1, NOV_30, by=("month",)), {"month": NOV_1}, "payments")) == {c["spot"]}
    assert set(FEE_CHANNELS.cases(ask(OCT_1, OCT_31), key, "card")) == {c["early"]}
    assert FEES.cases(ask(OCT_1, OCT_31), key, "net") is None


def test_upkeep_picks_up_a_late_notified_payment_and_a_cancellation(planted):
    case_b = planted.case_b
    later = charge(Case.objects.filter(department=planted.b).order_by("pk").last(), at(2026, 10, 3), D("15.00"))
    unpaid = charge(case_b, at(2026, 10, 5), D("9.00"))
    upkeep.rebuild()
    upkeep.keep_up()
    pay(later, at(2026, 10, 4), Payment.Channel.ONLINE, recorded=clock.now())   # notified a month late
    unpaid.status = Charge.Status.CANCELLED
    unpaid.save(update_fields=["status"])                                       # no timestamp: its day is marked
    assert FeeTouchedDay.objects.filter(day=dt.date(2026, 10, 5)).exists()
    stale = by_department(OCT_1, OCT_31)[planted.b.pk]
    assert (stale["payments"], stale["cancelled"]) == (0, 0)
    upkeep.keep_up()
    assert not FeeTouchedDay.objects.exists()
    b = by_department(OCT_1, OCT_31)[planted.b.pk]
    assert {k: b[k] for k in direct(planted.b, OCT_1, OCT_31)} == direct(planted.b, OCT_1, OCT_31)
    assert (b["payments"], b["paid"], b["cancelled"], b["charges"]) == (1, D("15.00"), 1, 2)
