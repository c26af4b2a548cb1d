"""The public portal end to end in a real browser, the applicant's side and the staff's side in two windows.

An organisation registers (the SMS code is read back from the notification outbox, as the phone would
show it), applies online with uploads, receives the window's one-time correction notice, corrects and
is accepted; staff work the case to 已办结; the applicant queries its progress publicly with the query
code from the acceptance, rates it 非常不满意, and the department finds the rectification task in
差评整改. Screenshots of the main pages go to test-artifacts/screenshots/; any console error (a
Content-Security-Policy violation, a missing asset, a script error) fails the test.
"""

import base64
import datetime as dt
import io
import logging
import os
import re

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfWriter

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.applicants.models import Applicant
from shenpi.cases.models import Case, Channel, State
from shenpi.catalog.models import ItemVersion
from shenpi.feedback.models import Rating, RatingFollowUp
from shenpi.notifications.models import Notification
from shenpi.online.models import OnlineApplication
from tests import factories as f
from tests.applicants.helpers import uscc
from tests.browser import browser_windows, shot
from tests.browser import log_in as staff_log_in

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still sync.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

APPLICANT_PASSWORD = "Kaishi-banshi-2026"
# A real 1×1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
                       "AAAABJRU5ErkJggg==")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    """Uploads land in a scratch directory; rate-limit counters start empty."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def new_page():
    """Opens browser windows with their own cookies: one for the applicant, one for staff."""
    with browser_windows() as open_page:
        yield open_page


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


def sms_code(caplog) -> str:
    """The code in the latest registration SMS as the log backend sent it: the test stands in for the
    phone. The outbox keeps it masked, and its sealed copy is wiped once sent."""
    latest = Notification.objects.filter(template="mobile_code").order_by("-pk").first()
    assert re.search(r"验证码为\*{6}", latest.body) and latest.sealed_body == ""
    sent = [r.getMessage() for r in caplog.records if r.name == "shenpi.notifications" and "验证码为" in r.getMessage()]
    return re.search(r"验证码为(\d{6})", sent[-1]).group(1)


def upload(page, spec_id: int, name: str, mime: str, content: bytes) -> None:
    """Choose a file for one material's row and send it; the page comes back with the row."""
    row = page.locator(f"#material-{spec_id}")
    row.locator("input[type=file]").set_input_files({"name": name, "mimeType": mime, "buffer": content})
    with page.expect_navigation():
        row.locator("button[type=submit]").click()


@pytest.fixture
def centre():
    """住建局 with its window and staff, and an item organisations apply for online."""
    dept = f.department("住房和城乡建设局", short_name="住建局")
    people = f.staff(dept)
    names = {Role.CLERK: "王晓梅", Role.HANDLER: "李建国", Role.REVIEWER: "赵文静", Role.APPROVER: "陈志远",
             Role.LIAISON: "周联络"}
    for code, name in names.items():
        people[code].full_name = name
        people[code].save()
    item = f.item(dept, promised=10, statutory=20)
    version = item.current_version()
    version.audience = ItemVersion.Audience.ORGANISATION
    version.online_depth = ItemVersion.OnlineDepth.FULL
    version.save()
    return dept, people, item


