"""统计报表 in a real browser: a supervisor opens the statistics home page with its four charts, the
办件量 report for October 2026, changes a filter (only online applications, then by month), drills
down from a figure to the cases behind it, and downloads the Excel file, read back with openpyxl.

The small city of tests/performance/conftest.py (clock frozen on 5 November 2026), its aggregates
rebuilt after planting. Screenshots go to test-artifacts/screenshots/.
"""

import io
import os

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from shenpi.figures import upkeep
from tests.browser import fresh_page, log_in, shot
from tests.performance.conftest import frozen, world  # noqa: F401

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def page():
    with fresh_page() as page:
        yield page


@pytest.fixture
def built(world):  # noqa: F811
    upkeep.rebuild()
    return world


def test_filters_drill_down_and_excel_of_the_volume_report(live_server, built, page):
    base = live_server.url
    log_in(page, base, built.people_a["supervisor"])
    page.goto(f"{base}/reports/?period=2026-10")
    for chart in ("chart-trend", "chart-ranking", "chart-channels", "chart-hours"):
        expect(page.locator(f"#{chart} canvas")).to_have_count(1)
    expect(page.locator(".rep-figure-value").first).to_have_text("9")  # received: 7 in A, 2 in B
    shot(page, "reports-01-home")

    page.click("#rep-list >> text=办件量统计")
    page.wait_for_url("**/reports/volume/?period=2026-10")
    rows = page.locator("#rep-table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#chart-report canvas")).to_have_count(1)
    expect(rows.filter(has_text="住房和城乡建设局").locator("td").nth(1)).to_have_text("7")
    expect(page.locator("#rep-table tfoot")).to_contain_text("合计")
    shot(page, "reports-02-volume")
    # Printed: the table, its title, conditions and "as of", without the navigation, filters or buttons.
    page.emulate_media(media="print")
    for hidden in (".sidenav", ".topbar", "#rep-filters", "#rep-export"):
        expect(page.locator(hidden)).to_be_hidden()
    for shown in ("#rep-table", "#rep-conditions", "#rep-as-of"):
        expect(page.locator(shown)).to_be_visible()
    page.emulate_media(media="screen")

    # Only online applications: one case of A, none of B.
    page.select_option("#rep-channel", "online")
    with page.expect_navigation():
        page.click("#rep-apply")
    expect(page.locator("#rep-conditions")).to_contain_text("申报渠道：网上申报")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(1)).to_have_text("1")

    # Typing dates clears the period shortcut (one or the other): September and October, by month.
    page.fill("#rep-from", "2026-09-01")
    page.fill("#rep-to", "2026-10-31")
    expect(page.locator("#rep-period")).to_have_value("")
    # Back to every channel, by month: A's October row drills down to its 7 cases received.
    page.select_option("#rep-channel", "")
    page.select_option("#rep-department", str(built.a.pk))
    page.select_option("#rep-by", "month")
    with page.expect_navigation():
        page.click("#rep-apply")
    expect(rows).to_have_count(2)
    expect(rows.first.locator("td").first).to_have_text("2026年9月")
    october = rows.filter(has_text="2026年10月")
    with page.expect_navigation():
        october.locator("td").nth(1).locator("a").click()
    expect(page.locator("#rep-case-count")).to_have_text("7")
    expect(page.locator("#rep-cases tbody tr")).to_have_count(7)
    shot(page, "reports-03-cases")
    with page.expect_navigation():
        page.click("text=返回报表")

    with page.expect_download() as download:
        page.click("#rep-export")
    with open(download.value.path(), "rb") as file:
        book = load_workbook(io.BytesIO(file.read()))
    sheet = book["报表"]
    assert sheet["A1"].value.endswith("办件量统计")
    assert "统计期间：2026-09-01 至 2026-10-31" in sheet["A2"].value and "部门：住房和城乡建设局" in sheet["A2"].value
    assert [c.value for c in sheet[3]] == ["月份", "收件数", "受理数", "办结数", "不予受理"]
    assert [c.value for c in sheet[4]] == ["2026年9月", 1, 1, 1, 0]
    assert [c.value for c in sheet[5]] == ["2026年10月", 7, 6, 5, 1]
    assert [c.value for c in sheet[6]] == ["合计", 8, 7, 6, 1]
    assert "口径说明" in book.sheetnames
