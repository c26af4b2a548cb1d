"""The key-project board: each key project's stage, days used and left, late parts and who holds them, trend;
filters; the monthly Excel report read back; the Gantt chart's figures; who may see what."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from shenpi import clock, spreadsheets
from shenpi.cases import services as cases
from shenpi.joint.models import Project
from tests import factories as f

pytestmark = pytest.mark.django_db


def at(y, m, d, hh=10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, 0))


def finish(world, index, case):
    cases.perform(case, "pass", actor=world.people[index]["handler"])
    cases.perform(case, "grant", actor=world.people[index]["approver"])
    cases.perform(case, "complete", actor=world.people[index]["approver"])


@pytest.fixture
def tracked(world):
    """Three key projects opened on Monday 2 March 2026 (stage total 20 working days, due 30 March):
    `late` with its first department's part overdue, `ahead` whose stage concluded early, `green`
    in another district and industry, opened on 12 March; and one project that is not a key project."""
    clock.set_now(at(2026, 3, 2))
    west = f.department("西湖区")
    east = f.department("上城区")
    late = world.project(key=True)
    ahead = world.project(key=True)
    green = world.project(key=True, green=True)
    plain = world.project()
    Project.objects.filter(pk__in=[late.pk, ahead.pk, plain.pk]).update(district=west)
    Project.objects.filter(pk=green.pk).update(district=east, industry="48",
                                               lead_department=world.departments[1])
    stages = {name: world.open(p) for name, p in (("late", late), ("ahead", ahead), ("plain", plain))}
    clock.set_now(at(2026, 3, 4))
    for index, part in enumerate(stages["ahead"].parts.select_related("case").order_by("pk")):
        finish(world, index, part.case)
    clock.set_now(at(2026, 3, 12))
    stages["green"] = world.open(green)  # ten working days (green channel): due 26 March
    clock.set_now(at(2026, 3, 18))  # the late project's first part was due on 16 March
    for index, part in enumerate(stages["late"].parts.select_related("case").order_by("pk")):
        if index:
            finish(world, index, part.case)
    for p in (late, ahead, green, plain):
        p.refresh_from_db()
    return {"late": late, "ahead": ahead, "green": green, "plain": plain, "west": west, "east": east,
            "stages": stages}


def board(client, user, **params):
    f.login_staff(client, user)
    response = client.get(reverse("joint:key_projects"), params)
    assert response.status_code == 200, response.content.decode()[:500]
    return response


def codes(response) -> list[str]:
    return [row.project.code for row in response.context["rows"]]


def test_the_board_shows_stage_days_late_parts_with_their_department_and_trend(world, tracked, client):
    response = board(client, world.people[0]["supervisor"])
    rows = {row.project.code: row for row in response.context["rows"]}
    assert set(rows) == {tracked[k].code for k in ("late", "ahead", "green")}  # key projects only

    late = rows[tracked["late"].code]
    assert late.current.stage.name == "立项用地规划许可阶段"
    # accepted 2 March, today 18 March: 12 working days used of 20, 8 left (due 30 March)
    assert (late.current.used, late.current.allotment, late.current.left) == (12, 20, 8)
    [part] = late.late_parts
    assert (part.department, part.overdue_days) == ("发展和改革局", 2)
    assert late.trend == "behind" and late.trend_label == "滞后"

    ahead = rows[tracked["ahead"].code]
    assert ahead.current.stage.state == "concluded" and ahead.current.used == 2
    assert ahead.trend == "ahead" and ahead.saved_days == 18 and not ahead.late_parts

    green = rows[tracked["green"].code]
    assert (green.current.used, green.current.allotment, green.current.left) == (4, 10, 6)
    assert green.trend == "on_time" and green.saved_days == 0

    text = response.content.decode()
    assert "发展和改革局，超期2个工作日" in text and "较承诺提前 18 个工作日" in text
    assert tracked["plain"].code not in text


def test_filters_by_district_industry_lead_department_and_late_only(world, tracked, client):
    supervisor = world.people[0]["supervisor"]
    assert set(codes(board(client, supervisor, district=tracked["east"].pk))) == {tracked["green"].code}
    assert set(codes(board(client, supervisor, industry="47"))) == {tracked["late"].code, tracked["ahead"].code}
    assert set(codes(board(client, supervisor, lead=world.departments[1].pk))) == {tracked["green"].code}
    assert codes(board(client, supervisor, state="late")) == [tracked["late"].code]
    assert codes(board(client, supervisor, q=tracked["ahead"].code)) == [tracked["ahead"].code]
    page = board(client, supervisor)
    assert "西湖区" in page.content.decode() and "上城区" in page.content.decode()
    f.login_staff(client, supervisor)
    bad = client.get(reverse("joint:key_projects"), {"industry": "x"})
    assert bad.status_code == 400


def test_a_late_stage_is_late_on_the_board_too(world, tracked, client):
    clock.set_now(at(2026, 4, 2))  # the green stage (10 days) was due 26 March, its parts too
    rows = {r.project.code: r for r in board(client, world.people[0]["supervisor"], state="late").context["rows"]}
    green = rows[tracked["green"].code]
    assert green.current.left < 0 and green.current.overdue == -green.current.left
    assert {p.department for p in green.late_parts} == {"发展和改革局", "自然资源和规划局", "生态环境局"}


def test_lead_department_staff_see_their_own_projects_and_others_are_refused(world, tracked, client):
    lead_staff = world.people[1]["handler"]
    assert codes(board(client, lead_staff)) == [tracked["green"].code]
    f.login_staff(client, lead_staff)
    mine = client.get(reverse("joint:project_gantt", args=[tracked["green"].code]))
    assert mine.status_code == 200
    theirs = client.get(reverse("joint:project_gantt", args=[tracked["late"].code]))
    assert theirs.status_code == 403
    f.login_staff(client, world.clerk)  # the comprehensive window leads nothing
    assert codes(board(client, world.clerk)) == []


def test_the_monthly_report_reads_back_with_openpyxl(world, tracked, client):
    f.login_staff(client, world.people[0]["supervisor"])
    response = client.get(reverse("joint:key_projects_export"), {"month": "2026-03", "district": tracked["west"].pk})
    assert response.status_code == 200
    assert response["Content-Type"] == spreadsheets.CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "重点项目审批进度专报（2026年3月）"
    assert "区县：西湖区" in sheet["A2"].value and "共2个项目，滞后1个" in sheet["A2"].value
    header = [c.value for c in sheet[spreadsheets.HEAD_ROW]]
    assert header[:3] == ["序号", "项目代码", "项目名称"]
    rows = {r[1]: dict(zip(header, r, strict=True))
            for r in sheet.iter_rows(min_row=spreadsheets.HEAD_ROW + 1, values_only=True)}
    assert set(rows) == {tracked["late"].code, tracked["ahead"].code}
    late = rows[tracked["late"].code]
    assert (late["已用(工作日)"], late["剩余(工作日)"], late["进度"]) == (12, 8, "滞后")
    assert "发展和改革局" in late["责任部门"] and "超期2个工作日" in late["超期办件"]
    ahead = rows[tracked["ahead"].code]
    assert ahead["本月办结阶段"] == "立项用地规划许可阶段" and ahead["较承诺(工作日)"] == 18

    february = client.get(reverse("joint:key_projects_export"), {"month": "2026-02"})
    sheet = load_workbook(io.BytesIO(february.content)).active
    values = [r[8] for r in sheet.iter_rows(min_row=spreadsheets.HEAD_ROW + 1, values_only=True)]
    assert values == ["尚未申报"] * 3  # nothing had been applied for by the end of February
    future = client.get(reverse("joint:key_projects_export"), {"month": "2027-01"})
    assert future.status_code == 400


def test_the_gantt_data_has_planned_and_actual_bars_for_stages_and_parts(world, tracked, client):
    f.login_staff(client, world.people[0]["admin"])
    data = client.get(reverse("joint:project_gantt_data", args=[tracked["late"].code])).json()
    assert data["start"] == "2026-03-02" and data["today"] == "2026-03-18"
    stage, *parts = data["rows"]
    assert stage["kind"] == "stage" and stage["plan"] == ["2026-03-02", "2026-03-30"]
    assert stage["actual"] == ["2026-03-02", "2026-03-18"] and stage["plan_days"] == [0, 28]
    assert [p["kind"] for p in parts] == ["part"] * 3
    assert parts[0]["late"] and parts[0]["plan"][1] == "2026-03-16" and parts[0]["open"]
    assert not parts[1]["late"] and parts[1]["actual"][1] == "2026-03-18" and not parts[1]["open"]
    page = client.get(reverse("joint:project_gantt", args=[tracked["late"].code]))
    assert page.status_code == 200
    assert b"joint/gantt.js" in page.content and b"gantt-chart" in page.content
