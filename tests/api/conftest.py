"""Fixtures for the API tests: a department with its staff and an item, and logged-in clients."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.api import statements
from shenpi.cases import services
from shenpi.catalog.models import Department, FlowStep
from tests import factories as f

CASES = "/api/v1/cases/"


def at(y, m, d, hh=10, mm=0):
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def session_client(user, *, csrf: bool = False) -> APIClient:
    """A logged-in browser session; with csrf=True the CSRF check is enforced as in production."""
    client = APIClient(enforce_csrf_checks=csrf)
    f.login_staff(client, user)
    return client


def token_client(user, **scope) -> APIClient:
    """A client calling with a new token of this user (f.api_token: own department, acting, unless
    the scope says otherwise; every department there is for someone without one, a supervisor)."""
    if "departments" not in scope and not user.department_id:
        scope["departments"] = list(Department.objects.all())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {f.api_token(user, **scope)}")
    return client


def application(item, *, decision: str | None = None, received: bool = True, **extra) -> dict:
    """A request body for POST /cases/ with every material of the item received (or none)."""
    body = {
        "item": item.code,
        "channel": "window",
        "title": "示范大厦项目",
        "applicant": {"kind": "person", "name": "张三", "id_number": f.PERSON_ID, "contact_name": "张三",
                      "phone": "13812341234"},
        "materials": [{"spec": m.pk, "received": received} for m in item.current_version().materials.all()],
    }
    if decision:
        body["decision"] = decision
    body.update(extra)
    return body


def case_url(number: str, suffix: str = "") -> str:
    return f"{CASES}{number}/{suffix}"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Argon2 costs most of a second per test user; these tests are about the API, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_statements():
    # Kept page statements are keyed by the caller's id, which SQLite hands out again after a
    # rollback; each test starts with none, so each compiles its own (and sees patched functions).
    statements.clear()


@pytest.fixture
def org(db):
    """住建局 with one person per role, a three-step item and the centre's admin and supervisor."""
    clock.set_now(at(2026, 9, 24))
    dept = f.department("住房和城乡建设局", code="ZJJ")
    people = f.staff(dept)
    return SimpleNamespace(dept=dept, people=people, item=f.item(dept))


@pytest.fixture
def other(db):
    """Another department (市场监管局) with its own staff and item."""
    dept = f.department("市场监督管理局", code="SCJG")
    people = f.staff(dept)
    return SimpleNamespace(dept=dept, people=people, item=f.item(dept, name="食品经营许可"))


@pytest.fixture
def centre_clerk(db, org):
    """A clerk of the comprehensive window (综合受理), who may receive for every department."""
    dept = f.department("政务服务中心综合受理窗口", code="ZHSL", comprehensive=True)
    return f.user(dept, Role.CLERK, full_name="综合窗口")


@pytest.fixture
def mixed_cases(org, other):
    """Cases of two departments in several states, one with a part worked by the other department;
    names with LIKE wildcards and a common surname, for the search filter."""
    clerk, it = org.people["clerk"], org.item
    clock.set_now(at(2026, 9, 1))
    late = services.perform(f.receive(clerk, it, name="王%_五", title="九月一日受理"), "accept", actor=clerk)
    clock.set_now(at(2026, 9, 24))
    joint = f.item(org.dept, name="建设工程竣工验收备案")
    FlowStep.objects.create(version=joint.current_version(), seq=1, name="消防验收", role_id=Role.HANDLER,
                            department=other.dept)
    shared = services.perform(f.receive(clerk, joint, name="赵六"), "accept", actor=clerk)
    waiting = f.receive(clerk, it, name="李四", phone="13900001111")
    running = services.perform(f.receive(clerk, it), "accept", actor=clerk)
    foreign = services.perform(f.receive(other.people["clerk"], other.item, name="王五"), "accept",
                               actor=other.people["clerk"])
    return {"late": late, "shared": shared, "waiting": waiting, "running": running, "foreign": foreign}


@pytest.fixture
def clerk(org):
    return session_client(org.people["clerk"])


def open_case(client, item, decision="accept", **extra) -> dict:
    response = client.post(CASES, application(item, decision=decision, **extra), format="json")
    assert response.status_code == 201, response.json()
    return response.json()
