"""The pages: who sees what, the ranking with its breakdown, the Excel export, manual scores."""

import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from shenpi.performance.models import ManualScore, ScoringArea
from tests import factories as f

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)


def html(response) -> str:
    return response.content.decode()


def assert_csp_clean(response) -> None:
    body = html(response)
    assert not INLINE_SCRIPT.search(body) and not INLINE_STYLE.search(body)
    assert "//cdn" not in body and "https://" not in body


def test_pages_need_signed_in_staff(world):
    for url in ("/performance/", "/performance/indicators/", "/performance/ranking.xlsx", "/performance/manual/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    roleless = world.client(f.user(world.a))
    assert roleless.get("/performance/").status_code == 403
    # A role without a department (not centre-wide) has no department to see.
    homeless = world.client(f.user(None, "handler"))
    response = homeless.get("/performance/")
    assert response.status_code == 403 and "未归属部门" in html(response)


def test_supervisor_sees_the_ranking_of_every_department(world):
    response = world.client(world.people_a["supervisor"]).get("/performance/?period=2026-10")
    assert response.status_code == 200
    body = html(response)
    assert "2026年10月" in body and "窗口单位月度绩效考核（市级方案）" in body
    assert body.index("市场监督管理局") < body.index("住房和城乡建设局")
    assert "13.40" in body and "42.00" in body
    # The heads say what each area is worth for a department, and the cells add up to it.
    assert "满分14 · 系统计算" in body and "满分10 · 人工评分" in body and "33.33" not in body
    assert "2个部门的人工评分项尚未录入" in body and "缺6项人工评分" in body
    assert "计分明细" in body and "连续3次预警（7）：<strong>−5.00</strong>" in body
    assert "提前办结率每满10%（40.0%）：<strong>+4.00</strong>" in body
    assert "未录入" in body and "录入人工评分" in body
    assert_csp_clean(response)


def test_department_staff_see_their_own_row_with_its_rank(world):
    response = world.client(world.people_a["handler"]).get("/performance/?period=2026-10")
    body = html(response)
    assert response.status_code == 200
    assert "住房和城乡建设局" in body and "市场监督管理局" not in body
    assert re.search(r'<span class="perf-rank[^"]*">2</span>', body)
    assert "录入人工评分" not in body and "/performance/manual/" not in body


def test_the_ranking_defaults_to_the_last_month(world):
    body = html(world.client(world.people_a["supervisor"]).get("/performance/"))
    assert "考核排名 · 2026年10月" in body


def test_ranking_of_a_half_year_shows_the_months(world):
    response = world.client(world.people_a["supervisor"]).get("/performance/?period=2026-H2")
    body = html(response)
    assert response.status_code == 200 and "2026年下半年" in body and "平均得分" in body
    assert "30.20" in body and "47.00" in body


@pytest.mark.parametrize(("query", "message"), [
    ("period=2026-13", "月份不存在"), ("period=next", "格式不对"), ("period=2027-01", "尚未开始"),
    ("level=city", "考核对象"),
])
def test_bad_choices_are_told_in_chinese(world, query, message):
    for url in ("/performance/", "/performance/indicators/"):
        response = world.client(world.people_a["supervisor"]).get(f"{url}?{query}")
        assert response.status_code == 400 and message in html(response)


def test_indicator_page_for_each_level(world):
    client = world.client(world.people_a["supervisor"])
    body = html(client.get("/performance/indicators/?period=2026-10&level=department"))
    assert "按时办结率" in body and "80.0%" in body and "合计" in body and "14.3%" in body
    body = html(client.get("/performance/indicators/?period=2026-10&level=person"))
    assert str(world.people_a["reviewer"]) in body and "所属部门" in body
    response = client.get("/performance/indicators/?period=2026-10&level=window")
    assert response.status_code == 200 and world.people_a["clerk"].window.name in html(response)
    assert_csp_clean(response)


def test_indicator_page_for_department_staff_is_their_department(world):
    body = html(world.client(world.people_b["liaison"]).get("/performance/indicators/?period=2026-10&level=window"))
    assert world.people_b["clerk"].window.name in body and "住房和城乡建设局" not in body and "合计" not in body


def test_excel_export_has_the_ranking_rows(world):
    response = world.client(world.people_a["supervisor"]).get("/performance/ranking.xlsx?period=2026-10")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["考核排名", "考核指标", "考核方案"]
    sheet = book["考核排名"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "2026年10月部门绩效考核排名" and "A1:" in str(sheet.merged_cells)
    assert "考核期间：2026年10月" in rows[1][0] and "考核对象：部门" in rows[1][0]
    assert rows[2][:4] == ("名次", "名称", "得分", "政务公开(满分10)")
    assert rows[2][-3:] == ("扣分", "加分", "未录入项")
    assert [(r[0], r[1], r[2]) for r in rows[3:]] == [(1, "市场监督管理局", 42.0), (2, "住房和城乡建设局", 13.4)]
    a = rows[4]
    assert a[3] == 0 and a[4] == pytest.approx(11.2) and a[-3:-1] == (20.0, 4.0)
    # The areas' cells, less the deductions, plus the bonuses, are the score.
    assert sum(a[3:-3]) - a[-3] + a[-2] == pytest.approx(a[2])
    # Readable: every column wide enough for its longest value, the names wider than the numbers.
    widths = [sheet.column_dimensions[letter].width for letter in "ABC"]
    assert widths[1] >= 2 * len("住房和城乡建设局") and 6 <= widths[0] < widths[1]
    assert sheet.freeze_panes == "C4" and sheet.auto_filter.ref.startswith("A3:")
    indicators = list(book["考核指标"].iter_rows(values_only=True))[2:]
    header = indicators[0]
    a_row = indicators[1]
    assert a_row[0] == "住房和城乡建设局" and a_row[header.index("按时办结率(%)")] == 80.0
    assert a_row[header.index("投诉")] == 0
    assert indicators[-1][0] == "合计"
    scheme = [r[0] for r in book["考核方案"].iter_rows(values_only=True)]
    assert "扣分：连续3次预警" in scheme and "加分：提前办结率每满10%" in scheme


def test_excel_export_for_department_staff_has_only_their_rows(world):
    response = world.client(world.people_b["liaison"]).get("/performance/ranking.xlsx?period=2026-10&level=person")
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["考核排名"].iter_rows(values_only=True))[3:]
    assert rows and {r[2] for r in rows} == {"市场监督管理局"}
    assert {r[1] for r in list(book["考核指标"].iter_rows(values_only=True))[3:]} == {"市场监督管理局"}


def test_manual_scores_are_entered_by_supervisors(world):
    client = world.client(world.people_a["supervisor"])
    response = client.get("/performance/manual/?month=2026-10&area=openness")
    assert response.status_code == 200 and "政务公开" in html(response) and "住房和城乡建设局" in html(response)
    assert_csp_clean(response)
    response = client.post("/performance/manual/", {
        "month": "2026-10", "area": "openness", f"score-{world.a.pk}": "90", f"note-{world.a.pk}": "公开及时",
        f"score-{world.b.pk}": ""})
    assert response.status_code == 302 and "month=2026-10" in response["Location"]
    entry = ManualScore.objects.get()
    assert (entry.department, entry.score, entry.note, entry.entered_by) == (
        world.a, Decimal(90), "公开及时", world.people_a["supervisor"])
    body = html(client.get(response["Location"]))
    assert "新增1项" in body and 'value="90"' in body
    ranking = html(client.get("/performance/?period=2026-10"))
    assert "公开及时" in ranking


def test_manual_scores_refuse_bad_values_and_save_nothing(world):
    client = world.client(world.people_a["supervisor"])
    response = client.post("/performance/manual/", {
        "month": "2026-10", "area": "openness", f"score-{world.a.pk}": "120", f"score-{world.b.pk}": "80"})
    assert response.status_code == 400
    body = html(response)
    assert "得分应在0到100之间" in body and 'value="120"' in body and 'value="80"' in body
    assert not ManualScore.objects.exists()
    response = client.get("/performance/manual/?month=2026-Q4")
    assert response.status_code == 400 and "按月录入" in html(response)


def test_manual_page_is_for_supervisors_and_administrators(world):
    for who in ("handler", "liaison", "clerk"):
        response = world.client(world.people_a[who]).post("/performance/manual/", {
            "month": "2026-10", "area": "openness", f"score-{world.a.pk}": "100"})
        assert response.status_code == 403
    assert world.client(world.people_a["admin"]).get("/performance/manual/").status_code == 200
    assert not ManualScore.objects.exists()


def test_measured_areas_are_not_offered_for_manual_scoring(world):
    body = html(world.client(world.people_a["supervisor"]).get("/performance/manual/?month=2026-10&area=time_limit"))
    manual_names = list(ScoringArea.objects.filter(kind="manual").values_list("name", flat=True))
    assert all(name in body for name in manual_names)
    assert "期限合法（14%）" not in body
