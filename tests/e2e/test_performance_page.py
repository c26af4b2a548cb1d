"""绩效考核 in a real browser: a supervisor reads the ranking of October 2026 with its two charts (the
ranking and the trend over six months), opens a department's breakdown and exports the Excel file.

Five departments, cases completed from May to October with their own on-time and early rates, cards
for some, and the manual areas scored for every department but one. The clock is frozen on
5 November 2026. Screenshots go to test-artifacts/screenshots/.
"""

import datetime as dt
import io
import os
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from shenpi import clock
from shenpi.performance import services
from shenpi.performance.periods import Period
from shenpi.performance.scoring import Scheme
from shenpi.supervision.models import Level
from tests import factories as f
from tests.browser import fresh_page, log_in, shot
from tests.performance.conftest import NOW, alert, at, make_case

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MONTHS = (5, 6, 7, 8, 9, 10)
# name, cases a month, late of them, early of them, yellow cards a month
DEPARTMENTS = (
    ("市场监督管理局", 6, 0, 4, 0),
    ("住房和城乡建设局", 6, 2, 1, 2),
    ("自然资源和规划局", 5, 1, 3, 1),
    ("人力资源和社会保障局", 4, 0, 2, 0),
    ("交通运输局", 4, 1, 0, 1),
)


@pytest.fixture
def page():
    with fresh_page() as page:
        yield page


@pytest.fixture
def city():
    clock.set_now(NOW)
    supervisor = None
    departments = []
    for sort, (name, per_month, late, early, cards) in enumerate(DEPARTMENTS, start=1):
        dept = f.department(name, sort=sort)
        people = f.staff(dept)
        supervisor = supervisor or people["supervisor"]
        item = f.item(dept, name=f"{name}许可")
        for month in MONTHS:
            # Later months a little better for the first departments, worse for the last: a trend to draw.
            shift = (month - 7) // 2 if sort <= 2 else -((month - 7) // 2)
            late_now = max(0, min(per_month, late - shift))
            for n in range(per_month):
                due = dt.date(2026, month, 20)
                done = 22 if n < late_now else (15 if n < late_now + early else 20)
                make_case(dept, item, people["clerk"], received=at(2026, month, 5), completed=at(2026, month, done),
                          due=due, limit=10, used=10)
            for n in range(max(0, cards - shift)):
                alert("time.case", Level.YELLOW, dept, at(2026, month, 21, 9 + n), subject=f"case:{sort}{month}{n}",
                      answered=n == 0)
        departments.append(dept)
    areas = Scheme.load().manual_areas
    for month in (Period.parse("2026-09"), Period.parse("2026-10")):
        for area in areas:
            entries = {d.pk: (Decimal(100 - 5 * (i % 3)), "") for i, d in enumerate(departments[:-1])}
            services.enter_manual_scores(actor=supervisor, area=area, month=month, entries=entries)
    return supervisor, departments


def test_the_ranking_with_its_charts_breakdown_and_excel(live_server, page, city):
    supervisor, departments = city
    log_in(page, live_server.url, supervisor)
    page.goto(f"{live_server.url}/performance/?period=2026-10")
    rows = page.locator(".perf-table > tbody > tr.perf-row")
    expect(rows).to_have_count(len(DEPARTMENTS))
    # The heads say what each area is worth; the department not scored by hand is marked, not hidden.
    heads = page.locator(".perf-table > thead th").all_inner_texts()
    assert any("满分14" in h for h in heads) and any("满分10" in h for h in heads)
    expect(page.locator("#perf-incomplete")).to_contain_text("1个部门的人工评分项尚未录入")
    missing = rows.filter(has_text="交通运输局")
    expect(missing.locator(".perf-missing")).to_have_count(len(Scheme.load().manual_areas))
    # Both charts are drawn (ECharts on a canvas), the trend over the six months up to October.
    for chart in ("chart-ranking", "chart-trend"):
        expect(page.locator(f"#{chart} canvas")).to_have_count(1)
    ranking = services.assess(Period.parse("2026-10"))
    scores = [f"{float(row.score):.2f}" for row in ranking.rows]
    assert rows.locator(".perf-score").all_inner_texts()[0].startswith(scores[0])
    shot(page, "performance-01-ranking")

    # A department's breakdown: each area's points out of what it is worth.
    rows.first.locator("xpath=following-sibling::tr[1]").locator("summary").click()
    expect(page.locator(".perf-breakdown").first).to_be_visible()
    shot(page, "performance-02-breakdown")

    # The Excel file: a title row, the conditions, the heads, readable widths.
    with page.expect_download() as download:
        page.click("text=导出 Excel")
    with open(download.value.path(), "rb") as file:
        book = load_workbook(io.BytesIO(file.read()))
    sheet = book["考核排名"]
    assert sheet["A1"].value == "2026年10月部门绩效考核排名" and "考核期间：2026年10月" in sheet["A2"].value
    assert sheet.column_dimensions["B"].width >= 2 * len("人力资源和社会保障局")
