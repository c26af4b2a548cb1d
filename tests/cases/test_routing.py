"""转办 and AB角: handing a step to a colleague, and stand-ins who work an absent colleague's steps."""

import datetime as dt

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.accounts import routing
from shenpi.accounts.models import Absence, Role, StandIn
from shenpi.cases import queries, services, trail
from shenpi.cases.models import CaseStep, State
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.notifications.models import Notification
from tests import factories as f

pytestmark = pytest.mark.django_db


def at(y, m, d, hh=10, mm=0):
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


@pytest.fixture
def org():
    """A department with two handlers (张承办 first, 李承办 second), a stranger handler elsewhere."""
    clock.set_now(at(2026, 11, 16))
    dept = f.department()
    people = f.staff(dept)
    people["handler"].full_name = "张承办"
    people["handler"].save()
    people["handler2"] = f.user(dept, Role.HANDLER, full_name="李承办")
    people["stranger"] = f.user(f.department("市交通运输局"), Role.HANDLER, full_name="王外局")
    return dept, people, f.item(dept)


def accepted(people, it):
    case = f.receive(people["clerk"], it)
    return services.perform(case, "accept", actor=people["clerk"])


def active(case) -> CaseStep:
    return case.steps.get(status=CaseStep.Status.ACTIVE)


def test_the_assignee_hands_the_step_to_a_colleague_and_the_trail_records_it(org):
    dept, people, it = org
    case = accepted(people, it)
    step = active(case)
    assert step.assignee == people["handler"]
    due_before, promised_before = step.due_at, case.promised_due
    case = services.perform(case, "transfer", actor=people["handler"],
                            params={"to": people["handler2"].pk, "reason": "本人外出核查，请李承办办理"},
                            ip="10.1.2.3")
    assert case.state == State.IN_PROGRESS
    step = active(case)
    assert step.assignee == people["handler2"]
    # The clock runs on: no stop, the same dues.
    assert (step.due_at, case.promised_due, case.clock_stopped_on) == (due_before, promised_before, None)
    event = case.events.order_by("-pk").first()
    assert (event.action, event.actor, event.step_id, event.comment) == (
        "transfer", people["handler"], step.pk, "本人外出核查，请李承办办理")
    assert event.data["from_name"] == "张承办" and event.data["to_name"] == "李承办"
    assert event.data["to_assignee"] == people["handler2"].pk
    assert trail.verify(case_number=case.number).breaks == []
    # The colleague now holds it: in their 待办, and they may pass it; the first handler may not.
    assert case in queries.todo(people["handler2"], clock.today())
    assert case not in queries.todo(people["handler"], clock.today())
    with pytest.raises(Forbidden):
        services.perform(case, "pass", actor=people["handler"])
    case = services.perform(case, "pass", actor=people["handler2"], params={"opinion": "同意"})
    assert case.steps.get(pk=step.pk).finished_by == people["handler2"]


def test_the_colleague_is_told_by_e_mail_who_handed_the_step_over_why_and_by_when(org):
    dept, people, it = org
    people["handler2"].email = "li.chengban@example.invalid"
    people["handler2"].save()
    case = accepted(people, it)
    step = active(case)
    case = services.perform(case, "transfer", actor=people["handler"],
                            params={"to": people["handler2"].pk, "reason": "本人外出核查，请李承办办理"})
    sent = Notification.objects.get(template="step_transferred")
    due = timezone.localtime(step.due_at)
    assert (sent.recipient, sent.channel, sent.address, sent.case) == (
        people["handler2"], Notification.Channel.EMAIL, "li.chengban@example.invalid", case)
    assert sent.subject == f"转办通知：办件 {case.number}"
    for text in (f"李承办：张承办将办件 {case.number}（{it.current_version().name}", f"“{step.name}”环节转交您办理",
                 f"环节期限{due.year}年{due.month}月{due.day}日 {due:%H:%M}", "转办理由：本人外出核查，请李承办办理"):
        assert text in sent.body, text


