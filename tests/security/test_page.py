"""The audit administrator's search page and Excel export; 三权分立: nobody else reads the log, and no one
holds two of the system, security and audit administrators' roles."""

import datetime as dt
import io

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.utils import timezone
from openpyxl import load_workbook

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.security import separation
from shenpi.security.audit import record
from shenpi.security.models import SecurityEvent
from tests import factories as f
from tests.factories import login_staff

pytestmark = pytest.mark.django_db
PAGE = "/audit/security/"


def client_for(user) -> Client:
    client = Client(REMOTE_ADDR="10.9.9.9")
    login_staff(client, user)
    return client


@pytest.fixture
def auditor():
    return f.user(None, Role.AUDIT_ADMIN, username="shenji")


def _shanghai(y, m, d, hh, mm=0):
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


@pytest.fixture
def logged():
    """Events on three Asia/Shanghai days; 2026-03-02 00:30 there is still 03-01 in UTC."""
    wang = f.user(None, Role.CLERK, username="wang")
    moments = [(_shanghai(2026, 3, 1, 9), "login.succeeded", wang, "success", "10.20.0.9", "account:wang"),
               (_shanghai(2026, 3, 2, 0, 30), "login.failed", None, "failure", "10.20.0.10", "account:li"),
               (_shanghai(2026, 3, 2, 15), "personal_data.viewed", wang, "success", "192.168.1.5", "case:SP1"),
               (_shanghai(2026, 3, 3, 10), "permission.denied", wang, "denied", "10.20.0.9", "/admin/")]
    for at, action, user, outcome, address, target in moments:
        with clock.frozen(at):
            request = Client().get("/").wsgi_request
            request.META["REMOTE_ADDR"] = address
            record(action, request=request, user=user, target=target, outcome=outcome)
    return wang


def shown(response) -> list[str]:
    """The event codes of the rows shown, in order."""
    import re

    return re.findall(r'<td title="([a-z_.]+)">', response.content.decode())


def test_the_audit_administrator_searches_by_day_user_action_outcome_address_and_target(auditor, logged):
    client = client_for(auditor)  # signing in is the newest event
    assert shown(client.get(PAGE)) == ["login.succeeded", "permission.denied", "personal_data.viewed",
                                       "login.failed", "login.succeeded"]
    assert shown(client.get(PAGE, {"start": "2026-03-02", "end": "2026-03-02"})) == [
        "personal_data.viewed", "login.failed"]
    assert shown(client.get(PAGE, {"user": "wang"})) == ["permission.denied", "personal_data.viewed",
                                                         "login.succeeded"]
    assert shown(client.get(PAGE, {"user": "li"})) == ["login.failed"]  # the name tried at a failed login
    assert shown(client.get(PAGE, {"action": "login", "end": "2026-03-31"})) == ["login.failed", "login.succeeded"]
    assert shown(client.get(PAGE, {"outcome": "denied"})) == ["permission.denied"]
    assert shown(client.get(PAGE, {"address": "10.20."})) == ["permission.denied", "login.failed", "login.succeeded"]
    assert shown(client.get(PAGE, {"target": "SP1"})) == ["personal_data.viewed"]
    wrong = client.get(PAGE, {"start": "2026-03-05", "end": "2026-03-01"})
    assert wrong.status_code == 400 and "截止日期不能早于起始日期。" in wrong.content.decode()
    # Each search is itself recorded, with its filters.
    searched = SecurityEvent.objects.filter(action="audit.viewed").order_by("id")
    assert searched.count() == 8 and searched.last().detail["filters"] == {"target": "SP1"}
    assert searched.last().username == "shenji" and searched.last().address == "10.9.9.9"


def test_the_pages_are_paginated(auditor):
    for n in range(55):
        record("login.failed", target=f"account:x{n}", outcome="failure")
    client = client_for(auditor)
    first, second = client.get(PAGE, {"action": "login.failed"}), client.get(PAGE, {"action": "login.failed",
                                                                                   "page": 2})
    assert len(shown(first)) == 50 and len(shown(second)) == 5
    assert "第 2 / 2 页" in second.content.decode()


@pytest.mark.parametrize("roles, superuser", [
    ((), True), ((Role.ADMIN,), False), ((Role.SUPERVISOR,), False), ((Role.SECURITY_ADMIN,), False),
    ((Role.CLERK,), False), ((Role.AUDIT_ADMIN, Role.ADMIN), False), ((Role.AUDIT_ADMIN, Role.SUPERVISOR), False),
    ((Role.AUDIT_ADMIN, Role.SECURITY_ADMIN), False), ((Role.AUDIT_ADMIN,), True),
])
def test_everyone_else_is_refused_and_the_refusal_is_recorded(roles, superuser):
    person = f.user(None, *roles, username="someone", is_superuser=superuser)
    client = client_for(person)
    for url in (PAGE, PAGE + "export.xlsx"):
        response = client.get(url)
        assert response.status_code == 403 and "三权分立" in response.content.decode() or \
            "只对审计管理员开放" in response.content.decode()
    denied = SecurityEvent.objects.filter(action="permission.denied", username="someone")
    assert sorted(denied.values_list("target", flat=True)) == [PAGE, PAGE + "export.xlsx"]
    assert not SecurityEvent.objects.filter(action__in=["audit.viewed", "export.security_log"]).exists()


