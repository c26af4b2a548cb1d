"""The pages are generic over any registered report: a report of rates, days and text made up here
(registered for the test only) shows its values by kind, its own filter, no total for a list, and
its refusal of a bad filter as a 400."""

import io
from fractions import Fraction

import pytest
from openpyxl import load_workbook

from shenpi.reports import registry
from shenpi.reports.registry import AskError, Column, Report

SEEN = []


def _rows(ask):
    SEEN.append(ask)
    if ask.extra.get("level") not in (None, "1", "2"):
        raise AskError("级别应为 1 或 2。")
    if not ask.by:
        return [{"rate": Fraction(2, 3) * 100, "days": Fraction(9, 4), "note": "全部"}]
    first = (ask.scope.departments or (None,))[0]
    return [{"department": first, "rate": Fraction(200, 3), "days": Fraction(9, 4), "note": "部门A"},
            {"department": None, "rate": None, "days": None, "note": "无"}]


SAMPLE = Report(code="sample-rates", title="样例比率表", group="测试", definition="只在测试中登记的报表。",
                columns=(Column("rate", "按时办结率", "rate", "按时办结件÷办结件"),
                         Column("days", "平均用时", "days", "用时合计÷办结件"),
                         Column("note", "说明", "text", "", drill=False)),
                rows=_rows, groupings=("department",), chart="pie",
                filters=("period", "department", "level"))


@pytest.fixture
def sample():
    registry.register(SAMPLE)
    yield SAMPLE
    registry.REPORTS.pop(SAMPLE.code)
    registry.GROUPS[SAMPLE.group].remove(SAMPLE)
    if not registry.GROUPS[SAMPLE.group]:
        registry.GROUPS.pop(SAMPLE.group)


def test_values_are_written_by_their_kind(world, sample):
    client = world.client(world.people_a["supervisor"])
    response = client.get(f"/reports/sample-rates/?period=2026-10&department={world.a.pk}&level=2")
    body = response.content.decode()
    assert response.status_code == 200
    rows = body.split("<tbody>")[1].split("</tbody>")[0]
    assert "66.7%" in rows and "2.3" in rows and "部门A" in rows and "—" in rows
    assert "合计" not in body  # a text column: no total row
    assert SEEN[-1].extra == {"level": "2"} and SEEN[-1].scope.departments == (world.a.pk,)
    assert 'name="level" id="rep-level" value="2"' in body
    assert "rep-drill" not in body  # no `cases`: nothing to drill into
    assert "样例比率表" in client.get("/reports/").content.decode()


def test_a_report_refusing_its_own_filter_answers_400(world, sample):
    response = world.client(world.people_a["supervisor"]).get("/reports/sample-rates/?period=2026-10&level=9")
    assert response.status_code == 400 and "级别应为 1 或 2。" in response.content.decode()


def test_excel_writes_rates_as_numbers_in_percent(world, sample):
    response = world.client(world.people_a["supervisor"]).get(
        f"/reports/sample-rates.xlsx?period=2026-10&department={world.a.pk}")
    sheet = load_workbook(io.BytesIO(response.content))["报表"]
    assert [c.value for c in sheet[3]] == ["部门", "按时办结率(%)", "平均用时(工作日)", "说明"]
    assert [c.value for c in sheet[4]] == ["住房和城乡建设局", 66.7, 2.3, "部门A"]
    assert [c.value for c in sheet[5]] == ["—", "—", "—", "无"]
    assert sheet["B4"].number_format == "0.0"
