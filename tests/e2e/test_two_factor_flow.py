"""Two factors for staff in a real browser: a supervisor's first sign-in makes them enrol an
authenticator (QR code, secret, recovery codes) before any page; a handler who has one enters its
code after the password. Screenshots go to test-artifacts/screenshots/; any console error (a
Content-Security-Policy violation by the inline QR image, a script error) fails the test.
"""

import base64
import os
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests import factories as f
from tests.browser import PASSWORD, fresh_page, shot, totp_code

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still sync.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def page():
    with fresh_page() as page:
        yield page


def password(page, base, user) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_a_supervisor_enrols_at_the_first_sign_in_before_reaching_any_page(live_server, page):
    people = f.staff(f.department())
    supervisor = people["supervisor"]
    base = live_server.url
    password(page, base, supervisor)
    expect(page).to_have_url(re.compile(r"/login/enrol/"))
    # No page opens before the enrolment, whatever the address typed.
    page.goto(f"{base}/supervision/")
    expect(page).to_have_url(re.compile(r"/login/enrol/\?next=%2Fsupervision%2F"))
    qr = page.locator("#enrol-qr")
    expect(qr).to_be_visible()
    assert page.evaluate("document.getElementById('enrol-qr').naturalWidth") > 0  # the data: image loaded
    shot(page, "two-factor-forced-enrolment")
    secret = base64.b32decode(page.inner_text("#enrol-secret").replace(" ", ""))
    page.fill("#enrol-form input[name=code]", "000000" if totp_code(secret) != "000000" else "111111")
    page.click("#enrol-form button[type=submit]")
    expect(page.locator(".alert-error")).to_contain_text("验证码不正确")
    # A wrong code starts again with a new key: the secret shown is the new one.
    secret = base64.b32decode(page.inner_text("#enrol-secret").replace(" ", ""))
    page.fill("#enrol-form input[name=code]", totp_code(secret))
    page.click("#enrol-form button[type=submit]")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    shot(page, "two-factor-recovery-codes")
    page.click("#recovery-continue")
    expect(page).to_have_url(re.compile(r"/supervision/$"))
    assert TOTPDevice.objects.get(user=supervisor).confirmed


def test_a_handler_with_an_authenticator_enters_its_code_after_the_password(live_server, page):
    handler = f.staff(f.department())["handler"]
    device = TOTPDevice.objects.create(user=handler, name="手机验证器", confirmed=True)
    base = live_server.url
    password(page, base, handler)
    expect(page).to_have_url(re.compile(r"/login/verify/\?next=%2Fworkbench%2F"))
    wrong = f"{(int(totp_code(device.bin_key)) + 1) % 1000000:06d}"
    page.fill("#verify-form input[name=answer]", wrong)
    page.click("#verify-form button[type=submit]")
    expect(page.locator(".alert-error")).to_contain_text("验证码不正确")
    expect(page.locator(".hint")).to_contain_text("还可尝试4次")
    shot(page, "two-factor-code")
    page.wait_for_timeout(1100)  # django-otp's throttle: a device waits a second after a wrong code
    device.refresh_from_db()
    page.fill("#verify-form input[name=answer]", totp_code(device.bin_key, after=device.last_t))
    page.click("#verify-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/workbench/$"))
    expect(page.locator(".who-name")).to_contain_text(str(handler))
    page.click("a.nav-link:has-text('二次验证设置')")
    expect(page.locator("#factor-table")).to_contain_text("动态口令")
