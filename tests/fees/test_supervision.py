"""The supervision fee rules: charged ≠ standard, charged without a standard or on a free item, unpaid late."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.fees import services
from shenpi.fees.models import Charge, ChargeLine
from shenpi.supervision.models import Alert, Level
from shenpi.supervision.scan import scan


def at(y, m, d, hh=10):
    return timezone.make_aware(dt.datetime(y, m, d, hh))


def alerts(code):
    return set(Alert.objects.filter(rule__code=code, status=Alert.Status.OPEN).values_list("level", "subject"))


def test_a_charge_by_the_standard_raises_nothing(mixed_office, half):
    o = mixed_office
    services.create_charge(o.decided(), actor=o.clerk, quantities={o.fees[1].pk: "3.3", o.fees[2].pk: "777"},
                           waivers={o.fees[2].pk: half.pk})
    scan(full=True)
    assert not alerts("fee.off_standard") and not alerts("fee.free_item_charged")


@pytest.mark.parametrize("tamper", ["total", "line_amount", "quantity_not_recomputed", "waiver_share"])
def test_a_charge_off_its_standard_is_a_red_card(mixed_office, half, tamper):
    o = mixed_office
    charge = services.create_charge(o.decided(), actor=o.clerk,
                                    quantities={o.fees[1].pk: "10", o.fees[2].pk: "200"})
    scan(full=True)
    assert not alerts("fee.off_standard")
    line = charge.lines.get(standard=o.fees[1])
    if tamper == "total":
        Charge.objects.filter(pk=charge.pk).update(total=charge.total - 5)
    elif tamper == "line_amount":  # typed: amount and totals agree with each other, not with the standard
        ChargeLine.objects.filter(pk=line.pk).update(standard_amount=Decimal("30.00"), amount=Decimal("30.00"))
        Charge.objects.filter(pk=charge.pk).update(standard_total=charge.standard_total + Decimal("6.50"),
                                                   total=charge.total + Decimal("6.50"))
    elif tamper == "quantity_not_recomputed":
        ChargeLine.objects.filter(pk=line.pk).update(quantity=Decimal("12"))
    else:
        ChargeLine.objects.filter(pk=line.pk).update(waiver=half, waived_amount=Decimal("1.00"),
                                                     amount=line.amount - 1)
        Charge.objects.filter(pk=charge.pk).update(waived_total=1, total=charge.total - 1)
    Charge.objects.filter(pk=charge.pk).update(created_at=clock.now())  # made after the last scan
    scan()
    assert alerts("fee.off_standard") == {(Level.RED, f"charge:{charge.pk}")}


def test_charged_without_a_standard_or_on_a_free_item(fixed_office):
    o = fixed_office
    charge = services.create_charge(o.decided(), actor=o.clerk)
    ChargeLine.objects.create(charge=charge, name="资料费", standard_amount=10, amount=10)
    other = services.create_charge(o.decided(), actor=o.clerk)
    o.version.free_of_charge = True  # the item says free: any charge on it is one too many
    o.version.save()
    scan(full=True)
    assert alerts("fee.free_item_charged") == {(Level.RED, f"charge:{charge.pk}"),
                                               (Level.RED, f"charge:{other.pk}")}


def test_unpaid_past_the_due_day_yellow_then_red_and_closed_by_payment(fixed_office):
    o = fixed_office
    o.stock()
    clock.set_now(at(2026, 3, 2))  # a Monday
    charge = services.create_charge(o.decided(), actor=o.clerk)
    due = charge.pay_due
    clock.set_now(timezone.make_aware(dt.datetime.combine(due, dt.time(16))))
    scan(full=True)
    assert not alerts("fee.unpaid_late")
    clock.set_now(timezone.make_aware(dt.datetime.combine(due + dt.timedelta(days=1), dt.time(9))))
    scan(full=True)
    assert alerts("fee.unpaid_late") == {(Level.YELLOW, f"charge:{charge.pk}")}
    clock.set_now(timezone.make_aware(dt.datetime.combine(due + dt.timedelta(days=20), dt.time(9))))
    scan(full=True)
    assert alerts("fee.unpaid_late") == {(Level.RED, f"charge:{charge.pk}")}
    services.pay_at_window(charge, channel="cash", actor=o.clerk)
    scan(full=True)
    assert not alerts("fee.unpaid_late")
