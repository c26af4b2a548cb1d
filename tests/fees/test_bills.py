"""Bill stocks: 领、用、缴、销, every number accounted for; electronic bills; the printed bill."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.fees import bills, services
from shenpi.fees.models import Bill, BillStock, Charge
from shenpi.fees.payments import record_payment


def paid_at_window(o, n):
    return [services.pay_at_window(services.create_charge(o.decided(), actor=o.clerk), channel="cash",
                                   actor=o.clerk)[1] for _ in range(n)]


def test_every_bill_number_is_accounted_for_after_a_day_of_issue_void_and_hand_in(fixed_office):
    o = fixed_office
    stock = o.stock(101, 120)
    used = paid_at_window(o, 5)
    assert [b.number for b in used] == [101, 102, 103, 104, 105]
    # A misprint: the number is voided with its reason and the charge reprinted on the next blank.
    reprinted = bills.void_bill(used[2], actor=o.clerk, reason="打印错位")
    assert reprinted.number == 106 and reprinted.charge_id == used[2].charge_id
    # A torn blank form: voided, nothing reprinted.
    assert bills.void_bill(Bill.objects.get(stock=stock, number=107), actor=o.clerk, reason="污损") is None
    assert paid_at_window(o, 1)[0].number == 108
    bills.hand_in(stock, actor=o.clerk)
    report = bills.account(stock)
    assert report.accounted, report.problems
    assert report.counts == {"blank": 12, "used": 6, "voided": 2, "size": 20}
    assert sorted(report.blank + report.used + report.voided) == list(range(101, 121))
    assert report.used == [101, 102, 104, 105, 106, 108]
    assert report.voided == [103, 107] and report.voided_runs == "00000103、00000107"
    assert report.blank_runs == "00000109–00000120"
    # One charge, one bill in use: the voided number's charge is billed on 106 only.
    assert Bill.objects.filter(charge_id=used[2].charge_id, status=Bill.Status.USED).count() == 1
    with pytest.raises(Forbidden):
        bills.write_off(stock, actor=o.clerk)
    bills.write_off(stock, actor=o.people["admin"])
    stock.refresh_from_db()
    assert stock.status == BillStock.Status.WRITTEN_OFF and stock.written_off_by == o.people["admin"]


def test_a_number_that_does_not_add_up_stops_the_write_off(fixed_office):
    o = fixed_office
    stock = o.stock(1, 3)
    Bill.objects.filter(stock=stock, number=2).delete()  # a number gone missing
    bills.hand_in(stock, actor=o.clerk)
    report = bills.account(stock)
    assert report.problems == ["缺号：00000002"]
    with pytest.raises(TransitionRefused):
        bills.write_off(stock, actor=o.people["admin"])


def test_stocks_do_not_overlap_and_are_used_by_their_window_only(fixed_office):
    o = fixed_office
    stock = o.stock(1, 10)
    with pytest.raises(InvalidInput):
        o.stock(10, 20)
    with pytest.raises(Forbidden):
        bills.issue_stock(department=o.dept, series="X", first=1, last=2, window=o.window, actor=o.clerk)
    with pytest.raises(Forbidden):
        bills.void_bill(Bill.objects.get(stock=stock, number=1), actor=o.people["handler"], reason="x")
    bills.hand_in(stock, actor=o.clerk)
    charge = services.create_charge(o.decided(), actor=o.clerk)
    with pytest.raises(TransitionRefused):  # a handed-in stock is not used any more
        services.pay_at_window(charge, channel="cash", actor=o.clerk)


def test_an_online_payment_gets_an_electronic_bill_once(fixed_office):
    o = fixed_office
    o.e_stock(1, 5)
    charge = services.create_charge(o.decided(), actor=o.clerk)
    with pytest.raises(TransitionRefused):
        bills.issue_bill(charge, electronic=True, actor=None)  # not paid yet
    record_payment(charge, channel="online", amount=charge.total, gateway_transaction="GW1")
    bill = bills.issue_bill(charge, electronic=True, actor=None)
    assert bill.stock.kind == BillStock.Kind.ELECTRONIC and bill.number == 1
    assert bills.issue_bill(charge, electronic=True, actor=None).pk == bill.pk  # a repeated notification


def test_the_printed_bill_carries_number_lines_and_amount(fixed_office):
    o = fixed_office
    o.stock(7, 9, series="ZJ2026")
    bill = paid_at_window(o, 1)[0]
    text = PdfReader(io.BytesIO(bills.bill_pdf(bill))).pages[0].extract_text()
    charge = Charge.objects.get(pk=bill.charge_id)
    for expected in ("00000007", "ZJ2026", "工本费", "捌拾元整", charge.number):
        assert expected in text
    assert charge.total == Decimal("80.00")
