"""The public site in a real browser: find an item by typing 施工许可, read its guide, query a case's progress.

Runs Debian's Chromium through Playwright against the live test server; screenshots go to
test-artifacts/screenshots/ (portal-*.png) so people can see what the public sees.
"""

import os
import re

import pytest
from playwright.sync_api import expect

from shenpi.cases import services

from .conftest import SECRET_OPINION, accepted

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still sync.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


from tests.browser import fresh_page
from tests.browser import shot as browser_shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def page():
    # A wrong query answers 200, a limited one 429 on purpose.
    with fresh_page(re.compile(r"status of 429 ")) as page:
        yield page


def shot(page, name: str) -> None:
    browser_shot(page, f"portal-{name}")


def test_searching_a_guide_and_opening_the_item(live_server, page, portal):
    base = live_server.url
    page.goto(f"{base}/")
    shot(page, "01-home")
    page.fill("#home-q", "施工许可")
    with page.expect_navigation():
        page.press("#home-q", "Enter")
    assert "/guide/?q=" in page.url
    first = page.locator(".guide-entry .guide-name").first
    expect(first).to_have_text("建筑工程施工许可证核发")
    shot(page, "02-guide-search")
    with page.expect_navigation():
        first.click()
    expect(page.locator("h1")).to_have_text("建筑工程施工许可证核发")
    for section in ("设定依据", "申请条件", "申请材料", "办理时限", "办理流程", "收费标准", "办理地点和时间",
                    "咨询方式"):
        expect(page.locator(".guide-section h2", has_text=section)).to_be_visible()
    expect(page.locator("#materials tbody tr")).to_have_count(4)
    expect(page.locator("#fees")).to_contain_text("施工许可证工本费")
    shot(page, "03-guide-item")
    with page.expect_download() as download:
        page.locator("#materials a.download").first.click()
    assert download.value.suggested_filename == "建筑工程施工许可申请表.docx"

    # From the item to its department: functions, windows and the staff on duty.
    with page.expect_navigation():
        page.locator(".facts a", has_text="住房和城乡建设局").click()
    expect(page.locator("h1")).to_have_text("住房和城乡建设局")
    expect(page.locator("#duty-title + table")).to_contain_text("王晓梅")
    shot(page, "04-department")

    # Browsing by theme from the home page.
    page.goto(f"{base}/")
    with page.expect_navigation():
        page.click("a.theme-person")
    expect(page.locator(".guide-name", has_text="居民身份证换领")).to_be_visible()
    expect(page.locator(".guide-name", has_text="城东区建筑业企业资质变更")).to_have_count(0)


def test_querying_progress_from_a_notices_qr_code(live_server, page, portal):
    base = live_server.url
    case = accepted(portal)
    case = services.perform(case, "pass", actor=portal.people["handler"], params={"opinion": SECRET_OPINION})

    # A wrong code first: the answer does not say which of the two was wrong.
    page.goto(f"{base}/query/?number={case.number}")
    expect(page.locator("#query-number")).to_have_value(case.number)
    page.fill("#query-code", "000000" if case.query_code != "000000" else "111111")
    with page.expect_navigation():
        page.click(".query-form button[type=submit]")
    expect(page.locator(".form-error")).to_contain_text("办件编号或查询密码不正确")
    shot(page, "05-query-wrong")

    page.fill("#query-code", case.query_code)
    with page.expect_navigation():
        page.click(".query-form button[type=submit]")
    progress = page.locator(".progress")
    expect(progress).to_contain_text("办理中")
    expect(progress).to_contain_text("审核（住建局）")
    expect(progress.locator(".stage-current")).to_have_text("审查办理")
    expect(progress.locator(".history tbody tr")).to_have_count(3)
    assert SECRET_OPINION not in progress.inner_text()
    assert "李建国" not in progress.inner_text()  # the handler's name
    shot(page, "06-query-progress")

    page.goto(f"{base}/publicity/cases/")
    assert case.number not in page.locator("table.board").inner_text()  # an individual's case: anonymous
    assert "110105" not in page.content() and "张" not in page.locator("table.board").inner_text()
    shot(page, "07-case-board")
