"""Browser tests' shared pieces: Debian's Chromium driven by Playwright, screenshots, console errors."""

from __future__ import annotations

import re
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
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
