"""A case's charge after 准予, payment at the window with its bill, refunds, and 办结 waiting for payment."""

from decimal import Decimal

import pytest

from shenpi import clock
from shenpi.cases import services as case_services
from shenpi.cases.models import State
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.fees import services
from shenpi.fees.models import Bill, Charge, Refund
from shenpi.fees.payments import record_payment
from shenpi.workdays.services import get_calendar
from tests import factories as f

from .conftest import Office


def test_the_charge_is_computed_from_the_standards_with_quantities_and_waivers(mixed_office, half, settings):
    o = mixed_office
    case = o.decided()
    fixed, per_unit, tiered = o.fees
    charge = services.create_charge(case, actor=o.clerk, quantities={per_unit.pk: "10.5", tiered.pk: "600"},
                                    waivers={tiered.pk: half.pk})
    lines = {line.name: line for line in charge.lines.all()}
    assert lines["工本费"].amount == Decimal("80.00")
    assert lines["占用费"].amount == Decimal("24.68")  # 10.5 × 2.35 = 24.675 → 24.68
    assert lines["审查费"].standard_amount == Decimal("600.00")  # 150 + 400 + 50
    assert (lines["审查费"].waived_amount, lines["审查费"].waiver) == (Decimal("300.00"), half)
    assert charge.standard_total == Decimal("704.68") and charge.waived_total == Decimal("300.00")
    assert charge.total == Decimal("404.68") and charge.status == Charge.Status.UNPAID
    assert services.valid_charge_number(charge.number)
    assert charge.pay_due == get_calendar().add(clock.today(), settings.FEES_PAY_DAYS)


def test_a_charge_needs_a_quantity_and_a_known_waiver(mixed_office):
    o = mixed_office
    case = o.decided()
    with pytest.raises(InvalidInput) as caught:
        services.create_charge(case, actor=o.clerk, quantities={o.fees[1].pk: "1"})
    assert f"quantity_{o.fees[2].pk}" in caught.value.fields
    with pytest.raises(InvalidInput):
        services.create_charge(case, actor=o.clerk, quantities={o.fees[1].pk: "1", o.fees[2].pk: "1"},
                               waivers={o.fees[0].pk: 9999})
    assert not Charge.objects.exists()


def test_only_after_grant_by_the_department_and_once(fixed_office):
    o = fixed_office
    received = f.receive(o.clerk, o.item)
    with pytest.raises(TransitionRefused):
        services.create_charge(received, actor=o.clerk)
    case = o.decided()
    other = f.user(f.department(), "clerk")
    with pytest.raises(Forbidden):
        services.create_charge(case, actor=other)
    with pytest.raises(Forbidden):
        services.create_charge(case, actor=o.people["handler"])
    services.create_charge(case, actor=o.clerk)
    with pytest.raises(TransitionRefused):
        services.create_charge(case, actor=o.clerk)


def test_free_items_and_items_without_standards_are_not_charged(db):
    o = Office()  # not free, but no standard: nothing to charge by
    with pytest.raises(InvalidInput):
        services.create_charge(o.decided(), actor=o.clerk)
    o.version.free_of_charge = True
    o.version.save()
    with pytest.raises(InvalidInput):
        services.create_charge(o.decided(), actor=o.clerk)


def test_a_wholly_waived_charge_is_settled_at_once(fixed_office, full):
    o = fixed_office
    charge = services.create_charge(o.decided(), actor=o.clerk, waivers={o.fees[0].pk: full.pk})
    assert charge.total == Decimal("0.00") and charge.status == Charge.Status.WAIVED


def test_cancel_with_reason_then_charge_again(fixed_office):
    o = fixed_office
    case = o.decided()
    charge = services.create_charge(case, actor=o.clerk)
    with pytest.raises(InvalidInput):
        services.cancel_charge(charge, actor=o.clerk, reason=" ")
    services.cancel_charge(charge, actor=o.clerk, reason="数量登记错误")
    charge.refresh_from_db()
    assert charge.status == Charge.Status.CANCELLED and charge.cancelled_reason == "数量登记错误"
    assert services.create_charge(case, actor=o.clerk).pk != charge.pk


