"""The statistics pages: access, filters, the 办件量 figures against direct counts, drill-down, Excel.

The world (tests/performance/conftest.py): department A with 7 cases received in October 2026 (one
online, one refused, one voided and never counted), 5 completed; department B with 2 received and
2 completed. The clock is frozen at 2026-11-05 10:00 (Asia/Shanghai).
"""

import datetime as dt
import io
import re

import pytest
from django.http import QueryDict
from django.test import Client
from openpyxl import load_workbook

from shenpi import clock
from shenpi.cases.models import Case, State
from shenpi.figures import upkeep
from shenpi.reports.forms import parse
from shenpi.reports.registry import REPORTS
from tests import factories as f
from tests.performance.conftest import at, make_case

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
MOMENT = {"received": "received_at", "accepted": "accepted_at", "completed": "completed_at", "refused": "closed_at"}
DRILL = re.compile(r'href="(/reports/volume/cases/\?[^"]+)">([\d,]+)</a>')


def html(response) -> str:
    return response.content.decode()


def direct(column: str, first: dt.date, last: dt.date, **where) -> set[str]:
    """The case numbers a 办件量 column counts, straight from the cases (not through the aggregates)."""
    start, end = clock.days_range(first, last)
    cases = Case.objects.exclude(state=State.VOIDED).filter(
        **{f"{MOMENT[column]}__gte": start, f"{MOMENT[column]}__lt": end}, **where)
    if column == "completed":
        cases = cases.filter(state=State.COMPLETED)
    if column == "refused":
        cases = cases.filter(state=State.REFUSED)
    return set(cases.values_list("number", flat=True))


@pytest.fixture
def built(world):
    # A case received 00:30 on 1 October local time (still 30 September in UTC): an October case.
    world.cases["midnight"] = make_case(world.b, world.item_b, world.people_b["clerk"],
                                        received=at(2026, 10, 1, 0, 30), state=State.IN_PROGRESS)
    upkeep.rebuild()
    return world


def supervisor(world) -> Client:
    return world.client(world.people_a["supervisor"])


