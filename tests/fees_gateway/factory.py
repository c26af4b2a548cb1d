"""Charges for the gateway's tests, made directly as rows: the bill-making service is not what is tested."""

from __future__ import annotations

import itertools
from decimal import Decimal

from shenpi import clock
from shenpi.fees.models import Charge, ChargeLine
from tests import factories

_seq = itertools.count(1)


def setting():
    """A department with its staff (the clerk at a window) and an item."""
    dept = factories.department(name="自然资源和规划局")
    people = factories.staff(dept)
    item = factories.item(dept, name="不动产登记")
    return dept, people, item


def charge(case, *, lines=(("不动产登记费", "80.00"),), status=Charge.Status.UNPAID) -> Charge:
    amounts = [Decimal(amount) for _, amount in lines]
    total = sum(amounts, Decimal("0"))
    made = Charge.objects.create(case=case, department=case.department, version=case.version,
                                 number=f"37020{next(_seq):010d}", status=status, standard_total=total,
                                 total=total, created_at=clock.now(), pay_due=clock.today())
    for name, amount in zip((name for name, _ in lines), amounts, strict=True):
        ChargeLine.objects.create(charge=made, name=name, standard_amount=amount, amount=amount)
    return made


def case_with_charge(clerk, item, **kw):
    case = factories.receive(clerk, item, **kw)
    return case, charge(case)
