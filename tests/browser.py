"""Browser tests' shared pieces: Debian's Chromium driven by Playwright, screenshots, console errors."""

from __future__ import annotations

import base64
import re
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PASSWORD = "Shenpi-test-2026"  # what tests/factories.py gives every user
# A refused request answers 400/403/409 on purpose; any other console error (a missing asset, a
# Content-Security-Policy violation, a script error) fails the test.
EXPECTED_REFUSAL = re.compile(r"status of (400|403|409) ")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"


@contextmanager
def browser_windows(expected_errors: re.Pattern = EXPECTED_REFUSAL):
    """A fresh browser, to be started after the test database is ready; yields `open_page()`,
    which opens a window with its own cookies (an applicant and a clerk side by side).

    While Playwright's event loop runs, Django keeps this thread's database connections apart
    from the ones made before (asgiref's thread-critical storage): starting the browser after the
    database fixtures keeps the serialized rollback and the flush on the ordinary connections.
    """
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium): browser tests need it")
    from playwright.sync_api import sync_playwright  # imported here: the skip above must work without it

    errors = []

    def on_console(message):
        if message.type == "error" and not expected_errors.search(message.text):
            errors.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

        def open_page():
            context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            page = context.new_page()
            page.on("console", on_console)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm questions are answered yes
            return page

        try:
            yield open_page
        finally:
            browser.close()
            connections.close_all()  # those opened while the loop ran
    assert errors == []


@contextmanager
def fresh_page(expected_errors: re.Pattern = EXPECTED_REFUSAL):
    """One window of a fresh browser (see browser_windows)."""
    with browser_windows(expected_errors) as open_page:
        yield open_page()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # sticky bars would otherwise show mid-page
    page.evaluate("document.fonts.ready.then(() => true)")  # else the first page may show empty boxes
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# -- staff sign-in with two factors -----------------------------------------------------------------

def log_in(page, base: str, user, *, landing: re.Pattern = re.compile(r"/workbench/")) -> None:
    """Sign a member of staff in as they do it: the password, then the authenticator's code, after
    enrolling one when the account must have a second factor and has none (docs/two-factor.md)."""
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    pass_second_factor(page, user)
    page.wait_for_url(landing)


def pass_second_factor(page, user) -> None:
    """On the enrolment or code page (after a password), do what the staff member does; else nothing."""
    if "/login/enrol/" in page.url:
        secret = base64.b32decode(page.inner_text("#enrol-secret").replace(" ", ""))
        page.fill("#enrol-form input[name=code]", totp_code(secret))
        with page.expect_navigation():
            page.click("#enrol-form button[type=submit]")
        with page.expect_navigation():
            page.click("#recovery-continue")  # the recovery codes, shown once
    elif "/login/verify/" in page.url:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.get(user=user, confirmed=True)
        page.fill("#verify-form input[name=answer]", totp_code(device.bin_key, after=device.last_t))
        with page.expect_navigation():
            page.click("#verify-form button[type=submit]")


def totp_code(key: bytes, *, after: int = -1, step: int = 30) -> str:
    """The authenticator app's code (RFC 6238, SHA-1, 6 digits) for the first time step the server
    accepts: now, or the next one when this one's code was spent (its tolerance is one step)."""
    from django_otp.oath import hotp

    counter = max(int(time.time()) // step, after + 1)
    return f"{hotp(key, counter, digits=6):06d}"
