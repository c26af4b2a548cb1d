"""统一身份认证 in a real browser: the applicant login page's button, the province platform's
(sandbox) page where the tester picks an identity, and back to 我的办件 signed in with a new,
real-name verified account. Screenshots go to test-artifacts/screenshots/."""

import os

import pytest
from playwright.sync_api import expect

from shenpi.applicants.models import Applicant, Assurance
from tests.browser import fresh_page, shot

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still sync.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_applicant_signs_in_through_the_unified_identity_platform(live_server, provider):
    with fresh_page() as page:
        page.goto(f"{live_server.url}/account/login/")
        button = page.get_by_role("link", name="统一身份认证登录")
        expect(button).to_be_visible()
        shot(page, "unified-sign-in-1-login")
        button.click()
        expect(page.get_by_role("heading", name="统一身份认证平台（沙箱）")).to_be_visible()
        assert "/unified-sign-in/authorize?" in page.url and "code_challenge=" in page.url
        shot(page, "unified-sign-in-2-platform")
        page.get_by_role("row", name="王小明").get_by_role("button", name="以个人身份登录").click()
        expect(page.get_by_text("已通过统一身份认证平台登录，账号已开通并完成实名认证。")).to_be_visible()
        assert page.url == f"{live_server.url}/account/"
        shot(page, "unified-sign-in-3-home")
        # Signing out and in again as the company one person represents: another account.
        page.get_by_role("button", name="退出登录").click()
        page.get_by_role("link", name="统一身份认证登录").click()
        page.get_by_role("button", name="以法人身份登录（示范市恒通置业有限公司）").click()
        expect(page.get_by_text("已通过统一身份认证平台登录，账号已开通并完成实名认证。")).to_be_visible()
    accounts = {a.name: a for a in Applicant.objects.all()}
    assert set(accounts) == {"王小明", "示范市恒通置业有限公司"}
    assert all(a.assurance == Assurance.REAL_NAME for a in accounts.values())