def test_no_message_for_a_refused_transfer_or_a_colleague_without_an_address(org):
    dept, people, it = org
    case = accepted(people, it)
    with pytest.raises(InvalidInput):
        services.perform(case, "transfer", actor=people["handler"], params={"to": people["stranger"].pk,
                                                                           "reason": "调整"})
    services.perform(case, "transfer", actor=people["handler"], params={"to": people["handler2"].pk,
                                                                       "reason": "调整"})
    assert not Notification.objects.filter(template="step_transferred").exists()


def test_a_transfer_needs_a_reason_and_a_colleague_of_the_post(org):
    dept, people, it = org
    case = accepted(people, it)
    handler = people["handler"]
    cases_before = list(case.events.values_list("pk", flat=True))
    for params, field in (({"to": people["handler2"].pk, "reason": " "}, "reason"),
                          ({"reason": "工作调整"}, "to"),
                          ({"to": people["stranger"].pk, "reason": "工作调整"}, "to"),  # another department
                          ({"to": people["reviewer"].pk, "reason": "工作调整"}, "to"),  # not a handler
                          ({"to": handler.pk, "reason": "工作调整"}, "to"),  # already theirs
                          ({"to": "张三", "reason": "工作调整"}, "to")):
        with pytest.raises(InvalidInput) as refused:
            services.perform(case, "transfer", actor=handler, params=params)
        assert field in refused.value.fields, params
    people["handler2"].on_duty = False
    people["handler2"].save()
    with pytest.raises(InvalidInput):
        services.perform(case, "transfer", actor=handler, params={"to": people["handler2"].pk, "reason": "调整"})
    assert list(case.events.values_list("pk", flat=True)) == cases_before
    assert active(case).assignee == handler


def test_nobody_hands_on_a_colleague_s_step_but_the_assignee_and_the_lead(org):
    dept, people, it = org
    case = accepted(people, it)
    params = {"to": people["handler2"].pk, "reason": "工作调整"}
    for who in ("handler2", "reviewer", "clerk", "stranger", "liaison"):
        with pytest.raises(Forbidden):
            services.perform(case, "transfer", actor=people[who], params=params)
    # The department lead (审批人) hands on any step of the department, though not a handler.
    case = services.perform(case, "transfer", actor=people["approver"], params=params)
    assert active(case).assignee == people["handler2"]
    assert "transfer" in {t.action for t in services.allowed_actions(case, people["handler2"])}
    assert "transfer" not in {t.action for t in services.allowed_actions(case, people["handler"])}


def test_no_transfer_outside_a_running_step(org):
    dept, people, it = org
    case = f.receive(people["clerk"], it)
    with pytest.raises(TransitionRefused):
        services.perform(case, "transfer", actor=people["handler"],
                         params={"to": people["handler2"].pk, "reason": "调整"})


def test_a_colleague_away_gets_no_transfer_and_no_new_step(org):
    dept, people, it = org
    routing.record_absence(people["approver"], people["handler2"], clock.today(),
                           clock.today() + dt.timedelta(days=4), "年休假")
    case = accepted(people, it)
    with pytest.raises(InvalidInput) as refused:
        services.perform(case, "transfer", actor=people["handler"],
                         params={"to": people["handler2"].pk, "reason": "调整"})
    assert "年休假" in refused.value.message
    # Least loaded would be 李承办 (no steps) but he is away: the new steps go to 张承办.
    second = accepted(people, it)
    assert active(second).assignee == people["handler"]
    # Once he is back (the period over), he is picked again.
    clock.set_now(at(2026, 11, 23))
    third = accepted(people, it)
    assert active(third).assignee == people["handler2"]


def test_when_the_whole_post_is_away_the_step_still_gets_an_assignee(org):
    dept, people, it = org
    today = clock.today()
    for who in ("handler", "handler2"):
        routing.record_absence(people["approver"], people[who], today, today, "培训")
    case = accepted(people, it)
    assert active(case).assignee in (people["handler"], people["handler2"])


