"""企业开办 online in a real browser: the applicant applies once (one form, each material once), the
comprehensive window accepts it (four departments' cases at once), and the applicant follows one progress."""

import os
import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from shenpi import clock
from shenpi.cases.models import Channel, State
from shenpi.online.models import StageApplication
from tests.applicants.helpers import PASSWORD, person_id
from tests.browser import browser_windows, shot
from tests.browser import log_in as staff_log_in
from tests.online.bundles import build
from tests.online.conftest import at, pdf

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


def test_an_applicant_applies_for_enterprise_set_up_online_and_follows_one_progress(live_server, new_page):
    bundle = build()
    base = live_server.url
    page, window = new_page(), new_page()
    clock.set_now(at(2026, 3, 2, 9))  # a Monday

    # -- the guide of 一件事, then the one form ----------------------------------------------------------
    page.goto(f"{base}/account/login/")
    page.fill("input[name=identifier]", person_id())
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.click(".account-actions a:has-text('一件事一次办')")
    page.wait_for_url(re.compile(r"/apply/bundles/$"))
    section = page.locator("#bundle-qiye-kaiban")
    expect(section.locator(".bundle-total")).to_have_text("2个工作日")
    expect(section.locator(".bundle-items")).to_contain_text("人力资源和社会保障局")
    expect(section.locator(".bundle-materials")).to_contain_text("企业开办申请表")
    shot(page, "bundle-online-01-guide")
    with page.expect_navigation():
        section.locator("button:has-text('在线申报')").click()
    app = StageApplication.objects.get()
    page.wait_for_url(re.compile(rf"/apply/stages/{app.number}/$"))
    expect(page.locator("#app-status")).to_have_text("草稿")
    expect(page.locator("#included-items tbody tr")).to_have_count(3)
    page.fill("input[name=title]", "杭州示范餐饮有限公司")
    page.check("input[name=answer-need_invoice]")
    with page.expect_navigation():
        page.click("#stage-form button:has-text('保存')")
    expect(page.locator("#included-items tbody tr")).to_have_count(4)  # 发票领用 with the answer yes
    for name in bundle.needed(invoice=True):
        row = page.locator(f"tr[data-material='{name}']")
        row.locator("input[type=file]").set_input_files({"name": f"{name}.pdf", "mimeType": "application/pdf",
                                                         "buffer": pdf()})
        with page.expect_navigation():
            row.locator("button[type=submit]").click()
        expect(page.locator(f"tr[data-material='{name}']")).to_contain_text(f"{name}.pdf")
    shot(page, "bundle-online-02-one-form")
    with page.expect_navigation():
        page.click("#stage-submit")
    expect(page.locator("#app-status")).to_have_text("待预审")

    # -- the comprehensive window accepts: every case opened at once ---------------------------------
    clock.set_now(at(2026, 3, 2, 14))
    staff_log_in(window, base, bundle.clerk)
    window.goto(f"{base}/workbench/prereview/")
    window.click("#stage-queue-link")
    window.wait_for_url(re.compile(r"/workbench/prereview/stages/$"))
    window.locator("tr", has_text=app.number).locator("a.case-link").click()
    window.wait_for_url(re.compile(rf"/workbench/prereview/stages/{app.number}/$"))
    shot(window, "bundle-online-03-prereview")
    with window.expect_navigation():
        window.click("#stage-accept")
    window.locator(".alert-success", has_text="4件办件已同时受理").wait_for()
    app.refresh_from_db()
    stage = app.stage
    cases = [part.case for part in stage.parts.all()]
    assert len(cases) == 4 and {c.channel for c in cases} == {Channel.ONLINE}
    assert {c.state for c in cases} == {State.IN_PROGRESS}

    # -- the applicant follows one progress -----------------------------------------------------------
    page.goto(f"{base}/account/")
    page.locator("#stages tr", has_text=stage.number).locator("a:has-text('查看整体进度')").click()
    page.wait_for_url(re.compile(rf"/account/stages/{stage.number}/$"))
    expect(page.locator("#stage-state")).to_have_text("办理中")
    expect(page.locator("#stage-total")).to_have_text("2个工作日")
    expect(page.locator("#stage-due")).to_have_text("2026年3月4日")
    expect(page.locator("#stage-count")).to_have_text("0/4项已作出决定")
    expect(page.locator("#stage-parts tbody tr")).to_have_count(4)
    shot(page, "bundle-online-04-one-progress")
    page.locator("#stage-parts a", has_text=cases[0].number).click()
    page.wait_for_url(re.compile(rf"/account/cases/{cases[0].number}/$"))
    expect(page.locator("#in-stage")).to_contain_text("企业开办")
