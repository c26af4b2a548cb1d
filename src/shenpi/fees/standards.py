"""Amounts from a fee standard (收费标准): what a bill line charges follows from the standard, the
quantity and the legal ground of a waiver, never from a typed amount.

Money is Decimal yuan rounded to the fen (分) half up, the way the finance bureau's bills round.
A tiered standard (分档累进) charges each tier's part of the quantity at that tier's price, each part
rounded on its own, so the total is exactly the sum of the tier amounts the bill prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from shenpi.catalog.models import FeeStandard, fee_standard_problems
from shenpi.errors import InvalidInput

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def to_fen(value: Decimal) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TierPart:
    lower: Decimal
    upper: Decimal | None
    quantity: Decimal  # the part of the quantity falling within this tier
    price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class LineAmounts:
    quantity: Decimal
    standard_amount: Decimal
    waived_amount: Decimal
    amount: Decimal


def needs_quantity(fee: FeeStandard) -> bool:
    return fee.kind in (FeeStandard.Kind.PER_UNIT, FeeStandard.Kind.TIERED)


def tier_parts(tiers: list[dict], quantity: Decimal) -> list[TierPart]:
    """Each tier's share of `quantity` and its amount; tiers above the quantity are left out."""
    parts, lower = [], Decimal(0)
    for tier in tiers:
        upper = None if tier.get("up_to") is None else Decimal(str(tier["up_to"]))
        if quantity <= lower:
            break
        within = (quantity if upper is None else min(quantity, upper)) - lower
        price = Decimal(str(tier["price"]))
        parts.append(TierPart(lower, upper, within, price, to_fen(within * price)))
        if upper is None:
            break
        lower = upper
    return parts


def standard_amount(fee: FeeStandard, quantity: Decimal = Decimal(1)) -> Decimal:
    """What the standard asks for this quantity (a fixed fee ignores it: one piece)."""
    problems = fee_standard_problems(fee)
    if problems:
        raise InvalidInput(f"收费标准“{fee.name}”不完整：{'；'.join(problems.values())}")
    if fee.kind == FeeStandard.Kind.FIXED:
        return to_fen(fee.amount)
    if fee.kind == FeeStandard.Kind.PER_UNIT:
        return to_fen(quantity * fee.unit_price)
    return sum((part.amount for part in tier_parts(fee.tiers, quantity)), ZERO)


def parse_quantity(fee: FeeStandard, value) -> Decimal:
    """The quantity a line is charged for: 1 for a fixed fee, else a positive number of at most two
    decimals (the column's precision) in the standard's unit."""
    if not needs_quantity(fee):
        return Decimal(1)
    message = f"请填写“{fee.name}”的数量（{fee.unit}），大于0、至多两位小数。"
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput(message, {f"quantity_{fee.pk}": [message]}) from None
    if not quantity.is_finite() or quantity <= 0 or quantity != quantity.quantize(FEN) \
            or quantity >= Decimal("1e12"):
        raise InvalidInput(message, {f"quantity_{fee.pk}": [message]})
    return quantity.quantize(FEN)


def waived_amount(amount: Decimal, share: Decimal | None) -> Decimal:
    """The part of `amount` a waiver of this share takes off (1.00 all of it, 0.50 half)."""
    if not share:
        return ZERO
    return min(to_fen(amount * share), amount)


def line_amounts(fee: FeeStandard, quantity: Decimal, waiver=None) -> LineAmounts:
    standard = standard_amount(fee, quantity)
    waived = waived_amount(standard, waiver.share if waiver is not None else None)
    return LineAmounts(quantity, standard, waived, standard - waived)


def describe(fee: FeeStandard) -> str:
    """The standard in words for the bill and the case page: 每件80.00元, 每平方米2.00元, 分档."""
    if fee.kind == FeeStandard.Kind.FIXED:
        return f"每件{to_fen(fee.amount)}元" if fee.amount is not None else fee.standard
    if fee.kind == FeeStandard.Kind.PER_UNIT:
        return f"每{fee.unit}{fee.unit_price}元" if fee.unit_price is not None else fee.standard
    pieces = []
    lower = Decimal(0)
    for tier in fee.tiers or []:
        upper = tier.get("up_to")
        span = f"{lower}以上" if upper is None else f"{lower}–{upper}{fee.unit}"
        pieces.append(f"{span}每{fee.unit}{tier.get('price')}元")
        lower = Decimal(str(upper)) if upper is not None else lower
    return "；".join(pieces) or fee.standard
