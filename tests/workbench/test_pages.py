"""Every page for every role: signed in, least privilege, Chinese, and no inline code under the CSP."""

import re

import pytest
from django.test import Client, override_settings

from shenpi.accounts.models import Role
from tests import factories as f

from .conftest import accepted

ROLES = ["clerk", "handler", "reviewer", "approver", "liaison", "supervisor", "admin"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)


def html(response) -> str:
    return response.content.decode()


def assert_csp_clean(response) -> None:
    body = html(response)
    assert not INLINE_SCRIPT.search(body), "inline <script> is blocked by the Content-Security-Policy"
    assert not INLINE_STYLE.search(body), "inline styles are blocked by the Content-Security-Policy"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "//cdn" not in body and "https://" not in body  # every asset is served locally


def test_pages_need_a_signed_in_staff_member(org):
    case = accepted(org)
    anonymous = Client()
    for url in ("/workbench/", "/workbench/accept/", f"/workbench/cases/{case.number}/", "/workbench/cases/"):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    roleless = f.user(org.dept)
    response = org.client_for(roleless).get("/workbench/")
    assert response.status_code == 403 and "尚未分配工作角色" in html(response)


def test_login_page_is_chinese_and_local(db):
    response = Client().get("/login/")
    assert response.status_code == 200
    body = html(response)
    assert "示范市政务服务中心" in body and "工作人员登录" in body
    assert "/static/vendor/htmx.min.js" in body and "/static/workbench/app.css" in body
    assert_csp_clean(response)


def test_a_person_signs_in_and_out(org):
    client = Client()
    response = client.post("/login/", {"username": org.people["handler"].username, "password": "Shenpi-test-2026"})
    assert response.status_code == 302 and response["Location"] == "/workbench/"
    assert "承办人" in html(client.get("/workbench/"))
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/workbench/").status_code == 302


@override_settings(AXES_LOCKOUT_CALLABLE="shenpi.workbench.views.locked_out")
def test_five_failed_logins_lock_the_account_with_a_chinese_message(org, settings):
    settings.LOGIN_CAPTCHA_AFTER = 10  # the lockout alone, without the picture code in between
    client = Client()
    username = org.people["clerk"].username
    for _ in range(5):
        response = client.post("/login/", {"username": username, "password": "wrong-password"})
    response = client.post("/login/", {"username": username, "password": "Shenpi-test-2026"})
    assert response.status_code == 429
    body = html(response)
    assert "暂时锁定" in body and "30分钟" in body
    assert "_auth_user_id" not in client.session
    # Locked for the address the failures came from, not for the clerk at their own desk.
    elsewhere = Client(REMOTE_ADDR="10.20.30.40")
    assert elsewhere.post("/login/", {"username": username, "password": "Shenpi-test-2026"}).status_code == 302


def test_a_guessed_staff_account_asks_for_the_picture_code_and_lets_its_owner_in(org, settings, monkeypatch):
    from shenpi.security import captcha

    monkeypatch.setattr(captcha, "ALPHABET", "A")
    username = org.people["clerk"].username
    for n in range(settings.LOGIN_CAPTCHA_AFTER):
        Client(REMOTE_ADDR=f"203.0.113.{n + 1}").post("/login/", {"username": username, "password": "guess"})
    owner = Client(REMOTE_ADDR="10.20.30.40")
    response = owner.post("/login/", {"username": username, "password": "Shenpi-test-2026"})
    body = html(response)
    assert response.status_code == 200 and "请输入图中的验证码" in body and 'name="captcha"' in body
    assert 'src="data:image/png;base64,' in body and "_auth_user_id" not in owner.session
    response = owner.post("/login/", {"username": username, "password": "Shenpi-test-2026", "captcha": "aaaaa"})
    assert response.status_code == 302 and response["Location"] == "/workbench/"


