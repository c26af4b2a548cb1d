"""A case from the window to 已办结 in a real browser: clerk, handler, reviewer, approver, clerk.

Runs Debian's Chromium through Playwright against the live test server; screenshots of the main
pages go to test-artifacts/screenshots/ so people can look at what staff see.
"""

import os
import re

import pytest
from playwright.sync_api import expect

from shenpi.accounts.models import Role
from shenpi.cases.models import Case, State
from tests import factories as f
from tests.browser import fresh_page, log_in, shot

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still sync.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def page():
    with fresh_page() as page:
        yield page




def log_out(page) -> None:
    page.click(".logout button")
    page.wait_for_url(re.compile(r"/login/"))


def perform(page, label: str, fill: dict | None = None) -> None:
    """Open an action in the case page's panel, fill it and submit; wait for the page to reload."""
    action = page.locator("#action-panel details.action", has=page.locator("summary", has_text=label))
    if action.get_attribute("open") is None:
        action.locator("summary").click()
    for selector, value in (fill or {}).items():
        action.locator(selector).fill(value)
    with page.expect_navigation():
        action.locator("button[type=submit]").click()
    page.locator(".alert-success", has_text=f"已办理：{label}").wait_for()


@pytest.fixture
def org():
    dept = f.department("住房和城乡建设局", short_name="住建局")
    people = f.staff(dept)
    names = {Role.CLERK: "王晓梅", Role.HANDLER: "李建国", Role.REVIEWER: "赵文静", Role.APPROVER: "陈志远"}
    for code, name in names.items():
        people[code].full_name = name
        people[code].save()
    item = f.item(dept)
    f.item(dept, name="房屋建筑工程竣工验收备案", promised=5, statutory=20)
    f.item(dept, name="建筑业企业资质证书变更", promised=0, statutory=20, steps=(("审查", Role.HANDLER, None),))
    return dept, people, item


def test_a_case_from_the_window_to_completion(live_server, page, org):
    dept, people, item = org
    base = live_server.url
    version = item.current_version()

    page.goto(f"{base}/login/")
    shot(page, "01-login")

    # The clerk registers the application with every material and accepts it.
    log_in(page, base, people["clerk"])
    shot(page, "02-home-clerk-empty")
    page.click(".sidenav >> text=收件受理")
    page.wait_for_url(re.compile(r"/workbench/accept/"))
    shot(page, "03-accept-choose-item")
    # The item list filters as the clerk types (htmx), and keeps the choice in the address.
    page.fill(".search-form input[name=q]", "竣工")
    expect(page.locator("#item-list tbody tr")).to_have_count(1)
    assert "q=" in page.url
    page.fill(".search-form input[name=q]", "")
    expect(page.locator("#item-list tbody tr")).to_have_count(3)
    page.locator("tr", has_text=version.name).locator("a", has_text="受理此事项").click()
    page.wait_for_url(re.compile(r"item="))
    page.fill("input[name=applicant_name]", "张三")
    page.fill("input[name=id_number]", f.PERSON_ID)
    page.fill("input[name=contact_name]", "张三")
    page.fill("input[name=phone]", "13812341234")
    page.fill("input[name=title]", "示范小区3号楼")
    page.click("text=全部勾选为已收取")
    shot(page, "04-accept-form")
    with page.expect_navigation():
        page.click("button[name=decision][value=accept]")
    assert page.locator("#case-state").inner_text() == "办理中"
    number = page.locator("h1 .mono").inner_text().strip()
    assert page.locator(".print-banner", has_text="受理通知书").is_visible()
    shot(page, "05-case-accepted")
    log_out(page)

    # Handler, reviewer and approver each find it in their to-do list and pass their step.
    for role, opinion in (("handler", "材料齐全，符合条件，拟同意。"), ("reviewer", "经审核，同意。"),
                          ("approver", "同意。")):
        log_in(page, base, people[role])
        row = page.locator("table tr", has_text=number)
        assert row.is_visible()
        if role == "handler":
            shot(page, "06-home-handler-todo")
        row.locator("a.case-link").click()
        page.wait_for_url(re.compile(number))
        if role == "handler":
            shot(page, "07-case-handler-step")
        perform(page, "通过", {"textarea": opinion})
        if role != "approver":
            log_out(page)

    # The approver decides; the clerk delivers the result and completes the case.
    assert page.locator("#case-state").inner_text() == "待决定"
    perform(page, "准予许可")
    assert page.locator("#case-state").inner_text() == "已决定待送达"
    log_out(page)

    log_in(page, base, people["clerk"])
    page.goto(f"{base}/workbench/cases/{number}/")
    perform(page, "送达办结")
    assert page.locator("#case-state").inner_text() == "已办结"
    shot(page, "08-case-completed")
    timeline = page.locator(".timeline").inner_text()
    for label in ("收件", "受理", "通过", "准予许可", "送达办结"):
        assert label in timeline
    page.goto(f"{base}/workbench/?bucket=done")
    assert page.locator("table tr", has_text=number).is_visible()
    shot(page, "09-home-clerk-done")

    case = Case.objects.get(number=number)
    assert case.state == State.COMPLETED
    assert [e.action for e in case.events.order_by("pk")] == [
        "receive", "accept", "pass", "pass", "pass", "grant", "complete"]


def test_refusals_show_in_chinese_and_change_nothing(live_server, page, org):
    """A wrong ID number on the acceptance screen, and an action with a missing reason via htmx."""
    dept, people, item = org
    base = live_server.url
    log_in(page, base, people["clerk"])
    page.goto(f"{base}/workbench/accept/?item={item.code}")
    page.fill("input[name=applicant_name]", "张三")
    page.fill("input[name=id_number]", "110105194912310021")
    page.click("text=全部勾选为已收取")
    with page.expect_navigation():
        page.click("button[name=decision][value=accept]")
    assert page.locator(".field.has-error", has_text="身份证号码校验位不正确").is_visible()
    assert page.input_value("input[name=applicant_name]") == "张三"
    shot(page, "10-accept-bad-id")
    assert not Case.objects.exists()

    # One-time correction: the first press lists what is missing, the second issues the notice.
    page.fill("input[name=id_number]", f.PERSON_ID)
    page.locator(".material-received").first.uncheck()
    with page.expect_navigation():
        page.click("button[name=decision][value=correct]")
    first_missing = page.locator("input[name=missing-0-name]")
    assert first_missing.input_value() == item.current_version().materials.order_by("seq").first().name
    page.fill("input[name=missing-0-problem]", "未提交申请表原件")
    shot(page, "12-accept-correction")
    with page.expect_navigation():
        page.click("#correction button[name=decision][value=correct]")
    assert page.locator("#case-state").inner_text() == "补正中"
    assert page.locator(".print-banner", has_text="补正材料通知书").is_visible()

    case = f.receive(people["clerk"], item)
    page.goto(f"{base}/workbench/cases/{case.number}/")
    action = page.locator("#action-panel details.action", has=page.locator("summary", has_text="不予受理"))
    action.locator("summary").click()
    page.once("dialog", lambda dialog: dialog.accept())  # negative actions ask for confirmation
    with page.expect_response(lambda r: r.url.endswith("/act/")) as answer:
        action.locator("button[type=submit]").click()
    # htmx posted it and swapped only the action panel with the refusal.
    assert answer.value.status == 400 and answer.value.request.headers.get("hx-request") == "true"
    page.locator("#action-panel .alert-error", has_text="不予受理必须写明理由").wait_for()
    shot(page, "11-case-action-error")
    case.refresh_from_db()
    assert case.state == State.RECEIVED
