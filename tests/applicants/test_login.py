"""Signing in as an applicant: by identifier and password, locked after repeated failures (django-axes),
unlocked by a password reset; and an applicant is refused everywhere staff work."""

import datetime as dt

import pytest
from django.test import Client

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.applicants import services
from tests import factories as f

from .helpers import PASSWORD, client_for, last_code, person_id, register, uscc, verified

pytestmark = pytest.mark.django_db


def _login(client, identifier, password=PASSWORD, **extra):
    return client.post("/account/login/", {"identifier": identifier, "password": password, **extra})


def test_an_applicant_signs_in_with_the_identifier_and_out_again():
    applicant = verified(id_number=person_id())
    client = Client()
    response = _login(client, person_id().lower())
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert int(client.session["_auth_user_id"]) == applicant.user_id
    assert client.get("/account/").status_code == 200
    response = client.post("/account/logout/")
    assert response.status_code == 302 and "_auth_user_id" not in client.session
    assert client.get("/account/")["Location"].startswith("/account/login/?next=/account/")


def test_an_organisation_signs_in_with_its_credit_code():
    verified(kind="organisation", id_number=uscc())
    assert _login(Client(), uscc())["Location"] == "/account/"


def test_a_wrong_password_and_an_unknown_identifier_get_the_same_answer():
    verified(id_number=person_id())
    wrong = _login(Client(), person_id(), "Wrong-password-1")
    unknown = _login(Client(), person_id("11010519851111222"))
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert "证件号码或密码不正确。" in response.content.decode()


def test_next_leads_back_but_never_off_site():
    verified(id_number=person_id())
    assert _login(Client(), person_id(), next="/apply/")["Location"] == "/apply/"
    assert _login(Client(), person_id(), next="https://evil.example/")["Location"] == "/account/"


def test_five_failures_lock_the_account_even_for_the_right_password(settings):
    verified(id_number=person_id())
    client = Client()
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(5):
        response = _login(client, person_id(), "Wrong-password-1")
    assert response.status_code == 429
    body = response.content.decode()
    assert "该账号连续5次登录失败，已被暂时锁定。请30分钟后再试" in body
    assert "<title>" in body and "申请人登录" in body  # the public site's page, not the staff login
    response = _login(Client(), person_id())
    assert response.status_code == 429 and "已被暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another applicant is not affected.
    verified(id_number=person_id("11010519851111222"), mobile="13800001111")
    assert _login(Client(), person_id("11010519851111222"))["Location"] == "/account/"


def test_a_password_reset_by_sms_unlocks_the_account(settings):
    verified(id_number=person_id())
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), person_id(), "Wrong-password-1")
    assert _login(Client(), person_id()).status_code == 429
    clock.set_now(clock.now() + dt.timedelta(minutes=2))  # past the resend limit of the registration code
    client = Client()
    response = client.post("/account/password/", {"identifier": person_id(), "mobile": "13912345678"})
    assert response.status_code == 302 and response["Location"] == "/account/password/confirm/"
    response = client.post("/account/password/confirm/", {"code": last_code(), "password": "Xin-mima-2026-ok",
                                                          "password2": "Xin-mima-2026-ok"})
    assert response.status_code == 302 and response["Location"] == "/account/login/"
    assert _login(Client(), person_id(), "Xin-mima-2026-ok")["Location"] == "/account/"


def test_a_reset_for_a_mismatched_mobile_says_the_same_and_sends_nothing():
    verified(id_number=person_id())
    client = Client()
    response = client.post("/account/password/", {"identifier": person_id(), "mobile": "13800000000"}, follow=True)
    assert "如证件号码与手机号码相符，验证码已发送至该手机" in response.content.decode()
    response = client.post("/account/password/confirm/", {"code": "123456", "password": "Xin-mima-2026-ok",
                                                          "password2": "Xin-mima-2026-ok"})
    assert response.status_code == 400 and "验证码不正确" in response.content.decode()
    assert services.find_applicant(person_id()).user.check_password(PASSWORD)


def test_an_unverified_account_is_sent_to_verify_its_mobile():
    register(id_number=person_id())
    client = Client()
    response = _login(client, person_id())
    assert response.status_code == 302 and response["Location"] == "/account/verify/"
    assert "_auth_user_id" not in client.session
    assert client.get("/account/")["Location"].startswith("/account/login/")


def test_staff_cannot_sign_in_as_applicants_nor_use_applicant_pages():
    dept = f.department()
    clerk = f.user(dept, Role.CLERK, username="clerk1")
    assert _login(Client(), "clerk1", "Shenpi-test-2026").status_code == 400
    client = Client()
    client.force_login(clerk)
    assert client.get("/account/")["Location"].startswith("/account/login/")


@pytest.mark.parametrize("url", ["/workbench/", "/workbench/accept/", "/workbench/cases/", "/workbench/prereview/",
                                 "/supervision/", "/supervision/alerts/", "/supervision/orders/", "/performance/"])
def test_an_applicant_is_refused_on_staff_pages(url):
    client = client_for(verified())
    response = client.get(url)
    assert response.status_code == 403
    assert "尚未分配工作角色" in response.content.decode()


def test_an_applicant_is_refused_by_the_admin_and_sees_no_case_in_the_api():
    dept = f.department()
    people = f.staff(dept)
    case = f.receive(people["clerk"], f.item(dept))
    client = client_for(verified())
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    # The API is for staff and department systems: an applicant's session is refused outright.
    response = client.get("/api/v1/cases/")
    assert response.status_code == 403 and case.number not in response.content.decode()
    response = client.get(f"/api/v1/cases/{case.number}/")
    assert response.status_code == 403
