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
    settings.LOGIN_CAPTCHA_AFTER = 10  # the lockout alone, without the picture code in between
    verified(id_number=person_id())
    client = Client()
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(5):
        response = _login(client, person_id(), "Wrong-password-1")
    assert response.status_code == 429
    body = response.content.decode()
    assert "该账号从您所在的网络连续5次登录失败，已在此网络暂时锁定。请30分钟后再试" in body
    assert "<title>" in body and "申请人登录" in body  # the public site's page, not the staff login
    response = _login(Client(), person_id())
    assert response.status_code == 429 and "暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # The owner elsewhere is not locked out by whoever guessed from this address.
    assert _login(Client(REMOTE_ADDR="198.51.100.7"), person_id())["Location"] == "/account/"
    # Another applicant is not affected.
    verified(id_number=person_id("11010519851111222"), mobile="13800001111")
    assert _login(Client(), person_id("11010519851111222"))["Location"] == "/account/"


def test_a_password_reset_by_sms_unlocks_the_account(settings):
    settings.LOGIN_CAPTCHA_AFTER = 10
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


# -- throttling in front of the password (shenpi.security.throttle) ----------------------------------

@pytest.fixture
def readable_captcha(monkeypatch):
    """Every picture code reads AAAAA: the test types what a person would read off the picture."""
    from shenpi.security import captcha

    monkeypatch.setattr(captcha, "ALPHABET", "A")
    return "aaaaa"


def test_an_account_guessed_from_elsewhere_asks_its_owner_for_the_picture_code(settings, readable_captcha, caplog):
    verified(id_number=person_id())
    for n in range(settings.LOGIN_CAPTCHA_AFTER):
        _login(Client(REMOTE_ADDR=f"203.0.113.{n + 1}"), person_id(), "Wrong-password-1")
    owner = Client(REMOTE_ADDR="198.51.100.7")
    response = _login(owner, person_id())
    body = response.content.decode()
    assert response.status_code == 400 and "请输入图中的验证码" in body
    assert 'src="data:image/png;base64,' in body and "_auth_user_id" not in owner.session
    with caplog.at_level("INFO", logger="shenpi.security"):
        response = _login(owner, person_id(), captcha="WRONG")
    assert response.status_code == 400 and "验证码不正确" in response.content.decode()
    assert any("login.captcha_failed" in record.getMessage() for record in caplog.records)
    response = _login(owner, person_id(), captcha=readable_captcha)
    assert response["Location"] == "/account/"


def test_spraying_many_accounts_from_one_address_meets_the_picture_code_then_a_wait(settings, readable_captcha,
                                                                                   caplog):
    settings.LOGIN_ADDRESS_CAPTCHA_AFTER, settings.LOGIN_ADDRESS_FAILURES = 3, 5
    verified(id_number=person_id())
    sprayer = Client(REMOTE_ADDR="203.0.113.50")
    for n in range(3):
        assert _login(sprayer, person_id(f"1101051985010{n:04d}"), "Spring2026!").status_code == 400
    assert "请输入图中的验证码" in _login(sprayer, person_id("11010519850109999"), "Spring2026!").content.decode()
    for n in range(2):  # with the picture solved the tries go on, and count
        response = _login(sprayer, person_id(f"1101051985020{n:04d}"), "Spring2026!", captcha=readable_captcha)
        assert "证件号码或密码不正确" in response.content.decode()
    with caplog.at_level("INFO", logger="shenpi.security"):
        response = _login(sprayer, person_id(), captcha=readable_captcha)  # even the right password
    assert response.status_code == 429 and "登录失败次数过多，请一小时后再试" in response.content.decode()
    assert any("login.throttled" in record.getMessage() for record in caplog.records)
    # Other addresses sign in as usual.
    assert _login(Client(REMOTE_ADDR="198.51.100.7"), person_id())["Location"] == "/account/"


def test_behind_the_proxy_each_visitor_is_counted_on_their_own_address(settings):
    settings.LOGIN_CAPTCHA_AFTER = 10
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    verified(id_number=person_id())
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = _login(Client(HTTP_X_FORWARDED_FOR="203.0.113.9"), person_id(), "Wrong-password-1")
    assert response.status_code == 429
    # A spoofed header further left does not get the guesser out of the lockout …
    guesser = Client(HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9")
    assert _login(guesser, person_id()).status_code == 429
    # … and the owner behind the same proxy is not locked out.
    assert _login(Client(HTTP_X_FORWARDED_FOR="198.51.100.7"), person_id())["Location"] == "/account/"
