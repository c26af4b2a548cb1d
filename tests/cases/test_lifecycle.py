"""The life of a case through the transition table, with the law's clock."""

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import User
from shenpi.cases import services
from shenpi.cases.models import Case, CaseStep, Notice, State
from shenpi.errors import Conflict, Forbidden, InvalidInput, TransitionRefused
from tests import factories as f

pytestmark = pytest.mark.django_db


def at(y, m, d, hh=10, mm=0):
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


@pytest.fixture
def org():
    dept = f.department()
    return dept, f.staff(dept), f.item(dept)


def work_to_decision(case, people):
    for role in ("handler", "reviewer", "approver"):
        case = services.perform(case, "pass", actor=people[role], params={"opinion": "同意"})
    return case


def test_full_life_to_completion_around_national_day(org):
    dept, people, it = org
    clock.set_now(at(2026, 9, 24))
    case = f.receive(people["clerk"], it)
    case = services.perform(case, "accept", actor=people["clerk"])
    assert case.state == State.IN_PROGRESS
    assert case.accept_date == dt.date(2026, 9, 24)
    # 10 working days after 24 September, skipping 中秋, 国庆 and counting the 调休 Saturday 10 October.
    assert case.promised_due == dt.date(2026, 10, 15)
    assert case.statutory_due == dt.date(2026, 10, 29)
    case = work_to_decision(case, people)
    assert case.state == State.DECIDING
    case = services.perform(case, "grant", actor=people["approver"])
    clock.set_now(at(2026, 10, 12))
    case = services.perform(case, "complete", actor=people["clerk"], params={"delivery": "窗口领取"})
    assert case.state == State.COMPLETED
    assert case.used_days == 7  # 28, 29, 30 Sept; 8, 9, 10 (调休), 12 Oct
    kinds = list(case.notices.values_list("kind", flat=True))
    assert kinds == [Notice.Kind.ACCEPTANCE, Notice.Kind.GRANT]
    assert [e.action for e in case.events.all()] == [
        "receive", "accept", "pass", "pass", "pass", "grant", "complete"]


@pytest.mark.clocks
def test_incomplete_materials_cannot_be_accepted_but_get_one_notice(org):
    dept, people, it = org
    specs = list(it.current_version().materials.all())
    case = f.receive(people["clerk"], it, materials={specs[0].pk: {"received": True}})
    with pytest.raises(TransitionRefused, match="不齐全"):
        services.perform(case, "accept", actor=people["clerk"])
    case = services.perform(case, "request_correction", actor=people["clerk"], params={
        "missing": [{"name": s.name, "problem": "未提交"} for s in specs[1:3]]})
    assert case.state == State.CORRECTING
    with pytest.raises(TransitionRefused):
        services.perform(case, "request_correction", actor=people["clerk"], params={"missing": ["x"]})
    ids = [m.pk for m in case.materials.all()]
    case = services.perform(case, "supplement", actor=people["clerk"], params={"materials": ids})
    case = services.perform(case, "accept", actor=people["clerk"])
    assert case.state == State.IN_PROGRESS


def test_acceptance_dates_from_receipt_when_no_timely_correction(org):
    dept, people, it = org
    clock.set_now(at(2026, 9, 21))
    case = f.receive(people["clerk"], it)
    clock.set_now(at(2026, 9, 29))  # 6 working days later, no correction notice was issued
    case = services.perform(case, "accept", actor=people["clerk"])
    assert case.accept_date == dt.date(2026, 9, 21)


def test_wrong_role_and_other_department_are_refused(org):
    dept, people, it = org
    case = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    with pytest.raises(Forbidden):
        services.perform(case, "pass", actor=people["reviewer"])
    other = f.department(name="交通运输局")
    stranger = f.user(other, "handler")
    with pytest.raises(Forbidden):
        services.perform(case, "pass", actor=stranger)
    assert Case.objects.get(pk=case.pk).events.count() == 2


def test_stale_version_conflicts(org):
    dept, people, it = org
    case = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    services.perform(case, "pass", actor=people["handler"], expected_version=case.row_version)
    with pytest.raises(Conflict):
        services.perform(case, "pass", actor=people["reviewer"], expected_version=case.row_version)


def test_suspension_stops_the_clock_and_moves_the_due_date(org):
    dept, people, it = org
    clock.set_now(at(2026, 11, 2))
    case = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    due = case.promised_due
    clock.set_now(at(2026, 11, 3))
    with pytest.raises(InvalidInput):
        services.perform(case, "suspend", actor=people["handler"], params={"kind": "expert_review"})
    case = services.perform(case, "suspend", actor=people["handler"],
                            params={"kind": "expert_review", "reason": "组织专家评审", "expected_days": 5})
    assert case.state == State.SUSPENDED
    clock.set_now(at(2026, 11, 10))
    case = services.perform(case, "resume", actor=people["handler"])
    assert case.stopped_days == 5
    assert case.promised_due > due
    step = case.steps.get(status=CaseStep.Status.ACTIVE)
    assert timezone.localdate(step.due_at) == case.promised_due


