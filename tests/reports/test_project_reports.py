"""重点项目: the key projects under way in a period, with the board's figures, filtered, drilled down to cases."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from shenpi.cases.models import CLOCK_RUNNING_STATES, Case
from shenpi.figures.query import Scope
from shenpi.joint.models import Project, Stage, StagePart
from shenpi.reports.project_reports import KEY_PROJECTS
from shenpi.reports.registry import Ask
from tests.joint.conftest import world  # noqa: F401
from tests.joint.test_board import tracked  # noqa: F401

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def rows(first, last, **kw):
    return {r["code"]: r for r in KEY_PROJECTS.rows(Ask(first, last, **kw))}


def test_each_key_project_with_its_stage_progress(world, tracked):  # noqa: F811
    got = rows(*MARCH)
    assert set(got) == {tracked[k].code for k in ("late", "ahead", "green")}  # not the plain project
    late, ahead, green = (got[tracked[k].code] for k in ("late", "ahead", "green"))
    # today 18 March: the late project's stage has used 12 of its 20 working days; one part is late
    assert (late["stages_total"], late["stages_done"], late["used"], late["allotment"]) == (1, 0, 12, 20)
    assert (late["late_parts"], late["overdue_stages"], late["trend"]) == (1, 0, "滞后")
    assert (ahead["stages_done"], ahead["used"], ahead["saved"], ahead["trend"]) == (1, 2, 18, "提前")
    assert (green["used"], green["allotment"], green["current"]) == (4, 10, "立项用地规划许可阶段")
    for code, row in got.items():  # stage counts written independently
        stages = Stage.objects.filter(project__code=code, accept_date__lte=dt.date(2026, 3, 18))
        assert row["stages_total"] == stages.count()
        assert row["stages_done"] == stages.exclude(state=Stage.State.OPEN).count()
        assert row["late_parts"] == Case.objects.filter(
            project_code=code, promised_due__lt=dt.date(2026, 3, 18),
            state__in=CLOCK_RUNNING_STATES).count()


def test_the_period_district_and_department_filters(world, tracked):  # noqa: F811
    assert rows(dt.date(2026, 2, 1), dt.date(2026, 2, 28)) == {}  # nothing accepted before March
    assert set(rows(*MARCH, district=tracked["east"].pk)) == {tracked["green"].code}
    lead = world.departments[1]
    expected = set(Project.objects.filter(key_project=True).filter(
        Q(lead_department=lead) | Q(pk__in=StagePart.objects.filter(department=lead).values("stage__project_id")))
        .values_list("code", flat=True))
    assert set(rows(*MARCH, scope=Scope(departments=(lead.pk,)))) == expected
    outsider = world.centre  # leads nothing and holds no part
    assert rows(*MARCH, scope=Scope(departments=(outsider.pk,))) == {}


def test_drill_down_to_the_projects_cases(world, tracked):  # noqa: F811
    ask = Ask(*MARCH)
    key = {"project": tracked["late"].pk}
    every = set(KEY_PROJECTS.cases(ask, key, "stages_total"))
    assert every == set(Case.objects.filter(project_code=tracked["late"].code)) and len(every) == 3
    [late] = KEY_PROJECTS.cases(ask, key, "late_parts")
    assert late.department == world.departments[0] and late.promised_due == dt.date(2026, 3, 16)
    assert list(KEY_PROJECTS.cases(ask, {"project": tracked["plain"].pk}, "stages_total")) == []