def test_an_organisation_applies_online_corrects_is_served_rates_badly_and_the_department_follows_up(
        live_server, new_page, centre, caplog):
    caplog.set_level(logging.INFO, logger="shenpi.notifications")
    dept, people, item = centre
    base = live_server.url
    form, plan, approval, other = item.current_version().materials.order_by("seq")  # 申请表, 规划许可证, 合格书, 其他
    applicant_page, staff_page = new_page(), new_page()
    page = applicant_page

    # -- the organisation registers and verifies its contact's mobile ---------------------------------
    clock.set_now(at(2026, 3, 2, 9))  # a Monday
    page.goto(f"{base}/account/register/?kind=organisation")
    expect(page.locator(".kind-tabs a[aria-current=page]")).to_contain_text("法人注册")
    page.fill("input[name=name]", "示范建设集团有限公司")
    page.fill("input[name=id_number]", uscc())
    page.fill("input[name=contact_name]", "王五")
    page.fill("input[name=mobile]", "13912345678")
    page.fill("input[name=password]", APPLICANT_PASSWORD)
    page.fill("input[name=password2]", APPLICANT_PASSWORD)
    shot(page, "portal-flow-01-register-organisation")
    with page.expect_navigation():
        page.click("button:has-text('注册并获取验证码')")
    page.wait_for_url(re.compile(r"/account/verify/$"))
    expect(page.locator("main")).to_contain_text("139****5678")
    page.fill("input[name=code]", sms_code(caplog))
    with page.expect_navigation():
        page.click("button:has-text('验证并开通账号')")
    page.wait_for_url(re.compile(r"/account/$"))
    page.locator(".alert-success", has_text="手机号码验证成功").wait_for()
    applicant = Applicant.objects.get()
    assert applicant.verified and applicant.kind == "organisation" and applicant.contact_name == "王五"

    # -- it applies online: form, uploads (a disguised program is refused), submit --------------------
    page.click(".account-actions a:has-text('网上申报')")
    page.wait_for_url(re.compile(r"/apply/$"))
    page.locator("tr", has_text=item.code).locator("a", has_text="我要申报").click()
    page.wait_for_url(re.compile(rf"/apply/items/{item.code}/$"))
    with page.expect_navigation():
        page.click("button:has-text('开始申报')")
    app = OnlineApplication.objects.get()
    page.wait_for_url(re.compile(rf"/apply/{app.number}/$"))
    expect(page.locator("#app-status")).to_have_text("草稿")
    assert page.input_value("input[name=contact_name]") == "王五"  # taken from the account
    page.fill("input[name=title]", "示范大厦工程")
    page.fill("textarea[name=description]", "新建办公楼一栋，地上12层。")
    with page.expect_navigation():
        page.click("#app-form button:has-text('保存草稿')")
    page.locator(".alert-success", has_text="草稿已保存").wait_for()

    upload(page, form.pk, "申请表.pdf", "application/pdf", EXE)
    expect(page.locator(f"#material-{form.pk} .field-error")).to_contain_text("不是PDF、JPG、PNG文件")
    upload(page, form.pk, "申请表.pdf", "application/pdf", pdf(2))
    page.locator(".alert-success", has_text=f"“{form.name}”已上传：申请表.pdf").wait_for()
    upload(page, plan.pk, "规划许可证.jpg", "image/jpeg", PNG)  # named .jpg, recognised by its content
    page.locator(".alert-success", has_text="按文件内容识别为PNG").wait_for()
    expect(page.locator(f"#material-{plan.pk}")).to_contain_text("规划许可证.png")
    shot(page, "portal-flow-02-application-with-uploads")
    # The material allowed 容缺 follows after acceptance, on the applicant's commitment.
    page.check("input[name=deferral_commitment]")
    with page.expect_navigation():
        page.click("button[name=submit]:has-text('提交申请')")
    page.locator(".alert-success", has_text="申请已提交").wait_for()
    expect(page.locator("#app-status")).to_have_text("待预审")
    expect(page.locator(".stage-note-info")).to_contain_text("等待窗口预审")

    # -- the window finds it in the pre-review queue and issues the one-time correction notice --------
    clock.set_now(at(2026, 3, 3, 9, 30))
    staff_log_in(staff_page, base, people["clerk"])
    staff_page.click(".sidenav >> text=网上预审")
    staff_page.wait_for_url(re.compile(r"/workbench/prereview/"))
    queued = staff_page.locator("table tbody tr", has_text=app.number)
    expect(queued).to_contain_text("示范建设集团有限公司")
    expect(queued).to_contain_text("2026-03-04")  # 2 working days after submission
    shot(staff_page, "portal-flow-03-prereview-queue")
    queued.locator("a.case-link").click()
    staff_page.wait_for_url(re.compile(rf"/workbench/prereview/{app.number}/$"))
    correction = staff_page.locator("#action-panel details.action", has=staff_page.locator(
        "summary", has_text="一次性告知补正"))
    correction.locator("summary").click()
    for spec, problem in ((plan, "复印件不清晰，请上传原件扫描件"), (approval, "未提交")):
        correction.locator(f"input[name=item-{spec.pk}]").check()
        correction.locator(f"input[name=problem-{spec.pk}]").fill(problem)
    correction.locator("textarea[name=note]").fill("请一次性补正后重新提交。")
    with staff_page.expect_navigation():
        correction.locator("button:has-text('出具一次性告知')").click()
    staff_page.locator(".alert-success", has_text="一次性补正告知").wait_for()

    # -- the applicant sees the notice, uploads what was listed and resubmits ---------------------------
    page.goto(f"{base}/account/")
    page.locator("#applications tr", has_text=app.number).locator("a", has_text=app.number).click()
    page.wait_for_url(re.compile(rf"/apply/{app.number}/$"))
    expect(page.locator("#app-status")).to_have_text("待补正")
    notice = page.locator("#correction-notice")
    expect(notice.locator("li")).to_have_count(2)
    expect(notice).to_contain_text("复印件不清晰，请上传原件扫描件")
    expect(notice).to_contain_text(f"{approval.name}：未提交")
    expect(notice).to_contain_text("说明：请一次性补正后重新提交。")
    # Only the listed materials can be uploaded again.
    expect(page.locator(f"#material-{form.pk} input[type=file]")).to_have_count(0)
    shot(page, "portal-flow-04-correction-notice")
    upload(page, plan.pk, "规划许可证（原件扫描）.pdf", "application/pdf", pdf(1))
    page.locator(".alert-success", has_text=f"“{plan.name}”已上传").wait_for()
    upload(page, approval.pk, "审查合格书.pdf", "application/pdf", pdf(3))
    page.locator(".alert-success", has_text=f"“{approval.name}”已上传").wait_for()
    with page.expect_navigation():
        page.click("button[name=submit]:has-text('提交补正材料')")
    page.locator(".alert-success", has_text="补正材料已重新提交").wait_for()
    expect(page.locator("#app-status")).to_have_text("待预审")

    # -- the window accepts: an online case with the uploads attached ---------------------------------
    clock.set_now(at(2026, 3, 4, 10))
    staff_page.goto(f"{base}/workbench/prereview/{app.number}/")
    expect(staff_page.locator("#app-status")).to_have_text("待预审")
    with staff_page.expect_navigation():
        staff_page.click(f"#action-panel form[action$='/prereview/{app.number}/accept/'] button")
    case = Case.objects.get()
    staff_page.wait_for_url(re.compile(rf"/workbench/cases/{case.number}/"))
    staff_page.locator(".alert-success", has_text=f"预审通过，已受理，办件编号 {case.number}").wait_for()
    expect(staff_page.locator("#case-state")).to_have_text("办理中")
    assert case.channel == Channel.ONLINE
    assert case.materials.filter(received=True).count() == 3

    # The applicant sees the acceptance, with the number and query code of the acceptance notice.
    page.reload()
    expect(page.locator("#app-status")).to_have_text("已受理")
    accepted = page.locator(".stage-note-ok")
    expect(accepted).to_contain_text(case.number)
    query_code = accepted.locator(".mono").nth(1).inner_text().strip()
    assert query_code == Case.objects.get().query_code  # decrypted on read

    # -- staff work the case to completion in the workbench ---------------------------------------------
    for role, opinion in (("handler", "材料齐全，符合条件，拟同意。"), ("reviewer", "经审核，同意。"),
                          ("approver", "同意。")):
        staff_log_in(staff_page, base, people[role])
        row = staff_page.locator("table tr", has_text=case.number)
        row.locator("a.case-link").click()
        staff_page.wait_for_url(re.compile(case.number))
        if role == "handler":
            expect(staff_page.locator(".timeline")).to_contain_text("受理")
            shot(staff_page, "portal-flow-05-case-page-online")
        perform(staff_page, "通过", {"textarea": opinion})
    perform(staff_page, "准予许可")
    clock.set_now(at(2026, 3, 6, 15))
    staff_log_in(staff_page, base, people["clerk"])
    staff_page.goto(f"{base}/workbench/cases/{case.number}/")
    perform(staff_page, "送达办结")
    expect(staff_page.locator("#case-state")).to_have_text("已办结")
    case.refresh_from_db()
    assert case.state == State.COMPLETED

    # -- the applicant queries the progress publicly with the number and query code ---------------------
    clock.set_now(at(2026, 3, 9, 10))
    page.context.clear_cookies()  # anyone with the notice may ask, signed in or not
    page.goto(f"{base}/")
    page.click(".portal-nav a:has-text('进度查询')")
    page.wait_for_url(re.compile(r"/query/$"))
    page.fill("#query-number", case.number)
    page.fill("#query-code", query_code)
    with page.expect_navigation():
        page.click(".query-form button[type=submit]")
    result = page.locator("section.progress")
    expect(result.locator(".state")).to_have_text("已办结")
    expect(result).to_contain_text(case.number)
    expect(result).to_contain_text("住房和城乡建设局")
    for opinion in ("材料齐全，符合条件，拟同意。", "经审核，同意。"):
        expect(result).not_to_contain_text(opinion)  # staff-internal opinions stay inside
    shot(page, "portal-flow-06-query-result")

    # -- ... and rates it 非常不满意: first without a reason (refused), then with one -------------------
    page.goto(f"{base}/ratings/?number={case.number}")
    assert page.input_value("#r-number") == case.number
    page.fill("#r-code", query_code)
    page.locator("label.level", has_text="非常不满意").locator("input").check()
    with page.expect_navigation():
        page.click("form button:has-text('提交评价')")
    expect(page.locator("main")).to_contain_text("请填写不满意的原因")
    assert not Rating.objects.exists()
    page.fill("#r-code", query_code)  # a password field is not sent back
    expect(page.locator("label.level", has_text="非常不满意").locator("input")).to_be_checked()
    page.fill("#rate-reason", "补正告知后又让我跑了一趟窗口核对原件。")
    page.fill("#rate-name", "王五")
    page.fill("#rate-mobile", "13912345678")
    shot(page, "portal-flow-07-rating-form")
    with page.expect_navigation():
        page.click("form button:has-text('提交评价')")
    expect(page.locator("h1")).to_have_text("感谢您的评价")
    expect(page.locator("main")).to_contain_text("我们已将您的意见转交住房和城乡建设局")
    follow_up = RatingFollowUp.objects.get()
    assert follow_up.rating.case == case and follow_up.rating.level == 1 and follow_up.department == dept
    assert follow_up.due == dt.date(2026, 3, 16)  # 5 working days

    # -- the department's liaison finds the rectification task in 差评整改 -------------------------------
    staff_log_in(staff_page, base, people["liaison"])
    staff_page.click(".sidenav >> text=差评整改")
    staff_page.wait_for_url(re.compile(r"/workbench/feedback/follow-ups/"))
    task = staff_page.locator("table tbody tr", has_text=case.number)
    expect(task).to_contain_text("非常不满意")
    expect(task).to_contain_text("2026-03-16")
    expect(task).to_contain_text("未回访")
    shot(staff_page, "portal-flow-08-follow-up-tasks")
    task.locator("a", has_text="非常不满意").click()
    staff_page.wait_for_url(re.compile(rf"/workbench/feedback/follow-ups/{follow_up.pk}/$"))
    expect(staff_page.locator("main")).to_contain_text("补正告知后又让我跑了一趟窗口核对原件。")
