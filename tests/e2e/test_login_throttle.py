"""The staff login after repeated failures, in a real browser: the picture code appears and lets its owner in.

Screenshot: test-artifacts/screenshots/login-captcha.png.
"""

import os
import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from shenpi.accounts.models import Role
from shenpi.security import captcha
from tests import factories as f
from tests.browser import PASSWORD, fresh_page, shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_after_three_failures_the_picture_code_is_asked_and_accepted(live_server, settings, monkeypatch):
    cache.clear()
    monkeypatch.setattr(captcha, "ALPHABET", "A")  # the picture reads AAAAA, as a person would read it
    clerk = f.user(f.department("住房和城乡建设局"), Role.CLERK, username="clerk-throttle")
    with fresh_page() as page:
        for _ in range(settings.LOGIN_CAPTCHA_AFTER):
            page.goto(f"{live_server.url}/login/")
            page.fill("input[name=username]", clerk.username)
            page.fill("input[name=password]", "wrong-password")
            page.click("button[type=submit]")
            expect(page.locator(".alert-error")).to_be_visible()
        picture = page.locator("img.captcha-image")
        expect(picture).to_be_visible()
        assert page.evaluate("document.querySelector('img.captcha-image').naturalWidth") > 100  # a real PNG
        shot(page, "login-captcha")
        page.fill("input[name=username]", clerk.username)
        page.fill("input[name=password]", PASSWORD)
        page.fill("input[name=captcha]", "aaaaa")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/workbench/"))
        expect(page.locator("body")).to_contain_text(clerk.full_name)
