"""Two factors for staff: the password, then a code of the authenticator app, a UKey signature or a
recovery code; forced enrolment of administrators and supervisors; the security administrator's reset."""

from __future__ import annotations

import re
import time

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shenpi.accounts import ukey
from shenpi.accounts.models import CertificateDevice, Role
from shenpi.security import audit
from tests import factories as f
from tests.applicants.helpers import client_for, verified

PASSWORD = "Shenpi-test-2026"
pytestmark = pytest.mark.django_db


@pytest.fixture
def audited(monkeypatch):
    """The security events recorded, as (action, outcome, detail)."""
    events = []

    def record(action, *, request=None, user=None, target="", outcome="success", **detail):
        events.append((action, outcome, {"target": target, **detail}))

    monkeypatch.setattr(audit, "record", record)
    return events


@pytest.fixture
def people():
    return f.staff(f.department())


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    """django-otp makes a device wait 1, 2, 4 … s after each wrong code; tests that do not test it skip it."""
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0
    settings.OTP_CERTIFICATE_THROTTLE_FACTOR = 0


def code_of(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """What the authenticator app shows now (or a later step's code): RFC 6238 from the device's key."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def sign_in(client: Client, user, next_url: str = ""):
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/login/", data)


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="手机验证器", confirmed=True)


def enrol(client: Client) -> tuple[TOTPDevice, list[str]]:
    """Go through 二次验证设置 as a staff member does: the QR page, then the code; returns the recovery codes."""
    page = client.get("/login/enrol/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(pk=client.session["shenpi_new_totp"])
    response = client.post("/login/enrol/", {"code": code_of(device), "next": "/workbench/"})
    assert response.status_code == 302 and response["Location"].startswith("/login/recovery-codes/")
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", client.get(response["Location"]).content.decode())
    device.refresh_from_db()
    return device, codes


# -- who is asked ---------------------------------------------------------------------------------------

def test_a_clerk_without_an_authenticator_signs_in_with_the_password_alone(people):
    client = Client()
    response = sign_in(client, people["clerk"])
    assert response.status_code == 302 and response["Location"] == "/workbench/"
    assert client.get("/workbench/").status_code == 200


@pytest.mark.parametrize("role", ["supervisor", "admin", "security_admin", "audit_admin"])
def test_administrators_and_supervisors_must_enrol_before_any_page(people, role):
    client = Client()
    response = sign_in(client, people[role], next_url="/supervision/")
    assert response.status_code == 302 and response["Location"] == "/login/enrol/?next=%2Fsupervision%2F"
    for url in ["/workbench/", "/supervision/", "/workbench/second-factor/", "/performance/", "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/enrol/?next="), url
    assert client.get("/api/v1/cases/").status_code == 403
    htmx = client.get("/workbench/cases/", headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx["HX-Redirect"].startswith("/login/enrol/")


def test_a_superuser_at_the_admin_login_is_stopped_at_the_second_factor():
    boss = f.user(None, username="root", is_superuser=True, is_staff=True)
    enrolled(boss)
    client = Client()
    client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"] == "/login/verify/?next=%2Fadmin%2F"


def test_the_roles_required_come_from_the_setting(people, settings):
    settings.SECOND_FACTOR_ROLES = frozenset({"admin"})
    client = Client()
    assert sign_in(client, people["supervisor"])["Location"] == "/workbench/"
    settings.SECOND_FACTOR_ALL_STAFF = True
    client = Client()
    assert sign_in(client, people["clerk"])["Location"].startswith("/login/enrol/")


def test_applicants_are_not_asked_for_a_second_factor():
    client = client_for(verified())
    assert client.get("/account/").status_code == 200


# -- enrolment ------------------------------------------------------------------------------------------

def test_forced_enrolment_shows_the_qr_code_and_secret_once_and_ten_recovery_codes(people, audited):
    supervisor = people["supervisor"]
    client = Client()
    sign_in(client, supervisor)
    page = client.get("/login/enrol/?next=/supervision/").content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    device = TOTPDevice.objects.get(user=supervisor, confirmed=False)
    secret = re.search(r'id="enrol-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert TOTP(__import__("base64").b32decode(secret), device.step).token() == TOTP(device.bin_key).token()
    # A wrong code confirms nothing and the pages stay closed.
    wrong = client.post("/login/enrol/", {"code": "000000" if code_of(device) != "000000" else "111111"})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
    assert client.get("/supervision/").status_code == 302
    device, codes = enrol(client)
    assert device.confirmed and len(set(codes)) == 10
    assert client.get("/supervision/").status_code == 200
    # Shown once: the page does not show them again.
    assert client.get("/login/recovery-codes/")["Location"] == "/workbench/second-factor/"
    assert [a for a, _, _ in audited] == ["otp.enrolled"]


def test_a_clerk_may_enrol_of_their_own_accord_and_is_then_asked_for_the_code(people, audited):
    clerk = people["clerk"]
    client = Client()
    sign_in(client, clerk)
    assert "启用手机验证器" in client.get("/workbench/second-factor/").content.decode()
    device, _ = enrol(client)
    client = Client()
    assert sign_in(client, clerk)["Location"] == "/login/verify/?next=%2Fworkbench%2F"
    assert client.get("/workbench/").status_code == 302
    # The code of enrolment is spent: the app's next one (a tolerance of one step either way).
    response = client.post("/login/verify/", {"method": "totp", "answer": code_of(device, steps_ahead=1),
                                              "next": "/workbench/"})
    assert response["Location"] == "/workbench/"
    assert client.get("/workbench/").status_code == 200


def test_a_password_alone_cannot_enrol_a_new_authenticator_over_the_old_one(people):
    """Else a stolen password would let the thief put their own phone in place of the owner's."""
    supervisor = people["supervisor"]
    device = enrolled(supervisor)
    client = Client()
    sign_in(client, supervisor)
    response = client.get("/login/enrol/")
    assert response.status_code == 302 and response["Location"].startswith("/login/verify/")
    assert client.post("/login/enrol/", {"code": "123456"}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=supervisor)) == [device]


