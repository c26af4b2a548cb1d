"""安全审计 in a real browser: a clerk mistypes the password, an administrator is refused the log, and the
audit administrator finds both events, filters by event and outcome and exports the Excel file.
Screenshots go to test-artifacts/screenshots/.
"""

import io
import os
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from shenpi.accounts.models import Role
from shenpi.security.models import SecurityEvent
from tests import factories as f
from tests.browser import PASSWORD, fresh_page, shot
from tests.browser import log_in as sign_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def people():
    dept = f.department("住房和城乡建设局")
    return {"clerk": f.user(dept, Role.CLERK, username="zhujian_clerk", full_name="窗口人员"),
            "admin": f.user(None, Role.ADMIN, username="zhongxin_admin", is_superuser=True, is_staff=True),
            "auditor": f.user(None, Role.AUDIT_ADMIN, username="shenji_admin", full_name="审计管理员")}


@pytest.fixture
def page():
    with fresh_page() as page:
        yield page


def log_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def log_out(page) -> None:
    page.click("form.logout button")
    page.wait_for_url(re.compile(r"/login/"))


def test_the_audit_administrator_finds_filters_and_exports_what_happened(live_server, page, people):
    base = live_server.url
    log_in(page, base, "zhujian_clerk", "not-the-password")
    expect(page.locator(".alert-error")).to_be_visible()
    sign_in(page, base, people["admin"])  # the password, then the second factor it must enrol
    expect(page.locator("nav.sidenav")).not_to_contain_text("安全审计记录")
    page.goto(f"{base}/audit/security/")
    expect(page.locator("main")).to_contain_text("超级用户不能查阅（三权分立）")
    log_out(page)

    sign_in(page, base, people["auditor"])
    page.click("nav.sidenav >> text=安全审计记录")
    page.wait_for_url(re.compile(r"/audit/security/"))
    table = page.locator("#security-events")
    expect(table).to_contain_text("登录失败")
    expect(table).to_contain_text("account:zhujian_clerk")
    expect(table).to_contain_text("拒绝访问")
    page.fill("input[name=action]", "login")
    page.select_option("select[name=outcome]", "failure")
    page.click("#security-search button[type=submit]")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("zhujian_clerk")
    shot(page, "security-audit-search")

    with page.expect_download() as download:
        page.click("#security-export")
    with open(download.value.path(), "rb") as file:
        sheet = load_workbook(io.BytesIO(file.read())).active
    assert sheet["A1"].value == "安全审计记录"
    assert "事件：login" in sheet["A2"].value and "结果：失败" in sheet["A2"].value
    assert [c.value for c in sheet[4]][2:4] == ["登录失败", "login.failed"]
    assert sheet.max_row == 4
    assert SecurityEvent.objects.filter(action="export.security_log", username="shenji_admin").count() == 1
    assert SecurityEvent.objects.filter(action="permission.denied", username="zhongxin_admin",
                                        target="/audit/security/").count() == 1