def test_the_stand_in_sees_and_works_the_absent_colleague_s_steps_as_代办(org):
    dept, people, it = org
    case = accepted(people, it)
    assert active(case).assignee == people["handler"]
    routing.pair(people["approver"], people["handler"], people["handler2"])
    b = people["handler2"]
    # Not away yet: B neither sees nor works A's step.
    assert case not in queries.todo(b, clock.today())
    with pytest.raises(Forbidden):
        services.perform(case, "pass", actor=b)
    routing.record_absence(people["approver"], people["handler"], clock.today(),
                           clock.today() + dt.timedelta(days=2), "出差")
    assert case in queries.todo(b, clock.today())
    assert queries.covering_ids(b, clock.today()) == {people["handler"].pk}
    case = services.perform(case, "pass", actor=b, params={"opinion": "同意"})
    event = case.events.order_by("-pk").first()
    assert event.actor == b and event.data["stand_in_for"] == {"id": people["handler"].pk, "name": "张承办"}
    # Someone who is not A's stand-in still may not.
    other = accepted(people, it)
    assert active(other).assignee == people["handler2"]  # A is away: B takes new steps
    with pytest.raises(Forbidden):
        services.perform(other, "pass", actor=people["reviewer"])


def test_only_the_department_lead_or_an_administrator_keeps_stand_ins_and_absences(org):
    dept, people, it = org
    a, b = people["handler"], people["handler2"]
    for who in ("handler", "clerk", "liaison", "stranger"):
        with pytest.raises(Forbidden):
            routing.pair(people[who], a, b)
        with pytest.raises(Forbidden):
            routing.record_absence(people[who], a, clock.today(), clock.today(), "年休假")
    other_lead = f.user(people["stranger"].department, Role.APPROVER)
    with pytest.raises(Forbidden):
        routing.pair(other_lead, a, b)
    routing.pair(people["admin"], a, b)
    assert StandIn.objects.get(principal=a).stand_in == b
    with pytest.raises(InvalidInput):
        routing.pair(people["approver"], a, a)
    with pytest.raises(InvalidInput):
        routing.pair(people["approver"], a, people["stranger"])
    with pytest.raises(InvalidInput):
        routing.pair(people["approver"], a, people["clerk"])  # no handler role: cannot work A's steps


def test_absences_are_checked_and_end_when_the_person_is_back(org):
    dept, people, it = org
    lead, a, today = people["approver"], people["handler"], clock.today()
    with pytest.raises(InvalidInput) as refused:
        routing.record_absence(lead, a, today + dt.timedelta(days=3), today, "年休假")
    assert "ends_on" in refused.value.fields
    with pytest.raises(InvalidInput) as refused:
        routing.record_absence(lead, a, today, today, " ")
    assert "reason" in refused.value.fields
    absence = routing.record_absence(lead, a, today - dt.timedelta(days=2), today + dt.timedelta(days=2), "病假")
    with pytest.raises(InvalidInput):
        routing.record_absence(lead, a, today + dt.timedelta(days=1), today + dt.timedelta(days=5), "出差")
    assert routing.away_ids([a.pk]) == {a.pk}
    routing.end_absence(lead, absence)
    absence.refresh_from_db()
    assert absence.ends_on == today - dt.timedelta(days=1)
    assert routing.away_ids([a.pk]) == set()
    later = routing.record_absence(lead, a, today + dt.timedelta(days=7), today + dt.timedelta(days=8), "培训")
    routing.end_absence(lead, later)
    assert not Absence.objects.filter(pk=later.pk).exists()


def test_transfer_is_offered_only_when_someone_could_take_the_step(org):
    dept, people, it = org
    case = accepted(people, it)
    handler = people["handler"]
    assert "transfer" in {t.action for t in services.allowed_actions(case, handler)}
    routing.record_absence(people["approver"], people["handler2"], clock.today(), clock.today(), "培训")
    assert "transfer" not in {t.action for t in services.allowed_actions(case, handler)}
    # The reviewer's step has no second reviewer: nothing to offer there either.
    case = services.perform(case, "pass", actor=handler)
    assert "transfer" not in {t.action for t in services.allowed_actions(case, people["reviewer"])}
