"""Stages: one form opens one case per item at once; the stage's clock follows its parts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.cases import services as cases
from shenpi.cases.models import State
from shenpi.errors import InvalidInput
from shenpi.joint.models import Stage
from shenpi.workdays.services import get_calendar


def _pass(world, index, case):
    handler = world.people[index]["handler"]
    return cases.perform(case, "pass", actor=handler)


def test_one_form_opens_one_accepted_case_per_item_in_its_department(world):
    stage = world.open()
    parts = list(stage.parts.select_related("case"))
    assert [p.case.department_id for p in parts] == [d.pk for d in world.departments]
    assert {p.case.state for p in parts} == {State.IN_PROGRESS}
    assert {p.case.project_code for p in parts} == {stage.project.code}
    assert [p.case.promised_limit for p in parts] == [10, 12, 15]
    assert stage.promised_due == get_calendar().add(stage.accept_date, 20)
    # every part received the shared materials once brought
    for part in parts:
        assert all(m.received for m in part.case.materials.all())


def test_a_missing_shared_material_opens_nothing(world):
    project = world.project()
    with pytest.raises(InvalidInput) as refused:
        world.open(project, shared={})
    assert "项目申请表" in str(refused.value)
    assert not Stage.objects.exists()


def test_one_department_suspended_stops_only_its_case_and_all_stopped_stop_the_stage(world):
    stage = world.open()
    parts = list(stage.parts.select_related("case"))
    first = cases.perform(parts[0].case, "request_supplement", actor=world.people[0]["handler"],
                          params={"reason": "补充规划意见", "expected_days": 5})
    assert first.state == State.SUSPENDED
    stage.refresh_from_db()
    assert stage.clock_stopped_on is None
    for index in (1, 2):
        cases.perform(parts[index].case, "request_supplement", actor=world.people[index]["handler"],
                      params={"reason": "补充材料", "expected_days": 5})
    stage.refresh_from_db()
    assert stage.clock_stopped_on is not None
    cases.perform(parts[1].case, "resume", actor=world.people[1]["handler"])
    stage.refresh_from_db()
    assert stage.clock_stopped_on is None


def test_the_stage_concludes_when_every_part_is_decided_and_ends_on_a_required_refusal(world):
    stage = world.open()
    parts = list(stage.parts.select_related("case"))
    for index, part in enumerate(parts):
        _pass(world, index, part.case)
    for index, part in enumerate(parts[:2]):
        cases.perform(part.case, "grant", actor=world.people[index]["approver"])
        stage.refresh_from_db()
        assert stage.state == Stage.State.OPEN
    cases.perform(parts[2].case, "grant", actor=world.people[2]["approver"])
    stage.refresh_from_db()
    assert stage.state == Stage.State.CONCLUDED
    assert stage.used_days == 0

    second = world.open(world.project())
    part = second.parts.select_related("case").first()
    _pass(world, 0, part.case)
    cases.perform(part.case, "deny", actor=world.people[0]["approver"], params={"reason": "不符合产业政策"})
    second.refresh_from_db()
    assert second.state == Stage.State.ENDED
    assert "不符合产业政策" in second.outcome


def test_green_channel_halves_the_limits_and_never_below_the_items_floor(world):
    version = world.items[2].current_version()
    version.shortest_limit = 10
    version.save()
    stage = world.open(world.project(green=True))
    parts = list(stage.parts.select_related("case"))
    assert [p.case.promised_limit for p in parts] == [5, 6, 10]
    assert stage.promised_total == 10
    assert stage.green


def test_project_codes_are_checked_and_issued(world):
    issued = world.project()
    assert issued.issued_here
    year = timezone.localdate(clock.now()).year
    assert issued.code == f"{year}-330106-47-01-000001"
    assert world.project().code == f"{year}-330106-47-01-000002"
    entered = world.project(code="2026-330106-47-01-012345")
    assert not entered.issued_here
    for bad in ("2026-330106-47-01-01234", "2018-330106-47-01-012345", "2026-990106-47-01-012345",
                "2026-330106-98-01-012345", "2026-330106-47-04-012345", "2026-330106-47-02-012345"):
        with pytest.raises(InvalidInput):
            world.project(code=bad)
