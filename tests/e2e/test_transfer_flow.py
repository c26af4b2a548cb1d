"""转办 in a real browser: a handler hands the step to a colleague, who finds it in their 待办 and works it.

Screenshots of the transfer form, the colleague's list and the department's AB角与离岗 page go to
test-artifacts/screenshots/.
"""

import os

import pytest
from playwright.sync_api import expect

from shenpi import clock
from shenpi.accounts import routing
from shenpi.accounts.models import Role
from shenpi.cases import services
from shenpi.cases.models import CaseStep
from tests import factories as f
from tests.browser import fresh_page, shot

from .test_workbench_flow import log_in, log_out, perform

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def page():
    with fresh_page() as page:
        yield page


def test_a_handler_hands_the_step_to_a_colleague_who_sees_and_works_it(live_server, page):
    dept = f.department("住房和城乡建设局", short_name="住建局")
    people = f.staff(dept)
    people["handler"].full_name = "李建国"
    people["handler"].save()
    colleague = f.user(dept, Role.HANDLER, username="handler_zhou", full_name="周海涛")
    case = f.receive(people["clerk"], f.item(dept))
    case = services.perform(case, "accept", actor=people["clerk"])
    assert case.steps.get(status=CaseStep.Status.ACTIVE).assignee == people["handler"]
    base = live_server.url

    log_in(page, base, people["handler"])
    page.locator("a.case-link", has_text=case.number).click()
    action = page.locator("#action-panel details.action", has=page.locator("summary", has_text="转办"))
    action.locator("summary").click()
    action.locator("select[name='transfer-to']").select_option(label="周海涛（审查·承办人）")
    action.locator("textarea[name='transfer-reason']").fill("本人明日起外出核查，请周海涛办理")
    shot(page, "transfer-01-form")
    with page.expect_navigation():
        action.locator("button[type=submit]").click()
    page.locator(".alert-success", has_text="已办理：转办").wait_for()
    expect(page.locator(".timeline")).to_contain_text("由 李建国 转交 周海涛")
    expect(page.locator(".timeline")).to_contain_text("本人明日起外出核查")
    # The handler's own 待办 no longer lists it.
    page.goto(f"{base}/workbench/")
    expect(page.locator("a.case-link", has_text=case.number)).to_have_count(0)
    log_out(page)

    log_in(page, base, colleague)
    row = page.locator("tr", has=page.locator("a.case-link", has_text=case.number))
    expect(row).to_contain_text("周海涛")
    shot(page, "transfer-02-colleague-todo")
    row.locator("a.case-link").click()
    perform(page, "通过", {"textarea[name='pass-opinion']": "已核查，同意"})
    case.refresh_from_db()
    assert case.steps.filter(finished_by=colleague, status=CaseStep.Status.DONE).exists()
    log_out(page)

    # The lead names the colleague as the handler's stand-in and records the handler away.
    routing.pair(people["approver"], people["handler"], colleague)
    log_in(page, base, people["approver"])
    page.goto(f"{base}/workbench/stand-ins/")
    expect(page.locator("#stand-in-table")).to_contain_text("周海涛")
    page.select_option("select[name='absence-user']", label="李建国")
    page.fill("input[name='absence-starts_on']", str(clock.today()))
    page.fill("input[name='absence-ends_on']", str(clock.today()))
    page.fill("input[name='absence-reason']", "年休假")
    with page.expect_navigation():
        page.click("#absence-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("已登记离岗")
    expect(page.locator("#absence-table")).to_contain_text("年休假")
    shot(page, "transfer-03-stand-ins")