def test_pages_need_signed_in_staff_with_a_department(built):
    for url in ("/reports/", "/reports/volume/", "/reports/volume/definition/", "/reports/volume.xlsx",
                "/reports/volume/cases/?column=received"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert built.client(f.user(built.a)).get("/reports/").status_code == 403  # no role
    response = built.client(f.user(None, "handler")).get("/reports/volume/")
    assert response.status_code == 403 and "未归属部门" in html(response)


def test_home_shows_the_headline_figures_charts_and_the_report_list(built):
    response = supervisor(built).get("/reports/?period=2026-10")
    assert response.status_code == 200
    body = html(response)
    # Received 7 + 2 + 1 (midnight), completed 5 + 2; on time 4 + 2 of 7; online 1 of 10.
    assert "统计分析 · 2026年10月" in body
    for figure in ("<div class=\"rep-figure-value\">10</div>", "<div class=\"rep-figure-value\">7</div>",
                   "85.7%", "10.0%", "按时办结率", "即办率", "网办率"):
        assert figure in body, figure
    assert "数据截至 " in body and 'data-charts="' in body and "echarts.common.min.js" in body
    assert 'href="/reports/volume/?period=2026-10"' in body and "办件量统计" in body
    assert 'href="/reports/"' in body  # the navigation's 统计报表
    assert not INLINE_SCRIPT.search(body) and not INLINE_STYLE.search(body)


def test_volume_by_department_equals_direct_counts(built):
    response = supervisor(built).get("/reports/volume/?period=2026-10")
    assert response.status_code == 200
    ask = parse(REPORTS["volume"], QueryDict("period=2026-10"), built.people_a["supervisor"]).ask
    rows = {r["department"]: r for r in REPORTS["volume"].rows(ask)}
    first, last = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
    for dept in (built.a, built.b):
        for column in MOMENT:
            assert rows[dept.pk][column] == len(direct(column, first, last, department=dept)), (dept.name, column)
    assert [rows[built.a.pk][c] for c in MOMENT] == [7, 6, 5, 1]
    assert [rows[built.b.pk][c] for c in MOMENT] == [3, 3, 2, 0]
    body = html(response)
    assert "住房和城乡建设局" in body and "市场监督管理局" in body and "合计" in body
    assert "数据截至 " in body and "统计期间：2026年10月" in body


@pytest.mark.parametrize("grouping", ["department", "item", "channel", "window", "month", "hour"])
def test_every_cell_drills_down_to_exactly_the_cases_it_counts(built, grouping):
    client = supervisor(built)
    body = html(client.get(f"/reports/volume/?from=2026-09-01&to=2026-10-31&by={grouping}"))
    links = DRILL.findall(body)
    assert links, grouping
    for href, shown in links:
        listed = html(client.get(href.replace("&amp;", "&")))
        numbers = set(re.findall(r'href="/workbench/cases/([A-Z0-9]+)/"', listed))
        assert len(numbers) == int(shown.replace(",", "")), (grouping, href)
        assert "110105" not in listed and "张三" not in listed  # nothing personal on the list
    # The total row's received cell lists every case received in the two months.
    total = [h for h, _ in links if "column=received" in h and "k_" not in h]
    listed = html(client.get(total[0].replace("&amp;", "&")))
    numbers = set(re.findall(r'href="/workbench/cases/([A-Z0-9]+)/"', listed))
    assert numbers == direct("received", dt.date(2026, 9, 1), dt.date(2026, 10, 31))


def test_month_grouping_counts_by_the_local_day(built):
    client = supervisor(built)
    body = html(client.get(f"/reports/volume/?from=2026-09-01&to=2026-10-31&by=month&department={built.b.pk}"))
    # B: the midnight case received 00:30 on 1 October local time is an October case, not a September one.
    assert "2026年9月" not in body.split("<tbody>")[1]
    match = re.search(r"2026年10月</td><td class=\"right\"><a class=\"rep-drill\" href=\"[^\"]+\">(\d+)</a>", body)
    assert match and match.group(1) == "3"


def test_hour_grouping_counts_receipts_by_local_hour(built):
    body = html(supervisor(built).get(f"/reports/volume/?period=2026-10&by=hour&department={built.b.pk}"))
    assert re.search(r"0:00–0:59</td><td class=\"right\"><a class=\"rep-drill\" href=\"[^\"]+\">1</a>", body)
    assert re.search(r"10:00–10:59</td><td class=\"right\"><a class=\"rep-drill\" href=\"[^\"]+\">2</a>", body)


def test_filters_narrow_the_figures(built):
    client = supervisor(built)
    online = html(client.get("/reports/volume/?period=2026-10&channel=online"))
    assert "申报渠道：网上申报" in online and "市场监督管理局" not in online.split("<tbody>")[1]
    item = html(client.get(f"/reports/volume/?period=2026-10&item={built.item_b.pk}&by=item"))
    assert "食品经营许可" in item.split("<tbody>")[1] and "事项：食品经营许可" in item
    window = built.people_a["clerk"].window
    by_window = html(client.get(f"/reports/volume/?period=2026-10&window={window.pk}&by=window"))
    assert str(window) in by_window.split("<tbody>")[1]


def test_a_district_stands_for_its_departments(built):
    district = f.department("西湖区人民政府", level="district")
    town = f.department("北山街道", level="town", parent=district)
    make_case(town, built.item_b, built.people_b["clerk"], received=at(2026, 10, 9), state=State.IN_PROGRESS)
    upkeep.rebuild()
    body = html(supervisor(built).get(f"/reports/volume/?period=2026-10&district={district.pk}"))
    rows = body.split("<tbody>")[1].split("</tbody>")[0]
    assert "北山街道" in rows and "住房和城乡建设局" not in rows and "区县/乡镇：西湖区人民政府" in body


def test_department_staff_see_their_own_department_only(built):
    client = built.client(built.people_a["handler"])
    body = html(client.get("/reports/volume/?period=2026-10"))
    rows = body.split("<tbody>")[1]
    assert "住房和城乡建设局" in rows and "市场监督管理局" not in rows
    assert "住房和城乡建设局（本部门）" in body
    response = client.get(f"/reports/volume/?period=2026-10&department={built.b.pk}")
    assert response.status_code == 403 and "只能查看本部门" in html(response)
    # A drill-down link edited by hand to B's department finds nothing beyond A's cases.
    listed = html(client.get(f"/reports/volume/cases/?period=2026-10&by=department&k_department={built.b.pk}"
                             "&column=received"))
    assert 'id="rep-case-count">0<' in listed
    assert client.get(f"/reports/volume.xlsx?period=2026-10&department={built.b.pk}").status_code == 403
    home = html(client.get("/reports/?period=2026-10"))
    assert '<div class="rep-figure-value">7</div>' in home  # A's receipts only


@pytest.mark.parametrize("query, message", [
    ("period=2026-13", "统计期间“2026-13”格式不对"),
    ("period=2027-01", "尚未开始"),
    ("from=2026-10-31&to=2026-10-01", "结束日期不能早于开始日期"),
    ("from=2026-10-01", "请填写结束日期"),
    ("from=2026-10-01&to=2026-1031", "不是有效日期"),
    ("period=2026-10&from=2026-10-01&to=2026-10-31", "二者只能选其一"),
    ("period=2026-10&by=colour", "本报表不能按“colour”分组"),
    ("period=2026-10&department=abc", "部门“abc”不正确"),
    ("period=2026-10&department=999999", "所选部门不存在"),
    ("period=2026-10&channel=fax", "申报渠道“fax”不存在"),
])
def test_bad_input_is_refused_with_a_precise_message(built, query, message):
    response = supervisor(built).get(f"/reports/volume/?{query}")
    assert response.status_code == 400 and message in html(response)
    assert supervisor(built).get(f"/reports/volume.xlsx?{query}").status_code == 400


def test_bad_drill_down_and_unknown_report(built):
    client = supervisor(built)
    assert client.get("/reports/nothing/").status_code == 404
    response = client.get("/reports/volume/cases/?period=2026-10&column=bogus")
    assert response.status_code == 400 and "栏目“bogus”不存在" in html(response)
    response = client.get("/reports/volume/cases/?period=2026-10&by=month&k_month=October&column=received")
    assert response.status_code == 400 and "分组值“October”不正确" in html(response)
    response = client.get("/reports/volume/cases/?period=2026-10&by=hour&k_hour=3&column=completed")
    assert response.status_code == 400 and "没有办件明细" in html(response)


def test_definition_page_says_what_each_column_counts(built):
    body = html(supervisor(built).get("/reports/volume/definition/"))
    assert "北京时间日期计入统计期" in body and "已作废的办件不计" in body
    assert "状态为已办结、办结时间在统计期内的办件" in body and "状态为不予受理、结束时间在统计期内的办件" in body


def test_excel_has_title_filters_values_total_and_definitions(built):
    response = supervisor(built).get(f"/reports/volume.xlsx?period=2026-10&channel=window&department={built.a.pk}")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["报表"]
    assert sheet["A1"].value.endswith("办件量统计")
    assert "统计期间：2026年10月" in sheet["A2"].value and "部门：住房和城乡建设局" in sheet["A2"].value
    assert "申报渠道：窗口受理" in sheet["A2"].value and "数据截至" in sheet["A2"].value
    assert [c.value for c in sheet[3]] == ["部门", "收件数", "受理数", "办结数", "不予受理"]
    assert [c.value for c in sheet[4]] == ["住房和城乡建设局", 6, 5, 5, 1]  # the online case left out
    assert [c.value for c in sheet[5]] == ["合计", 6, 5, 5, 1]
    assert sheet.column_dimensions["A"].width >= 2 * len("住房和城乡建设局")
    definitions = book["口径说明"]
    texts = [str(c.value) for row in definitions.iter_rows() for c in row if c.value]
    assert any("已作废的办件不计" in t for t in texts) and "收件数" in texts


def test_print_layout_hides_the_navigation(built):
    body = html(supervisor(built).get("/reports/volume/?period=2026-10"))
    assert "reports/reports.css" in body and 'id="rep-print"' in body
    from django.contrib.staticfiles import finders

    with open(finders.find("reports/reports.css"), encoding="utf-8") as file:
        css = file.read()
    assert "@media print" in css and ".sidenav" in css and "A4" in css and "landscape" in css
