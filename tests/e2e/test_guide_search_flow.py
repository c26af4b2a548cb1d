"""From the search box to the application form, in a real browser.

Someone types 环评 on the front page: the synonym dictionary finds 建设项目环境影响评价文件审批; its
guide offers 在线办理, 预约 and the application form, which downloads as a workbook holding the
item's own fields. The footer of every public page leads to 咨询, 投诉 and 评价. Screenshots:
test-artifacts/screenshots/portal-search-*.png.
"""

import io
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from shenpi.accounts.models import Role
from shenpi.catalog import services as catalog
from shenpi.demo import applicationforms
from shenpi.demo.catalogue import ALL_ITEMS
from shenpi.demo.generator import _materials, _version_fields
from shenpi.portal.models import SearchSynonym
from tests import factories as f
from tests.browser import fresh_page, shot

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still sync.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

EIA = "建设项目环境影响评价文件审批"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalogue(db):
    """The demo's 环评 item (organisations only, online application, its form) and a few others."""
    dept = f.department("示范市生态环境局", short_name="环保局", phone="0000-88120009")
    f.staff(dept)
    data = next(d for d in ALL_ITEMS if d.name == EIA)
    steps = [catalog.StepEntry(1, "审查", Role.HANDLER), catalog.StepEntry(2, "审核", Role.REVIEWER),
             catalog.StepEntry(3, "审批", Role.APPROVER)]
    item, _ = catalog.build_item("SF-HUANBAO-001", dept, version=_version_fields(data, dept),
                                 materials=_materials(data, "SF-HUANBAO-001", dept, False), steps=steps)
    f.item(dept, name="排污许可证核发")
    f.item(dept, name="建设项目环境保护设施竣工验收备案")
    SearchSynonym.objects.get_or_create(term="环评", defaults={"meanings": "环境影响评价"})
    return item, data


def test_searching_huanping_leads_to_the_guide_its_buttons_and_the_form(live_server, catalogue):
    item, data = catalogue
    base = live_server.url
    with fresh_page() as page:
        page.goto(f"{base}/")
        page.fill("#home-q", "环评")
        with page.expect_navigation():
            page.press("#home-q", "Enter")
        first = page.locator(".guide-entry .guide-name").first
        expect(first).to_have_text(EIA)
        expect(page.locator(".search-also")).to_contain_text("环境影响评价")
        expect(page.locator(".results-title")).not_to_contain_text("相近")
        shot(page, "portal-search-01-huanping")

        with page.expect_navigation():
            first.click()
        expect(page.locator("h1")).to_have_text(EIA)
        actions = page.locator(".item-actions")
        expect(actions.get_by_role("link", name="在线办理")).to_be_visible()
        expect(actions.get_by_role("link", name="预约到窗口办理")).to_be_visible()
        expect(actions.get_by_role("link", name="咨询")).to_be_visible()
        expect(page.locator(".audience-note")).to_have_text("本事项仅限法人和其他组织申请，个人不能申请。")
        form_name = data.materials[applicationforms.form_material(data)].name
        expect(page.locator("#materials")).to_contain_text("下载表格")
        shot(page, "portal-search-02-guide")

        with page.expect_download() as download:
            actions.get_by_role("link", name=f"下载{form_name}").click()
        assert download.value.suggested_filename == f"{form_name}.xlsx"
        sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
        texts = {cell for row in sheet.iter_rows(values_only=True) for cell in row if cell}
        assert form_name in texts
        assert {"单位名称", "统一社会信用代码", "环评文件类别(报告书/报告表)", "主要污染物及防治措施"} <= texts
        assert {f"{n}. {m.name}" for n, m in enumerate(data.materials, start=1)} <= texts

        with page.expect_navigation():
            actions.get_by_role("link", name="在线办理").click()
        assert page.url.endswith(f"/apply/items/{item.code}/")
        expect(page.locator("h1")).to_have_text(EIA)
        page.go_back()
        with page.expect_navigation():
            page.locator(".item-actions").get_by_role("link", name="预约到窗口办理").click()
        assert page.url.endswith(f"/appointments/items/{item.code}/")
        shot(page, "portal-search-03-appointment")

        # Every public page's footer leads to consultation, complaints and ratings.
        for name, path in (("咨询与常见问题", "/consult/"), ("投诉举报", "/complaints/"),
                           ("办件评价（好差评）", "/ratings/")):
            with page.expect_navigation():
                page.locator(".foot-links").get_by_role("link", name=name).click()
            assert page.url == f"{base}{path}"
        expect(page.locator(".portal-nav").get_by_role("link", name="投诉")).to_be_visible()
