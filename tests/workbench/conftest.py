"""An organisation to work in: two departments with their staff, a comprehensive window, items."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from shenpi.accounts.models import Role, User
from shenpi.cases import services
from shenpi.catalog.models import Department, Item
from tests import factories as f


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


@dataclass
class Org:
    dept: Department
    people: dict[str, User]
    item: Item
    other: Department
    others: dict[str, User]
    other_item: Item
    window_dept: Department
    window_clerk: User

    def client(self, role: str, **kw) -> Client:
        client = Client(**kw)
        f.login_staff(client, self.people[role])
        return client

    def client_for(self, user: User, **kw) -> Client:
        client = Client(**kw)
        f.login_staff(client, user)
        return client


@pytest.fixture
def org(db) -> Org:
    dept = f.department("住房和城乡建设局")
    other = f.department("市场监督管理局")
    window_dept = f.department("政务服务中心综合受理", comprehensive=True)
    return Org(
        dept=dept, people=f.staff(dept), item=f.item(dept),
        other=other, others=f.staff(other), other_item=f.item(other, name="食品经营许可"),
        window_dept=window_dept, window_clerk=f.user(window_dept, Role.CLERK, full_name="综合窗口"),
    )


def accepted(org: Org, *, item: Item | None = None, clerk: User | None = None, **kw):
    """A case received with every material and accepted at the window."""
    clerk = clerk or org.people["clerk"]
    case = f.receive(clerk, item or org.item, **kw)
    return services.perform(case, "accept", actor=clerk)


def passed(case, people: dict[str, User], *roles: str):
    for role in roles:
        case = services.perform(case, "pass", actor=people[role], params={"opinion": "同意"})
    return case


def decided(org: Org, **kw):
    case = passed(accepted(org, **kw), org.people, "handler", "reviewer", "approver")
    return services.perform(case, "grant", actor=org.people["approver"])


def missing_one(item: Item) -> dict[int, dict]:
    """Every material but the first required one."""
    specs = list(item.current_version().materials.all())
    return {s.pk: {"received": True} for s in specs[1:]}