# -- the code at sign-in ------------------------------------------------------------------------------

def test_the_right_code_passes_once_and_is_recorded(people, audited):
    supervisor = people["supervisor"]
    device = enrolled(supervisor)
    client = Client()
    sign_in(client, supervisor, next_url="/supervision/")
    code = code_of(device)
    response = client.post("/login/verify/", {"method": "totp", "answer": code, "next": "/supervision/"})
    assert response["Location"] == "/supervision/"
    assert client.get("/supervision/").status_code == 200
    assert audited[-1][:2] == ("otp.verified", "success")
    # The same code does not open a second session.
    other = Client()
    sign_in(other, supervisor)
    assert other.post("/login/verify/", {"method": "totp", "answer": code}).status_code == 400


def test_five_wrong_codes_end_the_half_finished_sign_in(people, audited, settings):
    supervisor = people["supervisor"]
    device = enrolled(supervisor)
    client = Client()
    sign_in(client, supervisor)
    wrong = f"{(int(code_of(device)) + 1) % 1000000:06d}"
    for left in (4, 3, 2, 1):
        response = client.post("/login/verify/", {"method": "totp", "answer": wrong})
        assert response.status_code == 400 and f"还可尝试{left}次" in response.content.decode()
    response = client.post("/login/verify/", {"method": "totp", "answer": wrong})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "连续5次未通过" in client.get("/login/").content.decode()
    # The session is over: even the right code now needs the password first.
    assert client.get("/workbench/")["Location"].startswith("/login/?next=")
    assert client.post("/login/verify/", {"method": "totp", "answer": code_of(device)})["Location"] \
        .startswith("/login/?next=")
    failed = [(outcome, detail.get("ended")) for action, outcome, detail in audited if action == "otp.failed"]
    assert failed == [("failure", None)] * 5 + [("denied", True)]


