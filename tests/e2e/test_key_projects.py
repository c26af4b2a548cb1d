"""重点项目跟踪督查 in a real browser: a supervisor filters the key-project board by district and by late
projects, opens a project's Gantt chart (drawn by ECharts from the page's JSON), and downloads the
monthly report (专报), read back with openpyxl.

The three key projects of tests/joint/test_board.py, the clock frozen on 18 March 2026.
Screenshots go to test-artifacts/screenshots/.
"""

import io
import os

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser import fresh_page, log_in, shot
from tests.joint import conftest as joint
from tests.joint import test_board

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

world = joint.world
tracked = test_board.tracked


@pytest.fixture
def page():
    with fresh_page() as page:
        yield page


def test_the_board_with_filters_gantt_chart_and_monthly_report(live_server, world, tracked, page):
    supervisor = world.people[0]["supervisor"]
    log_in(page, live_server.url, supervisor)
    page.goto(f"{live_server.url}/workbench/projects/board/")
    rows = page.locator("tr.kp-row")
    expect(rows).to_have_count(3)
    late = rows.filter(has_text=tracked["late"].code)
    expect(late.locator(".kp-trend")).to_have_text("滞后")
    expect(late).to_contain_text("发展和改革局，超期2个工作日")
    expect(rows.filter(has_text=tracked["ahead"].code).locator(".kp-trend")).to_have_text("提前")
    expect(late.locator("svg.kp-spark rect")).to_have_count(1)
    shot(page, "key-projects-01-board")

    # Filters: the district, then late projects only.
    page.select_option("select[name=district]", label="上城区")
    with page.expect_navigation():
        page.click("#board-filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(tracked["green"].code)
    page.click("text=清除")
    page.select_option("select[name=state]", value="late")
    with page.expect_navigation():
        page.click("#board-filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(tracked["late"].code)

    # The monthly report of the filtered board.
    page.select_option("#board-export select[name=month]", value="2026-03")
    with page.expect_download() as download:
        page.click("#export-button")
    with open(download.value.path(), "rb") as file:
        sheet = load_workbook(io.BytesIO(file.read())).active
    assert sheet["A1"].value == "重点项目审批进度专报（2026年3月）"
    assert "仅滞后项目" in sheet["A2"].value
    assert [r[1] for r in sheet.iter_rows(min_row=4, values_only=True)] == [tracked["late"].code]
    assert download.value.suggested_filename == "重点项目专报-2026-03.xlsx"

    # The project's name opens its page; its Gantt chart has planned and actual bars, drawn on a canvas.
    project_page = f"/workbench/projects/p/{tracked['late'].code}/"
    expect(rows.first.locator("a.case-link")).to_have_attribute("href", project_page)
    with page.expect_navigation():
        rows.first.locator("a", has_text="甘特图").click()
    expect(page.locator("h1")).to_have_text(tracked["late"].name)
    expect(page.locator("#gantt-chart")).to_have_attribute("data-rendered", "true")
    expect(page.locator("#gantt-chart canvas")).to_have_count(1)
    expect(page.locator("#gantt-table tbody tr")).to_have_count(4)
    expect(page.locator("#gantt-table tr.kp-row-late")).to_have_count(1)
    shot(page, "key-projects-02-gantt")
