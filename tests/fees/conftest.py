from decimal import Decimal

import pytest

from shenpi.cases import services as case_services
from shenpi.catalog.models import FeeStandard
from shenpi.fees import bills
from shenpi.fees.models import BillStock, WaiverReason
from tests import factories as f


class Office:
    def __init__(self, *fees):
        self.dept = f.department()
        self.people = f.staff(self.dept)
        self.item = f.item(self.dept, procedures=())
        self.version = self.item.current_version()
        self.version.free_of_charge = False
        self.version.fee_basis = "收费文件"
        self.version.save()
        self.fees = [FeeStandard.objects.create(version=self.version, basis="收费文件", standard="标准", **kw)
                     for kw in fees]
        self.clerk = self.people["clerk"]
        self.window = self.clerk.window

    def decided(self):
        p = self.people
        case = case_services.perform(f.receive(p["clerk"], self.item), "accept", actor=p["clerk"])
        for role in ("handler", "reviewer", "approver"):
            case = case_services.perform(case, "pass", actor=p[role])
        return case_services.perform(case, "grant", actor=p["approver"])

    def stock(self, first=1, last=10, series="NT2026"):
        return bills.issue_stock(department=self.dept, series=series, first=first, last=last,
                                 window=self.window, holder=self.clerk, actor=self.people["admin"])

    def e_stock(self, first=1, last=10, series="EL2026"):
        return bills.issue_stock(department=self.dept, series=series, first=first, last=last,
                                 kind=BillStock.Kind.ELECTRONIC, actor=self.people["admin"])


FIXED = {"name": "工本费", "kind": "fixed", "amount": Decimal("80.00")}
PER_UNIT = {"name": "占用费", "kind": "per_unit", "unit": "平方米", "unit_price": Decimal("2.35")}
TIERED = {"name": "审查费", "kind": "tiered", "unit": "平方米",
          "tiers": [{"up_to": "100", "price": "1.50"}, {"up_to": "500", "price": "1.00"},
                    {"up_to": None, "price": "0.50"}]}


@pytest.fixture
def fixed_office(db):
    return Office(FIXED)


@pytest.fixture
def mixed_office(db):
    return Office(FIXED, PER_UNIT, TIERED)


@pytest.fixture
def half(db):
    return WaiverReason.objects.create(name="低保家庭减半", basis="《收费减免规定》第三条", share=Decimal("0.50"))


@pytest.fixture
def full(db):
    return WaiverReason.objects.create(name="残疾人免收", basis="《残疾人保障法》", share=Decimal("1.00"))
