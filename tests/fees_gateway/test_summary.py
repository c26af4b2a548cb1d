"""月汇总: per department and fee item, from the day totals every payment adds to."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from shenpi import clock
from shenpi.fees import summary
from shenpi.fees.models import FeeDayTotal, Payment
from shenpi.fees.payments import record_payment
from tests import factories

from .factory import charge, setting

pytestmark = pytest.mark.django_db
MOMENT = dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _pay(people, item, lines, channel, paid_at, **kw):
    case = factories.receive(people["clerk"], item)
    made = charge(case, lines=lines)
    record_payment(made, channel=channel, amount=made.total, paid_at=paid_at, **kw)
    return made


def test_the_month_summary_adds_up_per_department_and_fee_item(client):
    dept, people, item = setting()
    other = factories.department(name="公安局")
    other_people = factories.staff(other)
    other_item = factories.item(other, name="居民身份证")
    _pay(people, item, [("不动产登记费", "80.00"), ("工本费", "10.00")], Payment.Channel.CASH, MOMENT)
    _pay(people, item, [("不动产登记费", "80.00")], Payment.Channel.ONLINE, MOMENT + dt.timedelta(hours=1),
         gateway_transaction="T-NOV-1")  # 00:30 on 1 November, Beijing time: November
    _pay(people, item, [("不动产登记费", "550.00")], Payment.Channel.CARD, MOMENT + dt.timedelta(days=2))
    _pay(other_people, other_item, [("居民身份证工本费", "20.00")], Payment.Channel.CASH, MOMENT + dt.timedelta(days=3))

    october = summary.month_summary(2026, 10)
    assert [(r.department, r.item, r.count, r.amount) for r in october.rows] == [
        ("自然资源和规划局", "不动产登记费", 1, Decimal("80.00")), ("自然资源和规划局", "工本费", 1, Decimal("10.00"))]
    november = summary.month_summary(2026, 11)
    assert november.total.count == 3 and november.total.amount == Decimal("650.00")
    registration = next(r for r in november.rows if r.item == "不动产登记费")
    assert registration.by_channel == {"card": Decimal("550.00"), "online": Decimal("80.00")}
    assert summary.month_summary(2026, 11, departments=[other.pk]).total.amount == Decimal("20.00")

    # Rebuilt from the payments (data loaded in bulk, or a repair): the same figures.
    before = sorted(FeeDayTotal.objects.values_list("day", "department", "item", "channel", "count", "amount"))
    FeeDayTotal.objects.all().delete()
    summary.rebuild(dt.date(2026, 10, 1), dt.date(2026, 11, 30))
    assert sorted(FeeDayTotal.objects.values_list("day", "department", "item", "channel", "count", "amount")) == before

    # A lead sees their department's, the administrator every department's; a clerk neither.
    lead = factories.login_staff(client, people["approver"])
    page = lead.get(reverse("fees:summary") + "?month=2026-11").content.decode()
    assert "630.00" in page and "居民身份证工本费" not in page
    admin = factories.login_staff(client.__class__(), people["admin"])
    assert "居民身份证工本费" in admin.get(reverse("fees:summary") + "?month=2026-11").content.decode()
    sheet = load_workbook(io.BytesIO(admin.get(reverse("fees:summary_export") + "?month=2026-11").content)).active
    assert sheet["A1"].value == "2026年11月收费汇总表"
    assert [sheet.cell(row=sheet.max_row, column=c).value for c in (1, 3, 4)] == ["合计", 3, 650.0]
    clerk = factories.login_staff(client.__class__(), people["clerk"])
    assert clerk.get(reverse("fees:summary")).status_code == 403


def test_a_refused_payment_counts_nothing():
    dept, people, item = setting()
    case = factories.receive(people["clerk"], item)
    made = charge(case)
    with pytest.raises(Exception, match="不符"):
        record_payment(made, channel=Payment.Channel.CASH, amount=Decimal("1.00"))
    assert not FeeDayTotal.objects.exists()
    record_payment(made, channel=Payment.Channel.CASH, amount=made.total)
    assert FeeDayTotal.objects.get().amount == Decimal("80.00")
    assert FeeDayTotal.objects.get().day == clock.today()


def test_the_day_totals_are_rebuilt_by_command():
    from django.core.management import call_command

    dept, people, item = setting()
    _pay(people, item, [("不动产登记费", "80.00")], Payment.Channel.CASH, MOMENT)
    FeeDayTotal.objects.all().delete()
    out = io.StringIO()
    call_command("payments", "rebuild-summary", "2026-10-01", "2026-10-31", stdout=out)
    assert "1 行" in out.getvalue()
    assert summary.month_summary(2026, 10).total.amount == Decimal("80.00")
    call_command("payments", "query", stdout=out)
    assert "查询支付订单 0 笔" in out.getvalue()
