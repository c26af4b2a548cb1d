"""The stage's clock over the calendar: 国庆 2026, one department stopped while the others run, the
stage stopped only while every part is, the green channel and results reused as materials.

Dues are checked against the official calendar as published in `chinese_calendar` (find_workday),
not only against the platform's own calendar code.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.cases import services as cases
from shenpi.cases.models import CaseMaterial, State
from shenpi.errors import InvalidInput
from shenpi.joint import services
from shenpi.joint.models import ResultFeed, Stage, StageItem, StageTemplate
from shenpi.notifications.models import Notification
from shenpi.workdays.services import get_calendar
from tests import factories as f

ONE_DAY = dt.timedelta(days=1)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def official_add(start: dt.date, n: int) -> dt.date:
    """The n-th working day after start, start not counted (the law's count), by chinese_calendar."""
    return start if n == 0 else chinese_calendar.find_workday(n - 1, start + ONE_DAY)


def move_to(day: dt.date) -> None:
    clock.set_now(at(day))


def parts_of(stage):
    return list(stage.parts.select_related("case").order_by("pk"))


def handler(world, index):
    return world.people[index]["handler"]


def stop(world, stage, index, how="request_supplement"):
    case = parts_of(stage)[index].case
    params = {"reason": "补充规划条件说明", "expected_days": 5}
    if how == "suspend":
        params = {"kind": "expert_review", "reason": "组织专家评审", "expected_days": 10}
    return cases.perform(case, how, actor=handler(world, index), params=params)


def resume(world, stage, index):
    return cases.perform(parts_of(stage)[index].case, "resume", actor=handler(world, index))


# -- 国庆 2026 ----------------------------------------------------------------------------------------

def test_the_seeded_calendar_has_the_2026_national_day_notice(db):
    calendar = get_calendar()
    # 国务院办公厅 2026 notice: 中秋 9月25日-27日; 国庆 10月1日-7日, 9月20日(周日) and 10月10日(周六) worked.
    for day in (dt.date(2026, 9, 25), *(dt.date(2026, 10, d) for d in range(1, 8))):
        assert not calendar.is_workday(day), day
        assert not chinese_calendar.is_workday(day), day
    for day in (dt.date(2026, 9, 20), dt.date(2026, 10, 8), dt.date(2026, 10, 9), dt.date(2026, 10, 10)):
        assert calendar.is_workday(day), day
        assert chinese_calendar.is_workday(day), day
    assert not calendar.is_workday(dt.date(2026, 10, 11))


@pytest.mark.parametrize("accepted", [dt.date(2026, 9, 28), dt.date(2026, 9, 30), dt.date(2026, 10, 9)])
def test_a_stage_due_date_across_national_day_2026(world, accepted):
    move_to(accepted)
    stage = world.open()
    assert stage.accept_date == accepted
    assert stage.promised_due == official_add(accepted, 20)
    assert stage.statutory_due == official_add(accepted, 45)
    for part in parts_of(stage):
        assert part.case.promised_due == official_add(accepted, part.case.promised_limit)


def test_a_stage_accepted_on_the_last_day_before_national_day_counts_from_the_eighth(db):
    # Written out by hand from the notice: accepted Wed 30 Sep, day 1 is Thu 8 Oct, day 3 Sat 10 Oct
    # (a worked Saturday), day 4 Mon 12 Oct; 20 working days end on Tue 3 Nov.
    calendar = get_calendar()
    start = dt.date(2026, 9, 30)
    assert calendar.add(start, 1) == dt.date(2026, 10, 8)
    assert calendar.add(start, 3) == dt.date(2026, 10, 10)
    assert calendar.add(start, 4) == dt.date(2026, 10, 12)
    assert calendar.add(start, 20) == dt.date(2026, 11, 3) == official_add(start, 20)


# -- one department stopped while the others run -------------------------------------------------------

def test_one_department_suspended_moves_only_its_own_case(world):
    monday = dt.date(2026, 9, 28)
    move_to(monday)
    stage = world.open()
    before = {p.case_id: p.case.promised_due for p in parts_of(stage)}
    stage_due = stage.promised_due
    stop(world, stage, 1, how="suspend")
    # Five working days later over 国庆 (29, 30 Sep, 8, 9 and the worked Saturday 10 Oct), it resumes.
    move_to(dt.date(2026, 10, 10))
    resumed = resume(world, stage, 1)
    assert resumed.state == State.IN_PROGRESS
    assert resumed.stopped_days == 5 == len(chinese_calendar.get_workdays(dt.date(2026, 9, 29), dt.date(2026, 10, 10)))
    after = {p.case_id: p.case.promised_due for p in parts_of(stage)}
    moved = parts_of(stage)[1].case_id
    assert after[moved] == official_add(monday, 12 + 5)
    assert {k: v for k, v in after.items() if k != moved} == {k: v for k, v in before.items() if k != moved}
    stage.refresh_from_db()
    assert stage.stopped_days == 0 and stage.clock_stopped_on is None
    assert stage.promised_due == stage_due == official_add(monday, 20)


# -- the stage stopped only while every part is --------------------------------------------------------

def test_the_stage_stops_only_while_every_open_part_is_stopped_and_moves_by_those_days(world):
    accepted = dt.date(2026, 9, 21)
    move_to(accepted)
    stage = world.open()
    stop(world, stage, 0)                                   # Tue 22: only one part stopped
    move_to(dt.date(2026, 9, 22))
    stop(world, stage, 1, how="suspend")
    stage.refresh_from_db()
    assert stage.clock_stopped_on is None
    move_to(dt.date(2026, 9, 24))
    stop(world, stage, 2)                                   # Thu 24: every open part stopped
    stage.refresh_from_db()
    assert stage.clock_stopped_on == dt.date(2026, 9, 24)
    assert stage.promised_due == official_add(accepted, 20)  # not moved while stopped
    move_to(dt.date(2026, 9, 30))                           # over 中秋: 28, 29, 30 Sep are 3 working days
    resume(world, stage, 2)
    stage.refresh_from_db()
    assert stage.clock_stopped_on is None
    assert stage.stopped_days == 3 == len(chinese_calendar.get_workdays(dt.date(2026, 9, 25), dt.date(2026, 9, 30)))
    assert stage.promised_due == official_add(accepted, 20 + 3)
    assert stage.statutory_due == official_add(accepted, 45 + 3)
    # The others resuming later moves nothing more: the stage's clock already ran again.
    move_to(dt.date(2026, 10, 8))
    resume(world, stage, 0)
    resume(world, stage, 1)
    stage.refresh_from_db()
    assert stage.stopped_days == 3 and stage.promised_due == official_add(accepted, 23)
    # Stopped again over 国庆: 9 Oct (Fri) → 13 Oct (Tue) is 10 Oct, 12 Oct, 13 Oct.
    move_to(dt.date(2026, 10, 9))
    for index in range(3):
        stop(world, stage, index)
    stage.refresh_from_db()
    assert stage.clock_stopped_on == dt.date(2026, 10, 9)
    move_to(dt.date(2026, 10, 13))
    resume(world, stage, 1)
    stage.refresh_from_db()
    assert stage.stopped_days == 3 + 3
    assert stage.promised_due == official_add(accepted, 20 + 6)


def test_a_decided_part_does_not_keep_the_stage_running(world):
    """The stage waits on the applicant when the only parts still open are stopped."""
    move_to(dt.date(2026, 9, 28))
    stage = world.open()
    first = parts_of(stage)[0].case
    cases.perform(first, "pass", actor=handler(world, 0))
    cases.perform(first, "grant", actor=world.people[0]["approver"])
    stop(world, stage, 1)
    stage.refresh_from_db()
    assert stage.clock_stopped_on is None
    stop(world, stage, 2)
    stage.refresh_from_db()
    assert stage.clock_stopped_on == dt.date(2026, 9, 28)


# -- green channel ----------------------------------------------------------------------------------

def test_green_channel_halves_every_limit_never_below_the_floor_and_tells_the_approvers(world):
    move_to(dt.date(2026, 9, 28))
    floor = world.items[2].current_version()
    floor.shortest_limit = 12  # the 15-day item cannot go below 12
    floor.save()
    world.people[0]["approver"].mobile = "13900000001"
    world.people[0]["approver"].save()
    world.people[2]["approver"].mobile = "13900000003"
    world.people[2]["approver"].save()  # department 1's approver has no mobile: nobody to text there
    stage = world.open(world.project(green=True))
    limits = [p.case.promised_limit for p in parts_of(stage)]
    assert limits == [5, 6, 12]
    for part in parts_of(stage):
        assert part.case.promised_due == official_add(dt.date(2026, 9, 28), part.case.promised_limit)
    # The stage's total (20) is halved to 10 but no shorter than its slowest item's floor (12).
    assert stage.promised_total == 12
    assert stage.promised_due == official_add(dt.date(2026, 9, 28), 12)
    sms = Notification.objects.filter(template="green_channel_accepted")
    assert sorted(sms.values_list("recipient_id", flat=True)) == sorted(
        [world.people[0]["approver"].pk, world.people[2]["approver"].pk])
    assert set(sms.values_list("channel", flat=True)) == {Notification.Channel.SMS}
    assert {n.case_id for n in sms} == {parts_of(stage)[0].case_id, parts_of(stage)[2].case_id}
    # An ordinary project's stage is not shortened and texts nobody.
    plain = world.open(world.project())
    assert [p.case.promised_limit for p in parts_of(plain)] == [10, 12, 15]
    assert plain.promised_total == 20
    assert sms.count() == 2


def test_green_channel_with_a_lower_factor_still_stops_at_the_floor(world):
    from shenpi.joint.models import JointSettings

    JointSettings.objects.create(green_factor=20)
    move_to(dt.date(2026, 9, 28))
    version = world.items[0].current_version()
    version.shortest_limit = 3
    version.save()
    stage = world.open(world.project(green=True))
    assert [p.case.promised_limit for p in parts_of(stage)] == [3, 3, 3]
    assert stage.promised_total == 4


# -- a result reused as a material --------------------------------------------------------------------

def test_a_granted_result_is_received_as_a_later_cases_material_without_upload(world):
    move_to(dt.date(2026, 9, 28))
    project = world.project()
    first = world.open(project)
    approval = parts_of(first)[0].case
    cases.perform(approval, "pass", actor=handler(world, 0))
    cases.perform(approval, "grant", actor=world.people[0]["approver"])
    # The next stage: a 规划 item in department 1 whose list names the 立项 approval letter.
    later_item = f.item(world.departments[1], name="建设工程规划许可证核发", promised=10, statutory=20,
                        steps=(("审查", "handler", None),),
                        materials=(("项目申请表", True, False), ("项目审批（核准、备案）文件", True, False)))
    template = StageTemplate.objects.create(code="gov-building-2", name="工程建设许可阶段",
                                            project_type=world.project_type, seq=2,
                                            lead_department=world.departments[1], promised_total=15)
    StageItem.objects.create(template=template, item=later_item, seq=1)
    ResultFeed.objects.create(template=template, source_item=world.items[0], material_name="项目审批（核准、备案）文件")
    move_to(dt.date(2026, 10, 9))
    stage = services.open_stage(actor=world.clerk, template=template, applicant=world.applicant(), project=project,
                                shared={"项目申请表": f.stored_scan("项目申请表")})
    case = parts_of(stage)[0].case
    assert case.state == State.IN_PROGRESS
    reused = CaseMaterial.objects.get(case=case, name="项目审批（核准、备案）文件")
    assert reused.received
    assert reused.source_case_id == approval.pk
    assert reused.source_document.startswith(approval.version.result_name)
    assert not reused.file
    # The applicant's own upload is still an upload, from no earlier case.
    own = CaseMaterial.objects.get(case=case, name="项目申请表")
    assert own.received and own.source_case_id is None
    # Another project's granted case is not a source.
    other = world.project()
    other_stage = world.open(other)
    assert other_stage.state == Stage.State.OPEN
    with pytest.raises(InvalidInput, match="项目审批（核准、备案）文件"):
        services.open_stage(actor=world.clerk, template=template, applicant=world.applicant(), project=other,
                            shared={"项目申请表": f.stored_scan("项目申请表")})