def test_spraying_staff_accounts_from_one_address_is_refused_for_the_hour(org, settings, monkeypatch):
    from shenpi.security import captcha

    monkeypatch.setattr(captcha, "ALPHABET", "A")
    settings.LOGIN_ADDRESS_CAPTCHA_AFTER, settings.LOGIN_ADDRESS_FAILURES = 2, 4
    sprayer = Client(REMOTE_ADDR="203.0.113.50")
    for name in ("a1", "a2", "a3", "a4"):
        sprayer.post("/login/", {"username": name, "password": "Spring2026!", "captcha": "aaaaa"})
    body = html(sprayer.post("/login/", {"username": org.people["clerk"].username,
                                         "password": "Shenpi-test-2026", "captcha": "aaaaa"}))
    assert "登录失败次数过多，请一小时后再试" in body and "_auth_user_id" not in sprayer.session


@pytest.mark.parametrize("role", ROLES)
def test_home_shows_who_is_working_and_their_buckets(org, role):
    accepted(org)
    person = org.people[role]
    response = org.client(role).get("/workbench/")
    assert response.status_code == 200
    body = html(response)
    assert "示范市政务服务中心" in body
    assert person.full_name in body and Role.NAMES[role] in body
    for label in ("待办", "已办", "即将到期", "已超期", "暂停"):
        assert label in body
    assert ("收件受理" in body) == (role == "clerk")
    assert_csp_clean(response)


@pytest.mark.clocks
def test_home_lists_the_chosen_bucket_with_links_to_the_cases(org):
    case = accepted(org)
    client = org.client("handler")
    body = html(client.get("/workbench/"))
    assert f'href="/workbench/cases/{case.number}/"' in body
    assert case.number not in html(client.get("/workbench/?bucket=done"))
    assert case.number not in html(org.client("reviewer").get("/workbench/"))


def test_long_lists_are_paginated(org):
    for _ in range(23):
        f.receive(org.people["clerk"], org.item)
    client = org.client("clerk")
    first = html(client.get("/workbench/"))
    assert "共 23 件" in first and "第 1 / 2 页" in first
    second = client.get("/workbench/?bucket=todo&page=2")
    assert second.status_code == 200 and "第 2 / 2 页" in html(second)
    assert html(second).count('class="case-link mono"') == 3


@pytest.mark.parametrize("role", ROLES)
def test_the_acceptance_screen_is_for_window_clerks_only(org, role):
    response = org.client(role).get("/workbench/accept/")
    if role == "clerk":
        assert response.status_code == 200
        assert_csp_clean(response)
    else:
        assert response.status_code == 403
        assert "窗口受理须由窗口人员办理" in html(response)


@pytest.mark.parametrize("role", ROLES)
def test_the_case_page_opens_for_the_department_and_the_centre(org, role):
    case = accepted(org)
    response = org.client(role).get(f"/workbench/cases/{case.number}/")
    assert response.status_code == 200
    assert case.number in html(response)
    assert_csp_clean(response)


@pytest.mark.parametrize("role", ["clerk", "handler", "reviewer", "approver", "liaison"])
def test_another_departments_staff_get_not_found(org, role):
    case = accepted(org)
    notice = case.notices.get()
    client = org.client_for(org.others[role])
    assert client.get(f"/workbench/cases/{case.number}/").status_code == 404
    assert client.get(f"/workbench/cases/{case.number}/notices/{notice.pk}.pdf").status_code == 404
    response = client.post(f"/workbench/cases/{case.number}/act/", {
        "action": "pass", "row_version": case.row_version, "pass-opinion": "同意"})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.steps.get(status="active").name == "审查"
    # Nor does the case show up in their search.
    assert case.number not in html(client.get(f"/workbench/cases/?q={case.applicant_name}"))


def test_case_search_finds_visible_cases_and_jumps_to_an_exact_number(org):
    case = accepted(org)
    client = org.client("handler")
    response = client.get(f"/workbench/cases/?q={case.number}")
    assert response.status_code == 302 and response["Location"] == f"/workbench/cases/{case.number}/"
    assert case.number in html(client.get("/workbench/cases/?q=张三"))
    assert case.number not in html(client.get("/workbench/cases/?q=李四"))
