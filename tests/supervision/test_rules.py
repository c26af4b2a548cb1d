"""Each shipped rule just before, at and after its threshold; event rules; manual findings; orders;
notifications; concurrency and a real Celery worker."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.cases import services, store
from shenpi.cases.models import Case, CaseStep, ClockStop
from shenpi.catalog.models import FlowStep
from shenpi.notifications.models import Notification
from shenpi.prepared import insert_row, update_row
from shenpi.supervision.models import Alert, Flag, Level, Order, Rule
from shenpi.supervision.scan import describe, scan
from tests import factories as f

pytestmark = pytest.mark.django_db
HOURS = FlowStep.LimitUnit.HOURS


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def scan_at(*moment, full=False):
    clock.set_now(at(*moment))
    return scan(full=full)


def found(rule_code, status=Alert.Status.OPEN) -> set[tuple[int, str]]:
    return set(Alert.objects.filter(rule__code=rule_code, status=status).values_list("level", "subject"))


@pytest.fixture
def org():
    dept = f.department()
    return dept, f.staff(dept)


def accepted(people, it, moment) -> Case:
    clock.set_now(moment)
    case = f.receive(people["clerk"], it)
    services.perform(case.pk, "accept", actor=people["clerk"])
    return Case.objects.get(pk=case.pk)


# -- step time ------------------------------------------------------------------------------------

def test_step_overdue_while_the_case_is_not(org):
    dept, people = org
    it = f.item(dept, promised=20, statutory=20,
                steps=(("审查", Role.HANDLER, 2), ("审核", Role.REVIEWER, None), ("审批", Role.APPROVER, None)))
    case = accepted(people, it, at(2026, 9, 24, 9))
    step = CaseStep.objects.get(case=case, status=CaseStep.Status.ACTIVE)
    assert timezone.localdate(step.due_at) == dt.date(2026, 9, 29)  # 2 working days: 25 September is 中秋
    subject = f"step:{step.pk}"
    scan_at(2026, 9, 25)
    assert found("time.step") == set()
    scan_at(2026, 9, 28)  # 1 working day left
    assert found("time.step") == {(Level.WARNING, subject)}
    scan_at(2026, 9, 30)
    assert found("time.step") == {(Level.YELLOW, subject)}
    scan_at(2026, 10, 8)  # 30 September and 8 October: 2 working days over, 国庆 not counted
    assert found("time.step") == {(Level.YELLOW, subject)}
    scan_at(2026, 10, 9)
    assert found("time.step") == {(Level.RED, subject)}
    assert found("time.case") == set()  # the case itself is far from its due date
    alert = Alert.objects.get(rule__code="time.step", level=Level.RED)
    assert alert.step_id == step.pk and alert.responsible_id == step.assignee_id and alert.department_id == dept.pk


def test_a_one_day_step_warns_on_its_due_day_not_when_it_starts(org):
    dept, people = org
    it = f.item(dept, promised=5, statutory=20,
                steps=(("审查", Role.HANDLER, 1), ("审核", Role.REVIEWER, None), ("审批", Role.APPROVER, None)))
    case = accepted(people, it, at(2026, 11, 2, 9))  # Monday: the step is due at the close of Tuesday
    step = CaseStep.objects.get(case=case, status=CaseStep.Status.ACTIVE)
    assert timezone.localdate(step.due_at) == dt.date(2026, 11, 3)
    scan_at(2026, 11, 2, 9, 5)
    assert found("time.step") == set()
    scan_at(2026, 11, 2, 17, 30, full=True)
    assert found("time.step") == set()
    scan_at(2026, 11, 3, 9)  # the due day: the handler can still finish today
    assert found("time.step") == {(Level.WARNING, f"step:{step.pk}")}
    assert Alert.objects.get(rule__code="time.step").figures["days_left"] == 0


def test_a_step_due_friday_and_seen_on_saturday_is_overdue_less_than_a_working_day(org):
    dept, people = org
    it = f.item(dept, promised=10, statutory=20,
                steps=(("审查", Role.HANDLER, 1), ("审核", Role.REVIEWER, None), ("审批", Role.APPROVER, None)))
    accepted(people, it, at(2026, 11, 5, 9))  # Thursday: due Friday 6 November
    scan_at(2026, 11, 7, 10)
    alert = Alert.objects.get(rule__code="time.step")
    assert alert.level == Level.YELLOW and alert.figures["overdue_days"] == 0
    text = describe(alert)
    assert "0个工作日" not in text and "11月6日到期" in text and "不足1个工作日" in text


def test_hour_limited_step_warns_in_hours_and_turns_yellow_the_minute_it_falls_due(org):
    dept, people = org
    it = f.item(dept, promised=5, statutory=20,
                steps=(("审查", Role.HANDLER, 4), ("审核", Role.REVIEWER, None), ("审批", Role.APPROVER, None)))
    FlowStep.objects.filter(version__item=it, seq=1).update(limit_unit=HOURS)
    case = accepted(people, it, at(2026, 11, 2, 9))  # Monday: due 13:00 with 4 office hours
    step = CaseStep.objects.get(case=case, status=CaseStep.Status.ACTIVE)
    assert timezone.localtime(step.due_at).time() == dt.time(13, 0)
    scan_at(2026, 11, 2, 11, 59)
    assert found("time.step") == set()
    scan_at(2026, 11, 2, 12, 1)  # 59 minutes left: at most 1 hour
    assert found("time.step") == {(Level.WARNING, f"step:{step.pk}")}
    result = scan_at(2026, 11, 2, 13, 1)  # incremental: no event, the deadline fell since the last scan
    assert result.kind == "incremental"
    assert found("time.step") == {(Level.YELLOW, f"step:{step.pk}")}


# -- what was done ----------------------------------------------------------------------------------

def test_second_correction_request(org):
    dept, people = org
    it = f.item(dept)
    clock.set_now(at(2026, 11, 2))
    case = f.receive(people["clerk"], it)
    services.perform(case.pk, "request_correction", actor=people["clerk"], params={"missing": ["建设工程规划许可证"]})
    scan_at(2026, 11, 2, 11)
    assert found("proc.second_correction") == set()
    # A second notice recorded outside the rules (the transition table refuses it) is a violation.
    Case.objects.filter(pk=case.pk).update(correction_count=2)
    services.perform(case.pk, "refuse", actor=people["clerk"], params={"reason": "材料仍不齐全"})
    scan_at(2026, 11, 2, 12)
    assert found("proc.second_correction") == {(Level.YELLOW, f"case:{case.pk}")}


def test_correction_notice_after_five_working_days(org):
    dept, people = org
    it = f.item(dept)
    clock.set_now(at(2026, 9, 24))
    on_time = f.receive(people["clerk"], it)
    late = f.receive(people["clerk"], it)
    clock.set_now(at(2026, 10, 9))  # 5th working day after 24 September: 28, 29, 30 September, 8 and 9 October
    services.perform(on_time.pk, "request_correction", actor=people["clerk"], params={"missing": ["申请表"]})
    scan_at(2026, 10, 9, 11)
    assert found("accept.correction_late") == set()
    clock.set_now(at(2026, 10, 10))
    services.perform(late.pk, "request_correction", actor=people["clerk"], params={"missing": ["申请表"]})
    scan_at(2026, 10, 10, 11)
    assert found("accept.correction_late") == {(Level.YELLOW, f"case:{late.pk}")}


@pytest.mark.parametrize(("last_minute", "flagged"), [(9, True), (10, False), (11, False)])
def test_approved_then_recorded_within_ten_minutes(org, last_minute, flagged):
    dept, people = org
    it = f.item(dept)
    quick = accepted(people, it, at(2026, 11, 2, 9, 0))
    steps = (("pass", "handler"), ("pass", "reviewer"), ("pass", "approver"), ("grant", "approver"))
    for minute, (action, who) in enumerate(steps, start=1):
        clock.set_now(at(2026, 11, 2, 9, minute))
        services.perform(quick.pk, action, actor=people[who])
    clock.set_now(at(2026, 11, 2, 9, last_minute))  # completed this many minutes after acceptance
    services.perform(quick.pk, "complete", actor=people["clerk"])
    scan_at(2026, 11, 2, 10)
    expected = {(Level.RED, f"case:{quick.pk}")} if flagged else set()
    assert found("proc.record_after_approval") == expected


def test_accepted_with_a_required_material_missing(org):
    dept, people = org
    it = f.item(dept)
    complete = accepted(people, it, at(2026, 11, 2, 9))
    deferred = f.receive(people["clerk"], it, materials={
        m.pk: ({"deferred": True} if m.deferrable else {"received": True})
        for m in it.current_version().materials.all()})
    services.perform(deferred.pk, "accept", actor=people["clerk"], params={"commitment": True})  # 容缺受理
    scan_at(2026, 11, 2, 10)
    assert found("proc.missing_material") == set()
    # A required material taken back after acceptance (a data fix outside the rules) is a violation.
    material = complete.materials.filter(required=True).first()
    type(material).objects.filter(pk=material.pk).update(received=False)
    services.perform(complete.pk, "pass", actor=people["handler"])
    scan_at(2026, 11, 2, 11)
    assert found("proc.missing_material") == {(Level.YELLOW, f"case:{complete.pk}")}


def test_deferred_material_past_its_due_date_yellow_then_red_closed_once_brought(org):
    dept, people = org
    it = f.item(dept, promised=20, statutory=20)
    version = it.current_version()
    version.deferral_days = 3
    version.save()
    clock.set_now(at(2026, 11, 2, 9))  # Monday
    case = f.receive(people["clerk"], it, materials={
        m.pk: ({"deferred": True} if m.deferrable else {"received": True}) for m in version.materials.all()})
    services.perform(case.pk, "accept", actor=people["clerk"], params={"commitment": True})
    material = case.materials.get(deferred=True)
    assert material.due_on == dt.date(2026, 11, 5)
    subject = f"case:{case.pk}"
    scan_at(2026, 11, 5, 16)  # the due day itself: not yet late
    assert found("proc.deferred_overdue") == set()
    scan_at(2026, 11, 6, 9)  # one working day late
    assert found("proc.deferred_overdue") == {(Level.YELLOW, subject)}
    alert = Alert.objects.get(rule__code="proc.deferred_overdue", status=Alert.Status.OPEN)
    assert alert.figures["deferred"] == ["施工图设计文件审查合格书"] and alert.figures["overdue_days"] == 1
    from shenpi.supervision.scan import describe
    assert describe(alert).startswith("容缺材料施工图设计文件审查合格书应于2026-11-05前补交")
    scan_at(2026, 11, 12, 9)  # 5 working days late (6, 9, 10, 11, 12 November)
    assert found("proc.deferred_overdue") == {(Level.RED, subject)}
    clock.set_now(at(2026, 11, 12, 10))
    services.perform(case.pk, "receive_deferred", actor=people["clerk"], params={"materials": [material.pk]})
    scan_at(2026, 11, 12, 11)  # an incremental scan sees the case changed
    assert found("proc.deferred_overdue") == set()


def test_suspension_without_reason_or_kind(org):
    dept, people = org
    it = f.item(dept)
    explained = accepted(people, it, at(2026, 11, 2, 9))
    services.perform(explained.pk, "suspend", actor=people["handler"],
                     params={"kind": "expert_review", "reason": "组织专家评审", "expected_days": 5})
    bare = accepted(people, it, at(2026, 11, 2, 9))
    services.perform(bare.pk, "request_supplement", actor=people["handler"], params={"reason": "补交图纸"})
    scan_at(2026, 11, 2, 10)
    assert found("proc.suspension_unexplained") == set()  # 补件 has no procedure kind and needs none
    ClockStop.objects.filter(case=bare).update(reason="")  # recorded without its reason
    services.perform(bare.pk, "resume", actor=people["handler"])
    scan_at(2026, 11, 2, 11)
    assert found("proc.suspension_unexplained") == {(Level.YELLOW, f"case:{bare.pk}")}


def test_action_recorded_before_the_previous_one(org):
    dept, people = org
    case = accepted(people, f.item(dept), at(2026, 11, 2, 9))
    scan_at(2026, 11, 2, 9, 30)
    assert found("proc.record_after_approval") == set()
    clock.set_now(at(2026, 11, 2, 8))  # a clock set back: the pass is recorded before the acceptance
    services.perform(case.pk, "pass", actor=people["handler"])
    scan_at(2026, 11, 2, 10)
    assert found("proc.record_after_approval") == {(Level.RED, f"case:{case.pk}")}


def test_refusal_without_reason_and_extension_beyond_the_bound(org):
    dept, people = org
    it = f.item(dept, extension_limit=10)
    clock.set_now(at(2026, 11, 2))
    refused = f.receive(people["clerk"], it)
    services.perform(refused.pk, "refuse", actor=people["clerk"], params={"reason": "不属于本机关职权"})
    extended = accepted(people, it, at(2026, 11, 2, 9))
    services.perform(extended.pk, "extend", actor=people["approver"], params={"days": 10, "reason": "现场核查"})
    scan_at(2026, 11, 2, 11)
    assert found("proc.no_reason") == set() and found("proc.extension_beyond") == set()
    Case.objects.filter(pk=refused.pk).update(closing_reason="")
    Case.objects.filter(pk=extended.pk).update(extension_days=11)
    services.perform(extended.pk, "pass", actor=people["handler"])  # any new event brings the case in view
    with transaction.atomic():  # an event that changes nothing brings the refused case in view
        case = store.lock(refused.pk)[0]
        note = services._event(case, "note", people["clerk"], clock.now(), None, "refused", "refused", None, "", {})
        update_row(case, ["trail_head", "trail_length"])
        insert_row(note)
    scan_at(2026, 11, 2, 12)
    assert found("proc.no_reason") == {(Level.YELLOW, f"case:{refused.pk}")}
    assert found("proc.extension_beyond") == {(Level.RED, f"case:{extended.pk}")}
    assert Alert.objects.get(rule__code="proc.extension_beyond").figures == {"extension_days": 11, "limit": 10}


def test_decision_not_delivered_within_ten_working_days(org):
    dept, people = org
    case = accepted(people, f.item(dept, promised=20), at(2026, 9, 21, 9))
    for who in ("handler", "reviewer", "approver"):
        services.perform(case.pk, "pass", actor=people[who])
    services.perform(case.pk, "grant", actor=people["approver"])
    assert Case.objects.get(pk=case.pk).delivery_due == dt.date(2026, 10, 12)  # 22-30 Sept, 8-10 and 12 Oct
    scan_at(2026, 10, 12)
    assert found("time.delivery") == set()
    scan_at(2026, 10, 13)
    assert found("time.delivery") == {(Level.YELLOW, f"case:{case.pk}")}


# -- manual findings and orders ------------------------------------------------------------------------

def test_wrongful_refusal_flagged_by_a_supervisor(org):
    dept, people = org
    clock.set_now(at(2026, 11, 2))
    case = f.receive(people["clerk"], f.item(dept))
    services.perform(case.pk, "refuse", actor=people["clerk"], params={"reason": "材料不全"})
    flag = Flag.objects.create(rule=Rule.objects.get(code="accept.wrongful_refusal"), case=case,
                               note="经核实材料齐全、符合法定形式", flagged_by=people["supervisor"],
                               flagged_at=clock.now())
    scan_at(2026, 11, 2, 11)
    assert found("accept.wrongful_refusal") == {(Level.RED, f"case:{case.pk}")}
    Flag.objects.filter(pk=flag.pk).update(withdrawn_at=clock.now())
    scan_at(2026, 11, 2, 12)
    assert found("accept.wrongful_refusal") == set()


def test_unanswered_order(org):
    dept, people = org
    clock.set_now(at(2026, 11, 2))
    order = Order.objects.create(number="DB20261102X", title="超期办件整改", demand="说明原因并限期办结",
                                 department=dept, issued_by=people["supervisor"], issued_at=clock.now(),
                                 reply_due=dt.date(2026, 11, 4))
    scan_at(2026, 11, 4)
    assert found("order.unanswered") == set()
    scan_at(2026, 11, 5)
    assert found("order.unanswered") == {(Level.YELLOW, f"order:{order.pk}")}
    Order.objects.filter(pk=order.pk).update(status=Order.Status.ANSWERED)
    scan_at(2026, 11, 5, 11, full=True)
    assert found("order.unanswered") == set()


def test_every_rule_has_its_data_now_the_fees_are_installed(org):
    result = scan_at(2026, 11, 2)
    assert result.unavailable == []  # the fee rules look at shenpi.fees


# -- telling people ----------------------------------------------------------------------------------

def test_new_alerts_notify_the_responsible_person_and_the_liaison_once(org):
    dept, people = org
    for who in people.values():
        who.email = f"{who.username}@example.gov.cn"
        who.save()
    case = accepted(people, f.item(dept, promised=5), at(2026, 9, 24, 9))
    scan_at(2026, 10, 10)
    alert = Alert.objects.get(case=case)
    recipients = set(Notification.objects.filter(template="alert_raised").values_list("recipient_id", flat=True))
    assert recipients == {alert.responsible_id, people["liaison"].pk}
    assert alert.notified_at is not None
    message = Notification.objects.filter(recipient=people["liaison"]).get()
    assert "黄牌" in message.subject and case.number in message.subject
    scan_at(2026, 10, 10, 11)
    assert Notification.objects.filter(template="alert_raised").count() == 2


# -- running scans ------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_scans_raise_each_alert_once(org):
    if connection.vendor != "postgresql":
        pytest.skip("row and advisory locks: PostgreSQL only")
    dept, people = org
    it = f.item(dept, promised=5)
    cases = [accepted(people, it, at(2026, 9, 24, 9)) for _ in range(5)]
    clock.set_now(at(2026, 10, 13))
    results, errors = [], []

    def run():
        try:
            results.append(scan(full=True))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert Alert.objects.filter(case__in=cases).count() == 5
    assert sorted(sum(r.raised.values()) for r in results) == [0, 5]


@pytest.mark.celery
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_celery_worker_runs_the_scan(org, celery_app):
    if connection.vendor != "postgresql":
        pytest.skip("the worker thread needs a database it can share: PostgreSQL")
    from celery.contrib.testing.worker import start_worker

    from shenpi.supervision.tasks import supervise

    dept, people = org
    case = accepted(people, f.item(dept, promised=5), at(2026, 9, 24, 9))
    clock.set_now(None)  # the worker runs in its own thread on the real clock: the case is long overdue
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        supervise.delay()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not Alert.objects.filter(case=case).exists():
            time.sleep(0.1)
    assert set(Alert.objects.filter(case=case).values_list("rule__code", "level")) == {("time.case", Level.RED)}
