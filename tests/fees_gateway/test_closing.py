"""日结: a window's day by channel with its bills, closed once; no payment counted twice."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from shenpi import clock
from shenpi.errors import InvalidInput, TransitionRefused
from shenpi.fees import closing
from shenpi.fees.models import Bill, BillStock, DailyClosing, Payment
from shenpi.fees.payments import record_payment
from tests import factories

from .factory import case_with_charge, setting

pytestmark = pytest.mark.django_db


def _paid(people, item, channel, amount="80.00", **kw):
    case, charge = case_with_charge(people["clerk"], item)
    window = None if channel == Payment.Channel.ONLINE else people["clerk"].window
    payment, _ = record_payment(charge, channel=channel, amount=Decimal(amount), actor=people["clerk"],
                                window=window, **kw)
    return charge, payment


def _stock(dept, window, clerk):
    stock = BillStock.objects.create(series="鲁财通1", first=1, last=10, department=dept, window=window,
                                     holder=clerk, issued_at=clock.now())
    Bill.objects.bulk_create([Bill(stock=stock, number=n) for n in range(1, 11)])
    return stock


def test_a_window_day_is_closed_once_by_channel_with_its_bills():
    dept, people, item = setting()
    clerk = people["clerk"]
    stock = _stock(dept, clerk.window, clerk)
    charge, _ = _paid(people, item, Payment.Channel.CASH)
    _paid(people, item, Payment.Channel.CASH)
    _paid(people, item, Payment.Channel.CARD, reference="POS001")
    _paid(people, item, Payment.Channel.ONLINE, gateway_transaction="T-ONLINE-1")  # not the window's
    now = clock.now()
    stock.bills.filter(number=1).update(status=Bill.Status.USED, charge=charge, used_at=now, used_by=clerk)
    stock.bills.filter(number=2).update(status=Bill.Status.VOIDED, used_at=now, voided_at=now, void_reason="打印错误")

    preview = closing.takings(dept, clerk.window, clock.today())
    assert preview.count == 3 and preview.amount == Decimal("240.00")
    done = closing.close_day(department=dept, window=clerk.window, day=clock.today(), actor=clerk)
    assert done.totals == {"cash": "160.00", "card": "80.00"}
    assert (done.payments_count, done.amount, done.bills_used, done.bills_voided) == (3, Decimal("240.00"), 2, 1)
    assert done.payments.count() == 3

    with pytest.raises(TransitionRefused, match="已日结"):
        closing.close_day(department=dept, window=clerk.window, day=clock.today(), actor=clerk)
    # Recorded after the closing, for the closed day: counted by the next day's closing, not twice.
    _, late = _paid(people, item, Payment.Channel.TRANSFER, reference="BANK-9")
    with clock.frozen(clock.now() + dt.timedelta(days=1)):
        following = closing.close_day(department=dept, window=clerk.window, day=clock.today(), actor=clerk)
    assert list(following.payments.all()) == [late] and following.amount == Decimal("80.00")
    assert Payment.objects.filter(window=clerk.window, closing__isnull=True).count() == 0


def test_the_online_channel_is_closed_per_department():
    dept, people, item = setting()
    _paid(people, item, Payment.Channel.ONLINE, gateway_transaction="T-1")
    _paid(people, item, Payment.Channel.ONLINE, "80.00", gateway_transaction="T-2")
    _paid(people, item, Payment.Channel.CASH)
    other = factories.department(name="市场监督管理局")
    assert closing.takings(other, None, clock.today()).count == 0
    done = closing.close_day(department=dept, window=None, day=clock.today(), actor=people["approver"])
    assert done.totals == {"online": "160.00"} and done.window is None and done.payments_count == 2
    with pytest.raises(TransitionRefused):
        closing.close_day(department=dept, window=None, day=clock.today(), actor=people["admin"])
    assert DailyClosing.objects.count() == 1


def test_the_clerk_closes_the_window_day_on_the_page_and_exports_it(client):
    dept, people, item = setting()
    _paid(people, item, Payment.Channel.CASH)
    client = factories.login_staff(client, people["clerk"])
    page = client.get(reverse("fees:closing"))
    assert page.status_code == 200 and "80.00" in page.content.decode()
    assert f'href="{reverse("fees:closing")}"' in page.content.decode()  # in the workbench's navigation
    answer = client.post(reverse("fees:closing"), {"place": f"w{people['clerk'].window_id}",
                                                    "day": clock.today().isoformat()})
    assert answer.status_code == 302
    done = DailyClosing.objects.get()
    assert done.window == people["clerk"].window and done.closed_by == people["clerk"]
    again = client.post(reverse("fees:closing"), {"place": f"w{people['clerk'].window_id}",
                                                   "day": clock.today().isoformat()})
    assert again.status_code == 409 and "已日结" in again.content.decode()
    export = client.get(reverse("fees:closing_export", args=[done.pk]))
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert "收费日结单" in sheet["A1"].value and sheet["D4"].value == 80.0
    # A handler has no window to close, and no other window's closing to read.
    handler = factories.login_staff(client.__class__(), people["handler"])
    assert handler.get(reverse("fees:closing")).status_code == 403
    assert handler.get(reverse("fees:closing_export", args=[done.pk])).status_code == 403


def test_a_comprehensive_window_closes_each_departments_takings_apart(client):
    dept, people, item = setting()
    other = factories.department(name="市场监督管理局")
    other_people = factories.staff(other)
    other_item = factories.item(other, name="食品经营许可")
    centre = factories.department(name="政务服务中心综合窗口", comprehensive=True)
    centre_clerk = factories.staff(centre)["clerk"]
    for clerk, its_item in ((people["clerk"], item), (other_people["clerk"], other_item)):
        _, charge = case_with_charge(clerk, its_item)
        record_payment(charge, channel=Payment.Channel.CASH, amount=Decimal("80.00"), actor=centre_clerk,
                       window=centre_clerk.window)
    page = factories.login_staff(client, centre_clerk).get(reverse("fees:closing"))
    assert page.status_code == 200
    for department in (dept, other):
        assert f"{centre_clerk.window} {department.name}" in page.content.decode()
        done = closing.close_day(department=department, window=centre_clerk.window, day=clock.today(),
                                 actor=centre_clerk)
        assert done.payments_count == 1 and done.amount == Decimal("80.00")
    # A department's own window closes only its own department's takings.
    with pytest.raises(InvalidInput, match="窗口不属于该部门"):
        closing.close_day(department=other, window=people["clerk"].window, day=clock.today(), actor=people["clerk"])