def test_django_otp_throttles_guesses_across_sign_ins(people, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    supervisor = people["supervisor"]
    device = enrolled(supervisor)
    client = Client()
    sign_in(client, supervisor)
    client.post("/login/verify/", {"method": "totp", "answer": "000000" if code_of(device) != "000000" else "1"})
    # Even the right code waits out the device's delay, in this sign-in or a fresh one.
    fresh = Client()
    sign_in(fresh, supervisor)
    response = fresh.post("/login/verify/", {"method": "totp", "answer": code_of(device)})
    assert response.status_code == 400 and "尝试过于频繁" in response.content.decode()
    assert fresh.get("/workbench/").status_code == 302


# -- recovery codes ---------------------------------------------------------------------------------

def test_a_recovery_code_signs_in_once(people, audited):
    supervisor = people["supervisor"]
    client = Client()
    sign_in(client, supervisor)
    _, codes = enrol(client)
    client = Client()
    sign_in(client, supervisor)
    response = client.post("/login/verify/", {"method": "recovery", "answer": codes[3].upper()})
    assert response["Location"] == "/workbench/"
    assert "还剩9个" in client.get("/workbench/").content.decode()
    assert audited[-1][0] == "otp.recovery_used" and audited[-1][2]["left"] == 9
    # New codes do not end the session that signed in with an old one.
    client.post("/workbench/second-factor/recovery-codes/")
    assert client.get("/workbench/").status_code == 200
    again = Client()
    sign_in(again, supervisor)
    response = again.post("/login/verify/", {"method": "recovery", "answer": codes[3]})
    assert response.status_code == 400 and "恢复码不正确或已使用过" in response.content.decode()


def test_regenerating_recovery_codes_voids_the_old_ones(people, audited):
    supervisor = people["supervisor"]
    client = Client()
    sign_in(client, supervisor)
    _, old = enrol(client)
    response = client.post("/workbench/second-factor/recovery-codes/")
    new = re.findall(r"<li>([a-z2-7]{8})</li>", client.get(response["Location"]).content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.filter(device__user=supervisor).values_list("token", flat=True)) == set(new)
    assert audited[-1][0] == "otp.recovery_regenerated"


# -- the security administrator's reset ----------------------------------------------------------------

def test_a_security_administrator_resets_a_second_factor_with_a_reason(people, audited):
    supervisor, security = people["supervisor"], people["security_admin"]
    enrolled(supervisor)
    admin = f.login_staff(Client(), security)
    url = f"/workbench/second-factor/staff/{supervisor.pk}/"
    assert "工作人员二次验证" in admin.get("/workbench/").content.decode()
    response = admin.post(url, {"op": "reset", "reason": " "})
    assert response.status_code == 400 and "请填写重置原因" in response.content.decode()
    assert TOTPDevice.objects.filter(user=supervisor).exists()
    response = admin.post(url, {"op": "reset", "reason": "手机遗失，本人到场核实"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    assert audited[-1] == ("otp.reset", "success", {"target": f"user:{supervisor.pk}",
                                                   "reason": "手机遗失，本人到场核实", "devices": 1})
    client = Client()
    assert sign_in(client, supervisor)["Location"].startswith("/login/enrol/")


def test_nobody_resets_their_own_nor_may_other_staff_reset(people):
    security, supervisor = people["security_admin"], people["supervisor"]
    enrolled(supervisor)
    own = f.login_staff(Client(), security)
    response = own.post(f"/workbench/second-factor/staff/{security.pk}/", {"op": "reset", "reason": "自己重置"})
    assert response.status_code == 403 and TOTPDevice.objects.filter(user=security).exists()
    for role in ("admin", "handler"):
        other = f.login_staff(Client(), people[role])
        response = other.post(f"/workbench/second-factor/staff/{supervisor.pk}/", {"op": "reset", "reason": "x"})
        assert response.status_code == 403, role
    assert TOTPDevice.objects.filter(user=supervisor).exists()


# -- a UKey ---------------------------------------------------------------------------------------

@pytest.fixture
def ukeys(settings):
    settings.SECOND_FACTORS = ("totp", "certificate")


def test_a_ukey_signs_the_challenge_of_the_sign_in_page(people, ukeys, audited, tmp_path):
    handler, security = people["handler"], people["security_admin"]
    key_file = tmp_path / "ukey.pem"
    call_command("ukey", "new-key", "--out", str(key_file), stdout=(public := __import__("io").StringIO()))
    admin = f.login_staff(Client(), security)
    url = f"/workbench/second-factor/staff/{handler.pk}/"
    response = admin.post(url, {"op": "certificate", "public_key": "not a key", "name": "UKey 1"})
    assert response.status_code == 400 and "PEM" in response.content.decode()
    assert admin.post(url, {"op": "certificate", "public_key": public.getvalue(), "name": "UKey 1"}).status_code == 302
    assert audited[-1][0] == "otp.enrolled" and audited[-1][2]["factor"] == "certificate"
    assert admin.post(url, {"op": "certificate", "public_key": public.getvalue()}).status_code == 400

    client = Client()
    assert sign_in(client, handler)["Location"].startswith("/login/verify/")
    page = client.get("/login/verify/").content.decode()
    challenge = re.search(r'id="challenge">([0-9a-f]{64})<', page).group(1)
    forged = ukey.sign_challenge(ukey.new_key_pair()[0], challenge)
    refused = client.post("/login/verify/", {"method": "certificate", "answer": forged})
    assert refused.status_code == 400
    # The page answers with a new challenge; the signer signs that one.
    challenge = re.search(r'id="challenge">([0-9a-f]{64})<', refused.content.decode()).group(1)
    signature = __import__("io").StringIO()
    call_command("ukey", "sign", "--key", str(key_file), challenge, stdout=signature)
    response = client.post("/login/verify/", {"method": "certificate", "answer": signature.getvalue()})
    assert response["Location"] == "/workbench/"
    assert audited[-1][:2] == ("otp.verified", "success") and audited[-1][2]["factor"] == "certificate"
    # A signature opens one session: replayed, it finds the challenge spent.
    again = Client()
    sign_in(again, handler)
    assert again.post("/login/verify/", {"method": "certificate", "answer": signature.getvalue()}).status_code == 400


def test_a_ukey_challenge_expires(people, ukeys, settings):
    handler = people["handler"]
    private, public = ukey.new_key_pair()
    CertificateDevice.objects.create(user=handler, name="UKey", confirmed=True, public_key=public,
                                     fingerprint=ukey.fingerprint(ukey.public_key_of(public)))
    settings.SECOND_FACTOR_CHALLENGE_SECONDS = -1
    client = Client()
    sign_in(client, handler)
    challenge = re.search(r'id="challenge">([0-9a-f]{64})<', client.get("/login/verify/").content.decode()).group(1)
    answer = ukey.sign_challenge(private, challenge)
    assert client.post("/login/verify/", {"method": "certificate", "answer": answer}).status_code == 400


def test_without_the_certificate_factor_offered_a_registered_ukey_is_not_asked(people, settings):
    handler = people["handler"]
    _, public = ukey.new_key_pair()
    CertificateDevice.objects.create(user=handler, name="UKey", confirmed=True, public_key=public,
                                     fingerprint=ukey.fingerprint(ukey.public_key_of(public)))
    assert settings.SECOND_FACTORS == ("totp",)
    assert sign_in(Client(), handler)["Location"] == "/workbench/"


def test_only_p256_keys_are_registered():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP384R1()).public_key()
    pem = other.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with pytest.raises(Exception, match="P-256"):
        ukey.public_key_of(pem)


def test_the_security_administrator_lists_who_has_which_factor(people):
    enrolled(people["supervisor"])
    admin = f.login_staff(Client(), people["security_admin"])
    page = admin.get("/workbench/second-factor/staff/?q=").content.decode()
    assert people["supervisor"].username in page and "未设置" in page
    assert f.login_staff(Client(), people["clerk"]).get("/workbench/second-factor/staff/").status_code == 403
    assert Role.SECURITY_ADMIN in people