def test_an_anonymous_visitor_is_sent_to_the_login():
    response = Client().get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_navigation_shows_the_log_to_the_audit_administrator_only(auditor):
    assert "安全审计记录" in client_for(auditor).get("/workbench/").content.decode()
    admin = f.user(None, Role.ADMIN, is_superuser=True)
    assert "/audit/security/" not in client_for(admin).get("/workbench/").content.decode()


def test_the_export_has_a_title_the_filters_readable_widths_and_is_recorded(auditor, logged):
    response = client_for(auditor).get(PAGE + "export.xlsx", {"user": "wang", "outcome": "success"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "安全审计记录"
    conditions = sheet["A2"].value
    assert "用户：wang" in conditions and "结果：成功" in conditions and "共 2 条" in conditions
    assert [c.value for c in sheet[3]] == ["序号", "时间", "事件", "事件代码", "结果", "用户", "地址", "对象", "详情",
                                         "浏览器"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert [(r[1], r[2], r[3], r[5], r[6], r[7]) for r in rows] == [
        ("2026-03-02 15:00:00", "查看未脱敏个人信息", "personal_data.viewed", "wang", "192.168.1.5", "case:SP1"),
        ("2026-03-01 09:00:00", "登录成功", "login.succeeded", "wang", "10.20.0.9", "account:wang")]
    assert sheet.column_dimensions["B"].width >= 19 and sheet.column_dimensions["C"].width >= 18
    exported = SecurityEvent.objects.get(action="export.security_log")
    assert exported.username == "shenji"
    assert exported.detail == {"rows": 2, "filters": {"user": "wang", "outcome": "success"}}


# -- 三权分立 in the admin's user form -----------------------------------------------------------------

def _roles(*codes):
    return [Role.objects.get(pk=code).pk for code in codes]


def _admin_form(obj=None):
    """The user form the admin builds for a superuser (the model is the platform's User)."""
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    return admin.site._registry[User].get_form(request, obj=obj)


@pytest.mark.parametrize("codes", [(Role.ADMIN, Role.AUDIT_ADMIN), (Role.ADMIN, Role.SECURITY_ADMIN),
                                   (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)])
def test_the_admin_form_refuses_two_of_the_three_powers_to_one_person(codes):
    form = _admin_form()(data={"username": "two-hats", "password1": "Zxcv-2026-long", "password2":
                                   "Zxcv-2026-long", "roles": _roles(*codes), "on_duty": True})
    assert not form.is_valid()
    assert "三权分立" in form.errors["roles"][0]


def test_the_admin_form_refuses_a_superuser_audit_administrator_and_accepts_one_power():
    person = f.user(None, Role.CLERK, username="p1")
    base = {"username": "p1", "full_name": "某人", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
            "is_active": True,
            "on_duty": True}
    form = _admin_form(person)
    refused = form(data={**base, "is_superuser": True, "roles": _roles(Role.AUDIT_ADMIN)},
                   instance=person)
    assert not refused.is_valid() and "超级用户" in refused.errors["roles"][0]
    allowed = form(data={**base, "roles": _roles(Role.AUDIT_ADMIN, Role.CLERK)}, instance=person)
    assert allowed.is_valid(), allowed.errors


def test_the_rule_itself():
    assert separation.conflict(["admin", "clerk"]) is None
    assert separation.conflict(["audit_admin"], is_superuser=True)
    assert separation.conflict(["admin"], is_superuser=True) is None
    assert "安全管理员和审计管理员" in separation.conflict(["security_admin", "audit_admin"])


def test_the_admin_page_refuses_the_combination(django_capture_on_commit_callbacks):
    boss = get_user_model().objects.create_superuser("boss", "b@example.org", "x" * 16)
    response = client_for(boss).post("/admin/accounts/user/add/", {
        "username": "twohats", "full_name": "甲", "password1": "Zxcv-2026-long", "password2": "Zxcv-2026-long",
        "roles": _roles(Role.ADMIN, Role.AUDIT_ADMIN), "on_duty": "on"})
    assert response.status_code == 200 and "三权分立" in response.content.decode()
    assert not get_user_model().objects.filter(username="twohats").exists()
