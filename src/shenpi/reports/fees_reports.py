"""收费统计: charges, payments, waivers and refunds by department, item and period, and the takings
by payment channel.

收费统计 reads the fees family of aggregates (shenpi.figures.family_fees); 收费方式 reads the day totals
the fees app keeps in each payment's transaction (fees.FeeDayTotal), not a second copy of them.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import F, Q, Sum

from shenpi.cases.models import Case
from shenpi.fees.models import Charge, FeeDayTotal, Payment
from shenpi.figures import family_fees as ff
from shenpi.figures.daytables import PERIODS, plain

from .registry import Ask, Column, Report, register
from .row_keys import key_order, keys_q, period_of, scope_q

COLUMNS = (
    Column("charges", "开单数", definition="开单时间（北京时间）在统计期内、未撤销的收费单"),
    Column("standard", "标准金额(元)", "money", "上述收费单按收费标准计算的金额（减免前）"),
    Column("waived", "减免金额(元)", "money", "上述收费单的减免金额"),
    Column("waived_charges", "有减免的收费单", definition="上述收费单中有减免的"),
    Column("charged", "应缴金额(元)", "money", "上述收费单的应缴金额（标准金额减减免）"),
    Column("cancelled", "撤销收费单", definition="开单时间在统计期内、已撤销（作废重开）的收费单"),
    Column("payments", "缴费笔数", definition="缴费时间（北京时间）在统计期内的缴费记录"),
    Column("paid", "实缴金额(元)", "money", "上述缴费记录的金额"),
    Column("refunds", "退费笔数", definition="退款时间在统计期内、已退款的退费"),
    Column("refunded", "退费金额(元)", "money", "上述退费的金额"),
    Column("net", "净收费(元)", "money", "实缴金额减退费金额", drill=False),
)
DAY_FIELDS = {"department": "department_id", "item": "item_id"}
CHARGE_FIELDS = {"department": "department_id", "item": "version__item_id"}
LINKED_FIELDS = {"department": "charge__department_id", "item": "charge__version__item_id"}


def rows(ask: Ask) -> list[dict]:
    found = ff.FEE_TABLE.sums(ask.first, ask.last, by=ask.by, where=scope_q(ask, DAY_FIELDS))
    for row in found:
        row["net"] = row["paid"] - row["refunded"]
    return found


def _sources(ask: Ask, key: dict, column: str):
    first, last = period_of(ask, key)
    standing = ~Q(status=Charge.Status.CANCELLED)
    charge_filters = {"charges": standing, "standard": standing, "waived": standing & Q(waived_total__gt=0),
                      "waived_charges": standing & Q(waived_total__gt=0), "charged": standing,
                      "cancelled": Q(status=Charge.Status.CANCELLED)}
    if column in charge_filters:
        return ff.charges_on(first, last).filter(charge_filters[column], scope_q(ask, CHARGE_FIELDS),
                                                 keys_q(key, CHARGE_FIELDS))
    if column in ("payments", "paid"):
        return ff.payments_on(first, last).filter(scope_q(ask, LINKED_FIELDS), keys_q(key, LINKED_FIELDS))
    if column in ("refunds", "refunded"):
        return ff.refunds_on(first, last).filter(scope_q(ask, LINKED_FIELDS), keys_q(key, LINKED_FIELDS))
    return None


def charged_cases(ask: Ask, key: dict, column: str):
    """The cases behind a cell: of the charges made, the payments received or the refunds paid."""
    sources = _sources(ask, key, column)
    if sources is None:
        return None
    case = "case_id" if sources.model is Charge else "charge__case_id"
    return Case.objects.filter(pk__in=sources.values(case)).order_by("pk")


FEES = register(Report(
    code="fees", title="收费统计", group="收费",
    definition=("按执收部门和事项统计：开单按开单时间、缴费按缴费时间、退费按退款时间（北京时间）计入统计期。"
                "撤销的收费单不计入开单和金额，单列撤销数。下钻列出收费单、缴费记录或退费所属的办件。"),
    columns=COLUMNS, rows=rows, groupings=("department", "item", "month", "year", "day"), cases=charged_cases,
    chart="bar", filters=("period", "department", "item", "district"), reads=(ff.FEES,),
))


# -- 收费方式: the fees app's own day totals, by payment channel -----------------------------------------

CHANNELS = [code for code, _ in Payment.Channel.choices]
CHANNEL_COLUMNS = (
    Column("amount", "实缴金额(元)", "money", "缴费时间（北京时间）在统计期内的缴费金额（各收费明细之和）"),
    *(Column(code, f"{label}(元)", "money", f"其中缴费方式为{label}的") for code, label in Payment.Channel.choices),
    Column("lines", "收费明细笔数", definition="上述缴费所含的收费明细条数"),
)
# The fees app's day totals group like a day table: by department and the periods of its days.
_TOTAL_GROUPS = {"department": "department_id", **{name: day for name, (day, _month) in PERIODS.items()}}


def channel_rows(ask: Ask) -> list[dict]:
    groups = _TOTAL_GROUPS
    totals = FeeDayTotal.objects.filter(day__gte=ask.first, day__lte=ask.last)
    if ask.scope.departments:
        totals = totals.filter(department_id__in=ask.scope.departments)
    columns = {f"g_{g}": groups[g] for g in ask.by}
    grouped_rows = (totals.order_by()
                    .values("channel", **{k: F(v) if isinstance(v, str) else v for k, v in columns.items()})
                    .annotate(amount=Sum("amount"), lines=Sum("count")))
    table: dict[tuple, dict] = defaultdict(lambda: {"amount": Decimal("0.00"), "lines": 0,
                                                    **{c: Decimal("0.00") for c in CHANNELS}})
    for row in grouped_rows:
        key = tuple(plain(row[f"g_{g}"]) for g in ask.by)
        entry = table[key]
        entry["amount"] += row["amount"]
        entry["lines"] += row["lines"]
        entry[row["channel"]] += row["amount"]
    ordered = sorted(table, key=key_order)
    return [{**dict(zip(ask.by, key, strict=True)), **table[key]} for key in ordered]


def channel_cases(ask: Ask, key: dict, column: str):
    first, last = period_of(ask, key)
    payments = ff.payments_on(first, last).filter(scope_q(ask, LINKED_FIELDS), keys_q(key, LINKED_FIELDS))
    if column in CHANNELS:
        payments = payments.filter(channel=column)
    return Case.objects.filter(pk__in=payments.values("charge__case_id")).order_by("pk")


FEE_CHANNELS = register(Report(
    code="fee_channels", title="收费方式统计", group="收费",
    definition=("按执收部门统计缴费时间（北京时间）在统计期内的实缴金额及其缴费方式（现金、刷卡、转账、网上支付），"
                "读取收费模块随每笔缴费同步记账的收费日汇总（与月汇总同一来源）；退费不扣减。"),
    columns=CHANNEL_COLUMNS, rows=channel_rows, groupings=("department", "month", "year", "day"),
    cases=channel_cases, chart="bar", filters=("period", "department", "district"), reads=("fees.FeeDayTotal",),
))
