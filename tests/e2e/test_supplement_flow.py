"""After acceptance, in a real browser: a 补件 answered online, then the completion SMS's rating link.

A resident applies online and is accepted; the reviewer asks for 补件 during processing (a material
deferred at acceptance and a document not on the list); the applicant is told by SMS, finds the request
in 我的办件, uploads the files online (a disguised program is refused by its content) and the case resumes
with its clock moved by the working days it stood still; staff complete it; the completion SMS carries
the rating address of that case, the progress answer offers it too, and the applicant rates from 我的办件.
Screenshots go to test-artifacts/screenshots/; any console error fails the test.
"""

import datetime as dt
import os
import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from shenpi import clock
from shenpi.cases.models import Case, ClockStop, State
from shenpi.catalog.models import ItemVersion
from shenpi.crypto import sm3_hex
from shenpi.feedback.models import Rating
from shenpi.notifications.models import Notification
from shenpi.online.models import OnlineApplication
from tests import factories as f
from tests.applicants.helpers import PASSWORD as APPLICANT_PASSWORD
from tests.applicants.helpers import person_id, verified
from tests.browser import browser_windows, shot

from .test_portal_flow import EXE, PNG, at, pdf, perform, staff_log_in, upload

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still sync.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def new_page():
    with browser_windows() as open_page:
        yield open_page


@pytest.fixture
def centre():
    dept = f.department("住房和城乡建设局", short_name="住建局")
    people = f.staff(dept)
    item = f.item(dept, promised=10, statutory=20)
    version = item.current_version()
    version.online_depth = ItemVersion.OnlineDepth.FULL
    version.save()
    return dept, people, item


def sms(case: Case, template: str) -> str:
    return Notification.objects.get(case=case, template=template, channel=Notification.Channel.SMS).body