def test_window_payment_prints_the_next_blank_bill(fixed_office):
    o = fixed_office
    o.stock(1, 5)
    charge = services.create_charge(o.decided(), actor=o.clerk)
    with pytest.raises(InvalidInput):
        services.pay_at_window(charge, channel="card", actor=o.clerk)  # a card payment needs its voucher
    payment, bill = services.pay_at_window(charge, channel="card", actor=o.clerk, reference="POS123456")
    charge.refresh_from_db()
    assert charge.status == Charge.Status.PAID and payment.window == o.window and payment.reference == "POS123456"
    assert (bill.number, bill.status, bill.charge_id) == (1, Bill.Status.USED, charge.pk)
    second = services.create_charge(o.decided(), actor=o.clerk)
    assert services.pay_at_window(second, channel="cash", actor=o.clerk)[1].number == 2


def test_no_payment_without_a_bill_to_print_it_on(fixed_office):
    o = fixed_office
    charge = services.create_charge(o.decided(), actor=o.clerk)
    with pytest.raises(TransitionRefused):
        services.pay_at_window(charge, channel="cash", actor=o.clerk)
    charge.refresh_from_db()
    assert charge.status == Charge.Status.UNPAID and not charge.payments.exists()


def test_completion_is_refused_while_unpaid_and_allowed_after_payment(fixed_office):
    o = fixed_office
    o.stock()
    case = o.decided()
    with pytest.raises(TransitionRefused) as caught:
        case_services.perform(case, "complete", actor=o.clerk, params={"delivery": "窗口领取"})
    assert "缴费后方可办结" in caught.value.message
    charge = services.create_charge(case, actor=o.clerk)
    with pytest.raises(TransitionRefused) as caught:
        case_services.perform(case, "complete", actor=o.clerk, params={"delivery": "窗口领取"})
    assert charge.number in caught.value.message
    services.pay_at_window(charge, channel="cash", actor=o.clerk)
    case = case_services.perform(case, "complete", actor=o.clerk, params={"delivery": "窗口领取"})
    assert case.state == State.COMPLETED


def test_completion_does_not_wait_when_the_item_says_so_or_for_free_items(fixed_office):
    o = fixed_office
    o.version.pay_before_completion = False
    o.version.save()
    assert case_services.perform(o.decided(), "complete", actor=o.clerk,
                                 params={"delivery": "窗口领取"}).state == State.COMPLETED
    free = Office()
    free.version.free_of_charge = True
    free.version.save()
    assert case_services.perform(free.decided(), "complete", actor=free.clerk,
                                 params={"delivery": "窗口领取"}).state == State.COMPLETED


def test_the_charge_is_made_after_grant_when_every_fee_is_fixed(fixed_office, mixed_office,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = fixed_office.decided()
    charge = Charge.objects.get(case=case)
    assert charge.total == Decimal("80.00") and charge.created_by is None
    with django_capture_on_commit_callbacks(execute=True):
        mixed = mixed_office.decided()
    assert not Charge.objects.filter(case=mixed).exists()  # quantities to ask: a person makes it


def test_refund_needs_another_persons_approval_then_is_paid(fixed_office):
    o = fixed_office
    o.stock()
    charge = services.create_charge(o.decided(), actor=o.clerk)
    with pytest.raises(TransitionRefused):
        services.request_refund(charge, actor=o.clerk, reason="未缴费")
    services.pay_at_window(charge, channel="transfer", actor=o.clerk, reference="TR20260001")
    refund = services.request_refund(charge, actor=o.clerk, reason="申请人撤回，多收退还")
    assert refund.amount == Decimal("80.00")
    with pytest.raises(TransitionRefused):
        services.pay_refund(refund, actor=o.clerk)
    with pytest.raises(Forbidden):
        services.decide_refund(refund, actor=o.clerk, approve=True)
    o.people["approver"].roles.add("clerk")  # even a colleague with both roles is another person
    with pytest.raises(InvalidInput):
        services.decide_refund(refund, actor=o.people["approver"], approve=False)
    services.decide_refund(refund, actor=o.people["approver"], approve=True, note="同意")
    services.pay_refund(refund, actor=o.people["admin"])
    charge.refresh_from_db()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PAID and charge.status == Charge.Status.REFUNDED
    with pytest.raises(TransitionRefused):
        services.request_refund(charge, actor=o.clerk, reason="再退")


def test_record_payment_keeps_its_gateway_idempotency(fixed_office):
    o = fixed_office
    charge = services.create_charge(o.decided(), actor=o.clerk)
    first, created = record_payment(charge, channel="online", amount=charge.total, gateway_transaction="T1")
    again, created_again = record_payment(charge, channel="online", amount=charge.total, gateway_transaction="T1")
    assert created and not created_again and first.pk == again.pk