@pytest.mark.clocks
def test_extension_bounded_by_item(org):
    dept, people, it = org
    case = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    due = case.statutory_due
    with pytest.raises(TransitionRefused, match="还可延长10个工作日"):
        services.perform(case, "extend", actor=people["approver"], params={"days": 11, "reason": "复杂"})
    case = services.perform(case, "extend", actor=people["approver"], params={"days": 10, "reason": "复杂"})
    assert case.statutory_due > due
    with pytest.raises(TransitionRefused):
        services.perform(case, "extend", actor=people["approver"], params={"days": 1, "reason": "复杂"})


def test_on_the_spot_after_hours_is_due_next_working_day(org):
    dept, people, _ = org
    spot = f.item(dept, name="户外广告设置备案", promised=0, statutory=0, steps=(("办理", "clerk", None),))
    clock.set_now(at(2026, 9, 30, 18, 0))
    case = services.perform(f.receive(people["clerk"], spot), "handle_on_the_spot", actor=people["clerk"])
    assert case.state == State.COMPLETED
    assert case.promised_due == dt.date(2026, 10, 8)


def test_bad_applicant_id_is_refused_with_field_error(org):
    dept, people, it = org
    with pytest.raises(InvalidInput) as error:
        f.receive(people["clerk"], it, id_number="110105194912310021")
    assert "applicant_id" in error.value.fields
    assert Case.objects.count() == 0


def test_importing_a_notice_recomputes_provisional_due_dates(org, django_capture_on_commit_callbacks):
    from shenpi.workdays.services import import_notice

    dept, people, it = org
    clock.set_now(at(2027, 9, 27))
    case = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    assert case.due_provisional
    estimated = case.promised_due
    # A notice for 2027 that declares 28 September a holiday too (the estimate does not know it).
    with django_capture_on_commit_callbacks(execute=True):
        import_notice("date,kind,name\n2027-09-28,holiday,示例假日\n2027-10-01,holiday,国庆节\n"
                      "2027-10-04,holiday,国庆节\n2027-10-05,holiday,国庆节\n", "csv")
    case.refresh_from_db()
    assert not case.due_provisional
    assert case.promised_due > estimated
    assert case.events.last().action == "recompute_dues"


def test_the_applicant_hears_of_a_correction_by_sms_and_a_landline_gets_none(django_capture_on_commit_callbacks):
    from shenpi.notifications.models import Notification

    dept = f.department()
    people = f.staff(dept)
    it = f.item(dept)
    corrected = f.receive(people["clerk"], it, phone="13912345678")
    services.perform(corrected.pk, "request_correction", actor=people["clerk"],
                     params={"missing": [{"name": "建设工程规划许可证", "problem": "已过期"}]})
    landline = f.receive(people["clerk"], it, phone="0591-83381234")
    services.perform(landline.pk, "accept", actor=people["clerk"])
    [sms] = Notification.objects.filter(case=corrected)
    assert sms.template == "correction_requested" and sms.channel == "sms"
    assert "建设工程规划许可证（已过期）" in sms.body and corrected.number in sms.body
    assert not Notification.objects.filter(case=landline).exists()  # a landline cannot take an SMS


def test_an_action_whose_last_write_fails_leaves_the_case_as_it_was(org):
    """The accept's notice number is taken: the INSERT that fails is the action's last, sent with the
    others; the case, its steps and its trail stay as they were, and once the number is free the
    same action succeeds."""
    dept, people, it = org
    case = f.receive(people["clerk"], it)
    blocking = Notice.objects.create(case=case, kind=Notice.Kind.CORRECTION, number=f"{case.number}-01",
                                     issued_at=case.received_at, body={})
    before = Case.objects.values("state", "row_version", "trail_head", "trail_length", "notices_issued").get(
        pk=case.pk)
    with pytest.raises(IntegrityError):
        services.perform(case.pk, "accept", actor=people["clerk"])
    assert Case.objects.values(*before).get(pk=case.pk) == before
    assert not CaseStep.objects.filter(case=case).exists()
    assert list(case.events.values_list("action", flat=True)) == ["receive"]
    blocking.delete()
    assert services.perform(case.pk, "accept", actor=people["clerk"]).state == State.IN_PROGRESS
    assert case.steps.get().assignee == people["handler"]


def test_a_new_step_goes_to_whoever_has_fewest_steps_in_hand_whatever_they_finished(org):
    dept, people, it = org
    veteran, newcomer = people["handler"], f.user(dept, "handler", full_name="承办人乙", on_duty=False)

    def accepted_step():
        return services.perform(f.receive(people["clerk"], it).pk, "accept", actor=people["clerk"]).steps.get()

    for _ in range(3):  # the veteran works alone and passes three steps
        assert accepted_step().assignee == veteran
        services.perform(CaseStep.objects.get(assignee=veteran, status=CaseStep.Status.ACTIVE).case_id, "pass",
                         actor=veteran)
    User.objects.filter(pk=newcomer.pk).update(on_duty=True)
    User.objects.filter(pk=veteran.pk).update(on_duty=False)
    assert accepted_step().assignee == newcomer  # one step in hand, none finished
    User.objects.filter(pk=veteran.pk).update(on_duty=True)
    assert accepted_step().assignee == veteran  # none in hand, three finished
    assert accepted_step().assignee == veteran  # one in hand each: the first on the staff list