def test_a_supplement_is_answered_online_and_the_completed_case_is_rated(live_server, new_page, centre, settings):
    dept, people, item = centre
    base = live_server.url
    settings.PUBLIC_BASE_URL = base  # the address the SMS links point at
    form, plan, approval, _other = item.current_version().materials.order_by("seq")
    verified(name="李四", id_number=person_id(), mobile="13912345678")
    page, staff_page = new_page(), new_page()

    # -- the resident signs in and applies online --------------------------------------------------------
    clock.set_now(at(2026, 3, 2, 9))  # a Monday
    page.goto(f"{base}/account/login/")
    page.fill("input[name=identifier]", person_id())
    page.fill("input[name=password]", APPLICANT_PASSWORD)
    with page.expect_navigation():
        page.click("button:has-text('登 录')")
    page.goto(f"{base}/apply/items/{item.code}/")
    with page.expect_navigation():
        page.click("button:has-text('开始申报')")
    app = OnlineApplication.objects.get()
    page.fill("input[name=title]", "示范小区住宅楼")
    with page.expect_navigation():
        page.click("#app-form button:has-text('保存草稿')")
    upload(page, form.pk, "申请表.pdf", "application/pdf", pdf(2))
    upload(page, plan.pk, "规划许可证.pdf", "application/pdf", pdf(1))
    page.check("input[name=deferral_commitment]")  # the material allowed 容缺 follows after acceptance
    with page.expect_navigation():
        page.click("button[name=submit]:has-text('提交申请')")
    page.locator(".alert-success", has_text="申请已提交").wait_for()

    # -- the window accepts (the 审查合格书 is deferred: 容缺), the handler passes the first step ----------
    clock.set_now(at(2026, 3, 3, 9, 30))
    staff_log_in(staff_page, base, people["clerk"])
    staff_page.goto(f"{base}/workbench/prereview/{app.number}/")
    with staff_page.expect_navigation():
        staff_page.click(f"#action-panel form[action$='/prereview/{app.number}/accept/'] button")
    case = Case.objects.get()
    assert case.promised_due == dt.date(2026, 3, 16)
    staff_log_in(staff_page, base, people["handler"])
    staff_page.goto(f"{base}/workbench/cases/{case.number}/")
    perform(staff_page, "通过", {"textarea": "材料基本齐全，转审核。"})

    # -- the reviewer asks for 补件: the deferred material and a document not on the list ---------------
    clock.set_now(at(2026, 3, 4, 10))  # Wednesday
    staff_log_in(staff_page, base, people["reviewer"])
    staff_page.goto(f"{base}/workbench/cases/{case.number}/")
    label = "补件(暂停计时)"
    action = staff_page.locator("#action-panel details.action", has=staff_page.locator("summary", has_text=label))
    action.locator("summary").click()
    deferred = case.materials.get(name=approval.name)
    action.locator(f"input[name='request_supplement-materials'][value='{deferred.pk}']").check()
    action.locator("textarea[name='request_supplement-others']").fill("消防设计审查意见书")
    action.locator("textarea[name='request_supplement-reason']").fill("审核需要施工图审查合格书和消防设计审查意见。")
    shot(staff_page, "supplement-flow-01-request")
    with staff_page.expect_navigation():
        action.locator("button[type=submit]").click()
    staff_page.locator(".alert-success", has_text=f"已办理：{label}").wait_for()
    expect(staff_page.locator("#case-state")).to_have_text("暂停计时")
    case.refresh_from_db()
    assert case.state == State.SUSPENDED

    told = sms(case, "supplement_requested")
    assert f"1. {approval.name}（需补交）" in told and "2. 消防设计审查意见书（需补交）" in told
    assert "2026年3月11日前补交" in told  # 5 working days

    # -- the applicant finds it in 我的办件 and uploads the files online ----------------------------------
    clock.set_now(at(2026, 3, 6, 14))  # Friday
    page.goto(f"{base}/account/")
    row = page.locator("#cases tr", has_text=case.number)
    expect(row).to_contain_text("2026-03-11前")
    shot(page, "supplement-flow-02-my-cases")
    row.locator("a", has_text="补交材料").click()
    page.wait_for_url(re.compile(rf"/apply/cases/{case.number}/supplement/$"))
    expect(page.locator("#supplement-notice")).to_contain_text("2026年3月11日")
    files = page.locator("#supplement-form input[type=file]")
    expect(files).to_have_count(2)
    files.nth(0).set_input_files({"name": "合格书.pdf", "mimeType": "application/pdf", "buffer": pdf(2)})
    files.nth(1).set_input_files({"name": "消防意见.pdf", "mimeType": "application/pdf", "buffer": EXE})
    with page.expect_navigation():
        page.click("button:has-text('提交补件材料')")
    expect(page.locator("#supplement-1 .field-error")).to_contain_text("不是PDF、JPG、PNG文件")
    case.refresh_from_db()
    assert case.state == State.SUSPENDED
    scan = pdf(2)
    files.nth(0).set_input_files({"name": "合格书.pdf", "mimeType": "application/pdf", "buffer": scan})
    files.nth(1).set_input_files({"name": "消防意见.jpg", "mimeType": "image/jpeg", "buffer": PNG})
    page.fill("#supplement-comment", "已按要求补交。")
    shot(page, "supplement-flow-03-upload")
    with page.expect_navigation():
        page.click("button:has-text('提交补件材料')")
    page.wait_for_url(re.compile(rf"/account/cases/{case.number}/$"))
    page.locator(".alert-success", has_text="补件材料已提交").wait_for()
    expect(page.locator("#supplement")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("申请人网上补件")

    # The case resumes: two working days stood still (Thursday, Friday), the dues moved by them.
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS and case.stopped_days == 2
    assert case.promised_due == dt.date(2026, 3, 18)
    assert ClockStop.objects.get(case=case).ended_at is not None
    received = case.materials.get(name=approval.name)
    assert received.received and received.content_hash == sm3_hex(scan)
    assert case.materials.get(name="消防设计审查意见书（补交）").content_type == "image/png"

    # -- staff finish the case --------------------------------------------------------------------------
    staff_page.reload()
    expect(staff_page.locator("#case-state")).to_have_text("办理中")
    perform(staff_page, "通过", {"textarea": "同意。"})
    staff_log_in(staff_page, base, people["approver"])
    staff_page.goto(f"{base}/workbench/cases/{case.number}/")
    perform(staff_page, "通过", {"textarea": "同意。"})
    perform(staff_page, "准予许可")
    clock.set_now(at(2026, 3, 9, 10))
    staff_log_in(staff_page, base, people["clerk"])
    staff_page.goto(f"{base}/workbench/cases/{case.number}/")
    perform(staff_page, "送达办结")
    case.refresh_from_db()
    assert case.state == State.COMPLETED

    # -- the completion SMS's link opens the rating of that case ---------------------------------------
    link = re.search(r"(http://\S+/ratings/\?number=\w+)", sms(case, "case_completed")).group(1)
    assert link == f"{base}/ratings/?number={case.number}"
    page.goto(link)
    assert page.input_value("#r-number") == case.number

    # The progress answer offers it as well.
    page.goto(f"{base}/query/?number={case.number}")
    page.fill("#query-code", case.query_code)
    with page.expect_navigation():
        page.click(".query-form button[type=submit]")
    expect(page.locator("section.progress .state")).to_have_text("已办结")
    expect(page.locator("#rate-case a")).to_have_attribute("href", f"/ratings/?number={case.number}")
    shot(page, "supplement-flow-04-progress-rate-link")

    # -- the applicant rates from 我的办件 ----------------------------------------------------------------
    page.goto(f"{base}/account/")
    page.locator("#cases tr", has_text=case.number).locator("a", has_text="评价").click()
    page.wait_for_url(re.compile(rf"/ratings/mine/{case.number}/$"))
    page.locator("label.level", has_text="非常满意").locator("input").check()
    page.fill("#rate-comment", "网上补件，不用跑窗口。")
    with page.expect_navigation():
        page.click("form button:has-text('提交评价')")
    expect(page.locator("h1")).to_have_text("感谢您的评价")
    shot(page, "supplement-flow-05-rated")
    rating = Rating.objects.get(case=case)
    assert rating.level == 5 and rating.comment == "网上补件，不用跑窗口。"
