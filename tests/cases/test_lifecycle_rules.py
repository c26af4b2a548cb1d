"""The rules of the law and of the flow, each tested at its boundary (dates from the official 2026 calendar).

2026 facts used below: 春节 15-23 February with Saturday 14 February worked; 中秋 25 September;
国庆 1-7 October with Saturday 10 October worked; the centre's default hours 09:00-12:00, 13:30-17:30.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.cases import lifecycle, services
from shenpi.cases.models import Case, CaseStep, ClockStop, Notice, State
from shenpi.catalog.models import FlowStep, ItemVersion, WeeklyHours, Window
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.workdays.services import get_calendar
from tests import factories as f

pytestmark = pytest.mark.django_db

_names = itertools.count(1)
HOURS = FlowStep.LimitUnit.HOURS


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def end_of(y, m, d) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, 23, 59, 59))


def person(dept, role: str) -> User:
    """Staff without a password hash (hashing is slow and irrelevant here)."""
    user = User.objects.create(username=f"rule{next(_names)}", department=dept, full_name=Role.NAMES[role])
    user.roles.set([role])
    return user


@pytest.fixture
def org():
    """A lead department with one person per role, a partner department, and a centre administrator."""
    lead = f.department("市市场监督管理局")
    window = Window.objects.create(department=lead, number=f"RW{next(_names)}", name="市场监管窗口")
    people = {role: person(lead, role) for role in (Role.CLERK, Role.HANDLER, Role.REVIEWER, Role.APPROVER)}
    people[Role.CLERK].window = window
    people[Role.CLERK].save()
    people["admin"] = person(None, Role.ADMIN)
    partner = f.department("市消防救援支队")
    people["partner_handler"] = person(partner, Role.HANDLER)
    people["partner_reviewer"] = person(partner, Role.REVIEWER)
    return lead, partner, people


def flow_item(dept, steps, **kw):
    """An item whose flow is given as (seq, name, role, limit, unit, department)."""
    it = f.item(dept, steps=(), **kw)
    for seq, name, role, limit, unit, department in steps:
        FlowStep.objects.create(version=it.current_version(), seq=seq, name=name, role_id=role, limit=limit,
                                limit_unit=unit or FlowStep.LimitUnit.DAYS, department=department)
    return it


def perform(case, action, actor, **params):
    return services.perform(case, action, actor=actor, params=params)


def received(people, it, when, **kw) -> Case:
    clock.set_now(when)
    return f.receive(people[Role.CLERK], it, **kw)


def accepted(people, it, when) -> Case:
    case = received(people, it, when)
    return perform(case, "accept", people[Role.CLERK])


def active(case) -> list[CaseStep]:
    return list(case.steps.filter(status=CaseStep.Status.ACTIVE).order_by("pk"))


def used(case, on: dt.date) -> int:
    return lifecycle.clock_used_days(Case.objects.get(pk=case.pk), get_calendar(), on)


def unchanged(case, **facts) -> None:
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.row_version == case.row_version and fresh.state == case.state
    for name, value in facts.items():
        assert getattr(fresh, name) == value, name


# -- 行政许可法 art. 32: the correction notice and the acceptance date ----------------------------

def _incomplete(people, it, when) -> Case:
    specs = list(it.current_version().materials.all())
    return received(people, it, when, materials={specs[0].pk: {"received": True}})


def _correct_and_accept(case, clerk, notice_at, supplied_at, accept_at) -> Case:
    clock.set_now(notice_at)
    case = perform(case, "request_correction", clerk, missing=[{"name": "建设工程规划许可证", "problem": "未提交"}])
    clock.set_now(supplied_at)
    case = perform(case, "supplement", clerk, materials=[m.pk for m in case.materials.all()])
    clock.set_now(accept_at)
    return perform(case, "accept", clerk)


def test_correction_notice_on_the_fifth_working_day_is_timely(org):
    lead, _, people = org
    it = f.item(lead)
    # Received Thursday 24 September: day 5 is Friday 9 October (中秋 and 国庆 in between).
    case = _incomplete(people, it, at(2026, 9, 24))
    assert case.correction_due == dt.date(2026, 10, 9)
    case = _correct_and_accept(case, people[Role.CLERK], at(2026, 10, 9, 17, 0), at(2026, 10, 12), at(2026, 10, 13))
    notice = case.notices.get(kind=Notice.Kind.CORRECTION)
    assert notice.body["late"] is False
    # Timely notice: the limit runs from the day the complete materials arrived, not from receipt.
    assert case.accept_date == dt.date(2026, 10, 12)
    assert case.promised_due == dt.date(2026, 10, 26)
    assert case.events.get(action="accept").data["backdated_by_law"] is True


def test_correction_notice_on_the_sixth_working_day_is_late_and_acceptance_dates_from_receipt(org):
    lead, _, people = org
    it = f.item(lead)
    case = _incomplete(people, it, at(2026, 9, 24))
    # Saturday 10 October is a make-up working day: it is day 6, so the notice is late.
    case = _correct_and_accept(case, people[Role.CLERK], at(2026, 10, 10, 9, 0), at(2026, 10, 12), at(2026, 10, 13))
    assert case.notices.get(kind=Notice.Kind.CORRECTION).body["late"] is True
    assert case.events.get(action="request_correction").data["late"] is True
    assert case.accept_date == dt.date(2026, 9, 24)
    assert case.promised_due == dt.date(2026, 10, 15)
    assert case.statutory_due == dt.date(2026, 10, 29)


def test_acceptance_without_correction_dates_from_receipt(org):
    lead, _, people = org
    it = f.item(lead)
    case = received(people, it, at(2026, 3, 6, 16, 0))  # Friday
    clock.set_now(at(2026, 3, 9, 9, 5))  # accepted on Monday
    case = perform(case, "accept", people[Role.CLERK])
    assert case.accept_date == dt.date(2026, 3, 6)
    assert case.promised_due == dt.date(2026, 3, 20)
    assert case.statutory_due == dt.date(2026, 4, 3)


def test_only_one_correction_notice(org):
    lead, _, people = org
    it = f.item(lead)
    case = _incomplete(people, it, at(2026, 3, 2))
    case = perform(case, "request_correction", people[Role.CLERK], missing=[{"name": "申请表", "problem": "缺页"}])
    case = perform(case, "supplement", people[Role.CLERK], materials=[])
    with pytest.raises(TransitionRefused, match="不齐全"):
        perform(case, "accept", people[Role.CLERK])
    with pytest.raises(TransitionRefused, match="一次性告知"):
        perform(case, "request_correction", people[Role.CLERK], missing=[{"name": "申请表"}])
    assert case.notices.filter(kind=Notice.Kind.CORRECTION).count() == 1


@pytest.mark.parametrize("missing", [[], None, "建设工程规划许可证", [{"name": "  "}], 7])
def test_correction_must_list_named_materials(org, missing):
    lead, _, people = org
    case = _incomplete(people, f.item(lead), at(2026, 3, 2))
    with pytest.raises(InvalidInput) as error:
        perform(case, "request_correction", people[Role.CLERK], missing=missing)
    assert "missing" in error.value.fields
    unchanged(case, correction_count=0)
    assert not case.notices.exists()


@pytest.mark.parametrize("materials", ["abc", ["x"], [10**9]])
def test_supplement_names_materials_of_the_case(org, materials):
    lead, _, people = org
    case = _incomplete(people, f.item(lead), at(2026, 3, 2))
    case = perform(case, "request_correction", people[Role.CLERK], missing=[{"name": "申请表"}])
    with pytest.raises(InvalidInput) as error:
        perform(case, "supplement", people[Role.CLERK], materials=materials)
    assert "materials" in error.value.fields
    unchanged(case, corrected_at=None)


# -- a step's own time allotment -------------------------------------------------------------------

def _one_step(lead, limit, unit=None):
    return flow_item(lead, [(1, "审查", Role.HANDLER, limit, unit, None), (2, "审批", Role.APPROVER, None, None, None)])


def test_step_limit_in_days_skips_the_holiday(org):
    lead, _, people = org
    case = accepted(people, _one_step(lead, 3), at(2026, 9, 29))
    (step,) = active(case)
    assert step.own_limit
    assert step.due_at == end_of(2026, 10, 9)  # 30 Sep, 8 Oct, 9 Oct


@pytest.mark.parametrize(("start", "hours", "due"), [
    # 1.5 office hours on 30 September, the rest after 国庆 on 8 October.
    (at(2026, 9, 30, 16, 0), 4, at(2026, 10, 8, 11, 30)),
    # Friday 2.5 h, Monday 8.5 h, Tuesday 5 h: across the night and the weekend.
    (at(2026, 3, 6, 15, 0), 16, at(2026, 3, 10, 14, 0)),
    # Accepted in the evening: the allotment starts at the next opening.
    (at(2026, 3, 4, 20, 0), 2, at(2026, 3, 5, 11, 0)),
    # Ends exactly at closing time.
    (at(2026, 3, 4, 9, 30), 8, at(2026, 3, 4, 17, 30)),
])
def test_step_limit_in_office_hours(org, start, hours, due):
    lead, _, people = org
    case = accepted(people, _one_step(lead, hours, HOURS), start)
    (step,) = active(case)
    assert step.own_limit and step.due_at == due


def test_step_without_own_limit_follows_the_case_due(org):
    lead, _, people = org
    case = accepted(people, _one_step(lead, None), at(2026, 3, 2))
    (step,) = active(case)
    assert not step.own_limit
    assert step.due_at == end_of(2026, 3, 16) and case.promised_due == dt.date(2026, 3, 16)
    case = perform(case, "extend", people[Role.APPROVER], days=1, reason="需补充现场核查")
    step.refresh_from_db()
    assert case.promised_due == dt.date(2026, 3, 17) and step.due_at == end_of(2026, 3, 17)


def test_resume_moves_a_steps_own_due_by_the_stopped_days(org):
    lead, _, people = org
    case = accepted(people, _one_step(lead, 3), at(2026, 9, 28))
    clock.set_now(at(2026, 9, 30))
    case = perform(case, "request_supplement", people[Role.HANDLER], reason="补交消防验收意见")
    clock.set_now(at(2026, 10, 9))
    case = perform(case, "resume", people[Role.HANDLER])
    (step,) = active(case)
    # Due 8 October (29, 30 September, 8 October); 2 stopped days (8, 9 October) move it to Saturday 10 October.
    assert case.stopped_days == 2
    assert step.due_at == end_of(2026, 10, 10)


# -- suspension (特别程序 / 补件) and resumption --------------------------------------------------

@pytest.mark.parametrize(("accept_at", "stop_at", "resume_at", "stopped", "promised"), [
    (at(2026, 3, 2), at(2026, 3, 3, 10), at(2026, 3, 3, 15), 0, dt.date(2026, 3, 16)),  # the same day
    (at(2026, 3, 2), at(2026, 3, 6), at(2026, 3, 9), 1, dt.date(2026, 3, 17)),  # Friday → Monday
    (at(2026, 9, 28), at(2026, 9, 30), at(2026, 10, 9), 2, dt.date(2026, 10, 20)),  # across 国庆
])
def test_suspension_counts_only_working_days(org, accept_at, stop_at, resume_at, stopped, promised):
    lead, _, people = org
    case = accepted(people, f.item(lead), accept_at)
    before = case.promised_due
    clock.set_now(stop_at)
    case = perform(case, "suspend", people[Role.HANDLER], kind="expert_review", reason="组织专家评审",
                   expected_days=5)
    assert case.state == State.SUSPENDED and case.promised_due == before
    frozen = used(case, timezone.localdate(stop_at))
    day = timezone.localdate(stop_at)
    while day <= timezone.localdate(resume_at):  # the clock does not move while suspended, whatever the calendar does
        assert used(case, day) == frozen
        day += dt.timedelta(days=1)
    clock.set_now(resume_at)
    case = perform(case, "resume", people[Role.HANDLER])
    assert case.state == State.IN_PROGRESS
    assert case.stopped_days == stopped == case.clock_stops.get().stopped_days
    assert case.promised_due == promised
    assert used(case, timezone.localdate(resume_at)) == frozen
    notice = case.notices.get(kind=Notice.Kind.SPECIAL_PROCEDURE)
    assert notice.body["procedure"] == "专家评审" and notice.body["expected_days"] == 5


def test_special_procedure_not_allowed_by_the_item_is_refused(org):
    lead, _, people = org
    case = accepted(people, f.item(lead, procedures=(("expert_review", 15),)), at(2026, 3, 2))
    with pytest.raises(InvalidInput) as error:
        perform(case, "suspend", people[Role.HANDLER], kind="hearing", reason="听证", expected_days=5)
    assert "kind" in error.value.fields and "专家评审" in error.value.message
    unchanged(case, clock_stopped_on=None)
    assert not ClockStop.objects.filter(case=case).exists()


@pytest.mark.parametrize(("days", "ok"), [(0, False), (1, True), (15, True), (16, False), ("十五", False)])
def test_special_procedure_length_is_bounded_by_the_items_limit(org, days, ok):
    lead, _, people = org
    case = accepted(people, f.item(lead, procedures=(("expert_review", 15),)), at(2026, 3, 2))
    params = {"kind": "expert_review", "reason": "组织专家评审", "expected_days": days}
    if ok:
        case = perform(case, "suspend", people[Role.HANDLER], **params)
        stop = case.clock_stops.get()
        assert (stop.expected_days, stop.limit_days, stop.limit_due) == (days, 15, dt.date(2026, 3, 23))
    else:
        with pytest.raises(InvalidInput) as error:
            perform(case, "suspend", people[Role.HANDLER], **params)
        assert "expected_days" in error.value.fields
        unchanged(case, clock_stopped_on=None)


def test_suspension_needs_a_reason(org):
    lead, _, people = org
    case = accepted(people, f.item(lead), at(2026, 3, 2))
    for reason in ("", "   "):
        with pytest.raises(InvalidInput):
            perform(case, "suspend", people[Role.HANDLER], kind="expert_review", reason=reason, expected_days=3)
        with pytest.raises(InvalidInput):
            perform(case, "request_supplement", people[Role.HANDLER], reason=reason)
    unchanged(case, clock_stopped_on=None)


# -- extensions (art. 42) ---------------------------------------------------------------------------

def test_extension_of_a_20_day_item_is_bounded_by_10_days(org):
    lead, _, people = org
    case = accepted(people, f.item(lead, promised=10, statutory=20, extension_limit=10), at(2026, 3, 2))
    approver = people[Role.APPROVER]
    with pytest.raises(TransitionRefused) as refused:
        perform(case, "extend", approver, days=11, reason="情况复杂")
    assert refused.value.message == (
        "延长11个工作日超出本事项可延长的上限：本事项最多可延长10个工作日，已延长0个工作日，还可延长10个工作日。")
    assert refused.value.fields == {"days": ["最多还可延长10个工作日。"]}
    case = perform(case, "extend", approver, days=4, reason="情况复杂")
    assert case.statutory_due == dt.date(2026, 4, 3)  # 24 working days after 2 March
    with pytest.raises(TransitionRefused, match="已延长4个工作日，还可延长6个工作日"):
        perform(case, "extend", approver, days=7, reason="需补充论证")
    case = perform(case, "extend", approver, days=6, reason="需补充论证")
    assert case.extension_days == 10 and case.statutory_due == dt.date(2026, 4, 14)
    for days in (1, 0):
        with pytest.raises(TransitionRefused, match="上限"):
            perform(case, "extend", approver, days=days, reason="再延")
    unchanged(case, extension_days=10, statutory_due=dt.date(2026, 4, 14))
    assert list(case.notices.filter(kind=Notice.Kind.EXTENSION).values_list("body__days", flat=True)) == [4, 6]


def test_extension_of_a_joint_handling_item_is_bounded_by_15_days(org):
    lead, _, people = org
    it = f.item(lead, promised=30, statutory=45, extension_limit=15)
    ItemVersion.objects.filter(item=it).update(joint_handling=True)
    case = accepted(people, it, at(2026, 3, 2))
    assert case.statutory_due == dt.date(2026, 5, 8)
    with pytest.raises(TransitionRefused, match="最多可延长15个工作日"):
        perform(case, "extend", people[Role.APPROVER], days=16, reason="联合审查")
    case = perform(case, "extend", people[Role.APPROVER], days=15, reason="联合审查")
    assert case.statutory_due == dt.date(2026, 5, 28)


@pytest.mark.parametrize("params", [{"days": 3}, {"days": 3, "reason": " "}, {"days": "三", "reason": "复杂"}])
def test_extension_needs_a_reason_and_a_number_of_days(org, params):
    lead, _, people = org
    case = accepted(people, f.item(lead), at(2026, 3, 2))
    with pytest.raises(InvalidInput):
        perform(case, "extend", people[Role.APPROVER], **params)
    unchanged(case, extension_days=0, statutory_due=case.statutory_due)


def test_only_the_approver_extends(org):
    lead, _, people = org
    case = accepted(people, f.item(lead), at(2026, 3, 2))
    with pytest.raises(Forbidden):
        perform(case, "extend", people[Role.HANDLER], days=3, reason="复杂")


# -- returning to an earlier step ------------------------------------------------------------------

def test_return_to_an_earlier_step_and_back(org):
    lead, _, people = org
    case = accepted(people, f.item(lead), at(2026, 3, 2))
    case = perform(case, "pass", people[Role.HANDLER], opinion="材料齐全")
    case = perform(case, "pass", people[Role.REVIEWER], opinion="符合条件")
    (approval,) = active(case)
    assert approval.name == "审批"
    with pytest.raises(InvalidInput):
        perform(case, "return", people[Role.APPROVER], to_seq=1)  # a reason is required
    for to_seq in (3, 4, "第一步"):
        with pytest.raises(InvalidInput, match="之前"):
            perform(case, "return", people[Role.APPROVER], to_seq=to_seq, reason="需重新审查")
    case = perform(case, "return", people[Role.APPROVER], to_seq=1, reason="需重新审查面积")
    approval.refresh_from_db()
    assert approval.status == CaseStep.Status.RETURNED and approval.opinion == "需重新审查面积"
    (again,) = active(case)
    assert (again.seq, again.name, again.assignee) == (1, "审查", people[Role.HANDLER])
    with pytest.raises(TransitionRefused, match="第一个环节"):
        perform(case, "return", people[Role.HANDLER], reason="退回")
    for role in (Role.HANDLER, Role.REVIEWER, Role.APPROVER):
        case = perform(case, "pass", people[role])
    assert case.state == State.DECIDING
    history = list(case.steps.order_by("pk").values_list("name", "status"))
    assert history == [("审查", "done"), ("审核", "done"), ("审批", "returned"),
                       ("审查", "done"), ("审核", "done"), ("审批", "done")]
    assert case.events.get(action="return").data["to_seq"] == 1


def test_return_without_target_goes_one_step_back(org):
    lead, _, people = org
    case = accepted(people, f.item(lead), at(2026, 3, 2))
    case = perform(case, "pass", people[Role.HANDLER])
    case = perform(case, "return", people[Role.REVIEWER], reason="意见不明确")
    assert [s.name for s in active(case)] == ["审查"]


# -- 即办件 (on-the-spot items) ----------------------------------------------------------------------

@pytest.mark.parametrize(("received_at", "due"), [
    (at(2026, 3, 4, 17, 29), dt.date(2026, 3, 4)),  # before closing: today
    (at(2026, 3, 4, 17, 30), dt.date(2026, 3, 4)),  # at closing: still today
    (at(2026, 3, 4, 17, 31), dt.date(2026, 3, 5)),  # after hours: next working day
    (at(2026, 3, 7, 10, 0), dt.date(2026, 3, 9)),  # an ordinary Saturday: Monday
    (at(2026, 2, 14, 10, 0), dt.date(2026, 2, 14)),  # the Saturday worked before 春节: that day
    (at(2026, 2, 14, 18, 0), dt.date(2026, 2, 24)),  # after hours on it: after 春节
    (at(2026, 9, 30, 18, 0), dt.date(2026, 10, 8)),  # after hours before 国庆: 8 October
])
def test_on_the_spot_item_is_due_the_day_it_is_received_in_office_hours(org, received_at, due):
    lead, _, people = org
    spot = f.item(lead, name="个体工商户名称变更登记", promised=0, statutory=0, steps=(("办理", Role.CLERK, None),),
                  materials=(("变更登记申请书", True, False),), procedures=())
    case = received(people, spot, received_at)
    clock.set_now(received_at + dt.timedelta(minutes=10))
    case = perform(case, "handle_on_the_spot", people[Role.CLERK], opinion="当场办结")
    assert case.state == State.COMPLETED and case.decision == "grant"
    assert case.promised_due == case.statutory_due == due
    assert case.completed_at == case.closed_at == clock.now()
    assert not case.steps.exists()


@pytest.mark.parametrize(("received_at", "due"), [
    (at(2026, 3, 4, 12, 40), dt.date(2026, 3, 4)),  # the noon break: the afternoon is still to come
    (at(2026, 3, 4, 18, 30), dt.date(2026, 3, 4)),  # Wednesday's 延时服务 to 19:00: that day
    (at(2026, 3, 4, 19, 5), dt.date(2026, 3, 5)),  # after the evening: the next working day
    (at(2026, 3, 5, 17, 10), dt.date(2026, 3, 6)),  # Thursday closes at 17:00, not the centre's 17:30
    (at(2026, 3, 7, 10, 0), dt.date(2026, 3, 7)),  # its Saturday service: that Saturday
    (at(2026, 3, 7, 14, 0), dt.date(2026, 3, 9)),  # Saturday afternoon, no service: Monday
])
def test_an_on_the_spot_case_is_due_by_the_hours_of_the_window_that_received_it(org, received_at, due):
    lead, _, people = org
    window = people[Role.CLERK].window
    for weekday in range(1, 6):
        WeeklyHours.objects.create(window=window, weekday=weekday, morning_opens=dt.time(9, 0),
                                   morning_closes=dt.time(12, 0), afternoon_opens=dt.time(13, 30),
                                   afternoon_closes=dt.time(17, 0),
                                   extended_until=dt.time(19, 0) if weekday == 3 else None)
    WeeklyHours.objects.create(window=window, weekday=6, morning_opens=dt.time(9, 0), morning_closes=dt.time(12, 0))
    spot = f.item(lead, name="居民身份证挂失申报", promised=0, statutory=0, steps=(("办理", Role.CLERK, None),),
                  materials=(("挂失申报表", True, False),), procedures=())
    case = received(people, spot, received_at)
    clock.set_now(received_at + dt.timedelta(minutes=5))
    case = perform(case, "handle_on_the_spot", people[Role.CLERK], opinion="当场办结")
    assert case.promised_due == case.statutory_due == due


def test_an_on_the_spot_case_of_another_window_keeps_the_centres_hours(org):
    lead, _, people = org
    WeeklyHours.objects.create(window=people[Role.CLERK].window, weekday=3, morning_opens=dt.time(9, 0),
                               morning_closes=dt.time(12, 0), afternoon_opens=dt.time(13, 30),
                               afternoon_closes=dt.time(17, 0), extended_until=dt.time(19, 0))
    other = Window.objects.create(department=lead, number=f"RW{next(_names)}", name="综合窗口")
    spot = f.item(lead, name="居民身份证挂失申报", promised=0, statutory=0, steps=(("办理", Role.CLERK, None),),
                  materials=(("挂失申报表", True, False),), procedures=())
    case = received(people, spot, at(2026, 3, 4, 18, 30), window=other)
    clock.set_now(at(2026, 3, 4, 18, 35))
    case = perform(case, "handle_on_the_spot", people[Role.CLERK], opinion="当场办结")
    assert case.window == other and case.promised_due == dt.date(2026, 3, 5)


def test_on_the_spot_handling_is_refused_for_a_promised_item(org):
    lead, _, people = org
    case = received(people, f.item(lead), at(2026, 3, 4))
    with pytest.raises(TransitionRefused, match="不是即办件"):
        perform(case, "handle_on_the_spot", people[Role.CLERK])
    unchanged(case, accept_date=None)


# -- ending a case: withdrawal and voiding ---------------------------------------------------------

def test_withdrawal_while_suspended_closes_the_stop_and_freezes_the_clock(org):
    lead, _, people = org
    case = accepted(people, f.item(lead), at(2026, 9, 28))
    clock.set_now(at(2026, 9, 30))
    case = perform(case, "suspend", people[Role.HANDLER], kind="expert_review", reason="专家评审", expected_days=10)
    frozen = used(case, dt.date(2026, 9, 30))
    clock.set_now(at(2026, 10, 13))
    case = perform(case, "withdraw", people[Role.CLERK], reason="申请人书面申请撤回",
                   request_file=f.withdrawal_request())
    assert case.state == State.WITHDRAWN and case.clock_stopped_on is None
    stop = case.clock_stops.get()
    # 8, 9, 10 (worked Saturday), 12, 13 October were stopped.
    assert stop.ended_at == clock.now() and stop.stopped_days == 5 == case.stopped_days
    assert not active(case)
    assert set(case.steps.values_list("status", flat=True)) == {CaseStep.Status.CANCELLED}
    assert used(case, dt.date(2026, 11, 30)) == frozen == 2


def test_voiding_cancels_every_active_part_and_keeps_an_earlier_end(org):
    lead, partner, people = org
    it = _parallel_item(lead, partner)
    case = accepted(people, it, at(2026, 3, 2))
    case = perform(case, "pass", people[Role.HANDLER])
    assert len(active(case)) == 2
    clock.set_now(at(2026, 3, 5))
    with pytest.raises(Forbidden):
        perform(case, "void", people[Role.APPROVER], reason="重复申报")
    with pytest.raises(InvalidInput):
        perform(case, "void", people["admin"], reason="  ")
    case = perform(case, "void", people["admin"], reason="重复申报")
    assert case.state == State.VOIDED and case.closed_at == at(2026, 3, 5) and not active(case)
    with pytest.raises(TransitionRefused):
        perform(case, "void", people["admin"], reason="再次作废")

    withdrawn = accepted(people, it, at(2026, 3, 2))
    clock.set_now(at(2026, 3, 4))
    withdrawn = perform(withdrawn, "withdraw", people[Role.CLERK], reason="申请人撤回",
                        request_file=f.withdrawal_request())
    clock.set_now(at(2026, 3, 20))
    withdrawn = perform(withdrawn, "void", people["admin"], reason="档案清理")
    assert withdrawn.closed_at == at(2026, 3, 4)  # it ended when it was withdrawn
    assert used(withdrawn, dt.date(2026, 3, 31)) == 2


# -- reasons are required for refusals -------------------------------------------------------------

@pytest.mark.parametrize("reason", [None, "", "   "])
def test_refusal_and_denial_need_a_reason(org, reason):
    lead, _, people = org
    it = f.item(lead)
    case = received(people, it, at(2026, 3, 2))
    with pytest.raises(InvalidInput, match="理由"):
        perform(case, "refuse", people[Role.CLERK], reason=reason)
    unchanged(case, closed_at=None)
    case = perform(case, "accept", people[Role.CLERK])
    for role in (Role.HANDLER, Role.REVIEWER, Role.APPROVER):
        case = perform(case, "pass", people[role])
    with pytest.raises(InvalidInput, match="理由"):
        perform(case, "deny", people[Role.APPROVER], reason=reason)
    unchanged(case, decision="", decided_at=None)
    assert not case.notices.filter(kind__in=[Notice.Kind.REFUSAL, Notice.Kind.DENIAL]).exists()
    case = perform(case, "deny", people[Role.APPROVER], reason="不符合消防安全条件")
    assert case.notices.get(kind=Notice.Kind.DENIAL).body["reason"] == "不符合消防安全条件"
    assert case.delivery_due == dt.date(2026, 3, 16)  # art. 44: 10 working days after the decision


# -- a parallel stage in two departments -----------------------------------------------------------

def _parallel_item(lead, partner):
    return flow_item(lead, [
        (1, "受理审查", Role.HANDLER, None, None, None),
        (2, "市场监管审核", Role.REVIEWER, None, None, None),
        (2, "消防审查", Role.HANDLER, None, None, partner),
        (3, "审批", Role.APPROVER, None, None, None),
    ])


def test_parallel_stage_moves_on_only_when_both_departments_pass(org):
    lead, partner, people = org
    case = accepted(people, _parallel_item(lead, partner), at(2026, 3, 2))
    case = perform(case, "pass", people[Role.HANDLER])
    ours, theirs = active(case)
    assert (ours.department, theirs.department) == (lead, partner)
    assert theirs.assignee == people["partner_handler"] and ours.seq == theirs.seq == 2
    assert case in services.visible_cases(people["partner_handler"])

    # Each department may act on its own part only, whichever part it names.
    with pytest.raises(Forbidden):
        perform(case, "pass", people["partner_handler"], step=ours.pk)
    with pytest.raises(Forbidden):
        perform(case, "pass", people["partner_reviewer"])  # right role name, wrong department's part
    with pytest.raises(Forbidden):
        perform(case, "pass", people[Role.HANDLER], step=theirs.pk)  # handler, but of the lead department
    with pytest.raises(Forbidden):
        perform(case, "withdraw", people["partner_handler"], reason="撤回")
    assert case.events.count() == 3

    case = perform(case, "pass", people["partner_handler"], opinion="消防审查合格")
    assert case.state == State.IN_PROGRESS and active(case) == [ours]
    with pytest.raises(TransitionRefused):
        perform(case, "pass", people["partner_handler"], step=theirs.pk)  # already passed
    case = perform(case, "pass", people[Role.REVIEWER], step=ours.pk)
    (approval,) = active(case)
    assert approval.name == "审批" and approval.seq == 3
    case = perform(case, "pass", people[Role.APPROVER])
    assert case.state == State.DECIDING
    passes = case.events.filter(action="pass")
    assert [e.step.department for e in passes] == [lead, partner, lead, lead]


def test_an_unassigned_part_can_only_be_taken_by_its_own_department(org):
    lead, partner, people = org
    case = accepted(people, _parallel_item(lead, partner), at(2026, 3, 2))
    User.objects.filter(pk=people["partner_handler"].pk).update(on_duty=False)  # nobody there to assign it to
    case = perform(case, "pass", people[Role.HANDLER])
    theirs = case.steps.get(status=CaseStep.Status.ACTIVE, department=partner)
    assert theirs.assignee is None
    with pytest.raises(Forbidden):
        perform(case, "pass", people[Role.HANDLER], step=theirs.pk)  # same role, other department
    case = perform(case, "pass", people["partner_handler"], step=theirs.pk)
    theirs.refresh_from_db()
    assert theirs.status == CaseStep.Status.DONE and theirs.finished_by == people["partner_handler"]


def test_a_partner_department_resumes_the_supplement_it_asked_for(org):
    lead, partner, people = org
    case = accepted(people, _parallel_item(lead, partner), at(2026, 3, 2))
    case = perform(case, "pass", people[Role.HANDLER])
    ours, theirs = active(case)
    clock.set_now(at(2026, 3, 3))
    case = perform(case, "request_supplement", people["partner_handler"], reason="补交消防设计图纸")
    assert case.state == State.SUSPENDED and case.clock_stops.get().step == theirs
    # The page offers the department that asked the button to end its stop.
    assert "resume" in [t.action for t in services.allowed_actions(case, people["partner_handler"])]
    clock.set_now(at(2026, 3, 5))
    case = perform(case, "resume", people["partner_handler"], comment="图纸已补交")
    assert case.state == State.IN_PROGRESS and case.stopped_days == 2
    # The lead department's part goes on as it was: same person, still working.
    assert active(case) == [ours, theirs]
    assert [(s.status, s.assignee) for s in active(case)] == [
        (CaseStep.Status.ACTIVE, people[Role.REVIEWER]), (CaseStep.Status.ACTIVE, people["partner_handler"])]
    case = perform(case, "pass", people["partner_handler"], opinion="消防审查合格")
    case = perform(case, "pass", people[Role.REVIEWER])
    assert [s.name for s in active(case)] == ["审批"]


def test_a_partner_department_cannot_end_a_stop_the_lead_department_asked_for(org):
    lead, partner, people = org
    case = accepted(people, _parallel_item(lead, partner), at(2026, 3, 2))
    case = perform(case, "pass", people[Role.HANDLER])
    case = perform(case, "request_supplement", people[Role.REVIEWER], reason="补交规划许可证")
    assert "resume" not in [t.action for t in services.allowed_actions(case, people["partner_handler"])]
    with pytest.raises(Forbidden):
        perform(case, "resume", people["partner_handler"])
    unchanged(case, clock_stopped_on=case.clock_stopped_on)
    case = perform(case, "resume", people[Role.CLERK])  # the lead department ends any stop of its case
    assert case.state == State.IN_PROGRESS


def test_a_return_from_a_parallel_stage_keeps_the_other_departments_finished_part(org):
    lead, partner, people = org
    case = accepted(people, _parallel_item(lead, partner), at(2026, 3, 2))
    case = perform(case, "pass", people[Role.HANDLER])
    ours, theirs = active(case)
    case = perform(case, "pass", people["partner_handler"], opinion="消防审查合格")
    case = perform(case, "return", people[Role.REVIEWER], reason="面积需重新核实")
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.status == CaseStep.Status.RETURNED
    assert (theirs.status, theirs.opinion) == (CaseStep.Status.DONE, "消防审查合格")
    assert [s.name for s in active(case)] == ["受理审查"]
    case = perform(case, "pass", people[Role.HANDLER])
    # Only the part that was returned is worked again; the fire service's review stands.
    assert [(s.name, s.department) for s in active(case)] == [("市场监管审核", lead)]
    case = perform(case, "pass", people[Role.REVIEWER])
    assert [s.name for s in active(case)] == ["审批"]
    history = list(case.steps.order_by("pk").values_list("name", "status"))
    assert history == [("受理审查", "done"), ("市场监管审核", "returned"), ("消防审查", "done"),
                       ("受理审查", "done"), ("市场监管审核", "done"), ("审批", "active")]


def test_a_return_from_a_parallel_stage_leaves_the_other_departments_active_part_working(org):
    lead, partner, people = org
    case = accepted(people, _parallel_item(lead, partner), at(2026, 3, 2))
    case = perform(case, "pass", people[Role.HANDLER])
    ours, theirs = active(case)
    case = perform(case, "return", people["partner_handler"], reason="消防设计说明与图纸不符")
    theirs.refresh_from_db()
    assert theirs.status == CaseStep.Status.RETURNED and theirs.finished_by == people["partner_handler"]
    again = case.steps.get(status=CaseStep.Status.ACTIVE, seq=1)
    assert active(case) == [ours, again]
    # The lead's review may finish meanwhile; the stage waits for the part being worked again.
    case = perform(case, "pass", people[Role.REVIEWER], step=ours.pk, opinion="符合条件")
    assert case.state == State.IN_PROGRESS and active(case) == [again]
    case = perform(case, "pass", people[Role.HANDLER])
    assert [(s.name, s.department) for s in active(case)] == [("消防审查", partner)]
    case = perform(case, "pass", people["partner_handler"])
    assert [s.name for s in active(case)] == ["审批"]


def test_the_lead_may_still_return_its_part_while_the_partners_part_redoes_an_earlier_stage(org):
    from shenpi.workbench.forms import ReturnForm

    lead, partner, people = org
    case = accepted(people, _parallel_item(lead, partner), at(2026, 3, 2))
    case = perform(case, "pass", people[Role.HANDLER])
    ours, _ = active(case)
    case = perform(case, "return", people["partner_handler"], reason="消防设计说明与图纸不符")
    form = ReturnForm(case=case, action="return")
    assert form.fields["to_seq"].choices == [(1, "第1步：受理审查")]
    case = perform(case, "return", people[Role.REVIEWER], step=ours.pk, to_seq=1, reason="申请表信息与图纸不一致")
    ours.refresh_from_db()
    assert ours.status == CaseStep.Status.RETURNED and [s.seq for s in active(case)] == [1]
