"""Amounts follow from the standard: fixed, per unit, tiered (累进), waivers, fen rounding."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from shenpi.catalog.models import FeeStandard
from shenpi.fees import standards
from shenpi.fees.bills import capital_amount

TIERS = [{"up_to": "100", "price": "1.50"}, {"up_to": "500", "price": "1.00"}, {"up_to": None, "price": "0.33"}]


def tiered(tiers=TIERS):
    return FeeStandard(name="审查费", kind="tiered", unit="平方米", tiers=tiers, standard="分档", basis="文件")


quantities = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)


def test_fixed_and_per_unit_round_half_up_to_the_fen():
    fixed = FeeStandard(name="工本费", kind="fixed", amount=Decimal("20.00"))
    assert standards.standard_amount(fixed, Decimal(7)) == Decimal("20.00")
    per_unit = FeeStandard(name="占用费", kind="per_unit", unit="平方米", unit_price=Decimal("2.35"))
    assert standards.standard_amount(per_unit, Decimal("1.50")) == Decimal("3.53")  # 3.525 → 3.53
    assert standards.standard_amount(per_unit, Decimal("0.01")) == Decimal("0.02")  # 0.0235 → 0.02


def test_tiered_charges_each_part_at_its_tier_price():
    # 100 × 1.50 + 400 × 1.00 + 100 × 0.33
    assert standards.standard_amount(tiered(), Decimal(600)) == Decimal("583.00")
    assert standards.standard_amount(tiered(), Decimal(50)) == Decimal("75.00")


@given(quantities, quantities)
def test_tiered_total_is_monotone_in_quantity(a, b):
    low, high = sorted((a, b))
    assert standards.standard_amount(tiered(), low) <= standards.standard_amount(tiered(), high)


@given(quantities)
def test_tiered_total_is_the_sum_over_tiers(q):
    parts = standards.tier_parts(TIERS, q)
    assert sum(p.quantity for p in parts) == q
    assert standards.standard_amount(tiered(), q) == sum(p.amount for p in parts)
    assert all(p.amount == p.amount.quantize(Decimal("0.01")) for p in parts)


@given(st.decimals(min_value=0, max_value=Decimal("1e9"), places=2),
       st.sampled_from([Decimal("0.30"), Decimal("0.50"), Decimal("1.00")]))
def test_a_waiver_never_takes_more_than_the_amount_and_what_is_left_adds_up(amount, share):
    waived = standards.waived_amount(amount, share)
    assert Decimal(0) <= waived <= amount
    assert waived == waived.quantize(Decimal("0.01"))


def test_quantities_must_be_positive_with_two_decimals():
    fee = FeeStandard(pk=5, name="占用费", kind="per_unit", unit="平方米", unit_price=Decimal(2))
    for bad in ("", "0", "-1", "1.234", "abc", "NaN"):
        with pytest.raises(Exception) as caught:
            standards.parse_quantity(fee, bad)
        assert "quantity_5" in caught.value.fields
    assert standards.parse_quantity(fee, "12.5") == Decimal("12.50")


@pytest.mark.parametrize(("fields", "field"), [
    ({"kind": "fixed"}, "amount"),
    ({"kind": "per_unit", "unit": "平方米"}, "unit_price"),
    ({"kind": "per_unit", "unit_price": Decimal(1)}, "unit"),
    ({"kind": "per_unit", "unit": "米", "unit_price": Decimal(1), "amount": Decimal(1)}, "amount"),
    ({"kind": "tiered", "unit": "米", "tiers": []}, "tiers"),
    ({"kind": "tiered", "unit": "米", "tiers": [{"up_to": "10", "price": "1"}]}, "tiers"),
    ({"kind": "tiered", "unit": "米", "tiers": [{"up_to": "10", "price": "1"}, {"up_to": "5", "price": "1"},
                                               {"up_to": None, "price": "1"}]}, "tiers"),
    ({"kind": "tiered", "unit": "米", "tiers": [{"up_to": None, "price": "1.001"}]}, "tiers"),
])
def test_a_standard_is_validated_per_kind(fields, field):
    fee = FeeStandard(name="费", standard="标准", basis="文件", **fields)
    with pytest.raises(ValidationError) as caught:
        fee.clean()
    assert field in caught.value.message_dict


def test_a_complete_standard_of_each_kind_is_valid():
    FeeStandard(name="费", kind="fixed", amount=Decimal(0)).clean()
    FeeStandard(name="费", kind="per_unit", unit="米", unit_price=Decimal("0.5")).clean()
    tiered().clean()


def test_capital_amount():
    assert capital_amount(Decimal("80.00")) == "捌拾元整"
    assert capital_amount(Decimal("123.45")) == "壹佰贰拾叁元肆角伍分"
    assert capital_amount(Decimal("1005.07")) == "壹仟零伍元零柒分"
    assert capital_amount(Decimal("100000.00")) == "壹拾万元整"
    assert capital_amount(Decimal("0.50")) == "伍角"
