"""Action hooks (ADR 0004): receivers inside the action's transaction, subscribers after its commit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.cases import hooks, services
from shenpi.cases.models import Case, Notice, Publication, State
from shenpi.errors import TransitionRefused
from shenpi.notifications.models import Notification
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_hooks")]




def decided(office, phone=""):
    dept, people, it = office
    case = services.perform(f.receive(people["clerk"], it, phone=phone), "accept", actor=people["clerk"])
    for role in ("handler", "reviewer", "approver"):
        case = services.perform(case, "pass", actor=people[role])
    return services.perform(case, "grant", actor=people["approver"])


def test_a_receiver_of_another_app_refuses_completion_and_nothing_changes(office):
    """A fee app's rule, registered without touching cases/: 办结 waits while a bill is unpaid."""
    dept, people, it = office
    unpaid: set[int] = set()

    @hooks.before("complete", order=200, name="fees.unpaid_bill")
    def unpaid_bill(act):
        if act.case.pk in unpaid:
            raise TransitionRefused("本件尚有未缴费用，缴费后方可办结。")

    case = decided(office, phone="13912345678")
    unpaid.add(case.pk)
    before = Case.objects.values("state", "row_version", "trail_length").get(pk=case.pk)
    messages = Notification.objects.count()
    with pytest.raises(TransitionRefused, match="未缴费用"):
        services.perform(case.pk, "complete", actor=people["clerk"])
    assert Case.objects.values(*before).get(pk=case.pk) == before
    assert Notification.objects.count() == messages  # no completion SMS for what did not happen
    unpaid.clear()
    assert services.perform(case.pk, "complete", actor=people["clerk"]).state == State.COMPLETED
    assert Notification.objects.filter(case=case, template="case_completed").exists()


def test_the_api_answers_a_receivers_refusal_with_409_and_its_reason(office):
    from tests.api.conftest import token_client

    dept, people, it = office

    @hooks.before("complete", order=200, name="fees.unpaid_bill")
    def unpaid_bill(act):
        raise TransitionRefused("本件尚有未缴费用，缴费后方可办结。")

    case = decided(office)
    response = token_client(people["clerk"]).post(
        f"/api/v1/cases/{case.number}/actions/", {"action": "complete", "expected_version": case.row_version},
        format="json")
    assert response.status_code == 409
    assert response.json() == {"code": "refused", "detail": "本件尚有未缴费用，缴费后方可办结。"}


def test_receivers_run_in_their_order_whatever_the_order_of_registration(office):
    dept, people, it = office
    calls = []
    for order, name in ((300, "c"), (100, "z"), (200, "b"), (200, "a")):
        hooks.after("accept", order=order, name=f"test.{name}")(lambda act, name=name: calls.append(name))
    hooks.before("accept", order=999, name="test.first")(lambda act: calls.append("before"))
    services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    assert calls == ["before", "z", "a", "b", "c"]


def test_an_after_receiver_sees_the_change_writes_through_the_act_and_is_rolled_back_with_it(office):
    dept, people, it = office
    seen = []

    @hooks.after("accept", order=10, name="test.note")
    def note(act):
        seen.append((act.before, act.case.state, act.event.action, act.case.promised_due is not None))
        act.insert(Notice(case=act.case, kind=Notice.Kind.GRANT, number=f"{act.case.number}-X",
                          issued_at=act.now, body={"by": "test"}))

    refuse = {"now": False}

    @hooks.after("accept", order=20, name="test.refuse")
    def refuse_after(act):
        if refuse["now"]:
            raise TransitionRefused("后置检查不通过。")

    first = f.receive(people["clerk"], it)
    services.perform(first.pk, "accept", actor=people["clerk"])
    assert seen == [(State.RECEIVED, State.IN_PROGRESS, "accept", True)]
    assert Notice.objects.filter(case=first, number=f"{first.number}-X").exists()
    refuse["now"] = True
    second = f.receive(people["clerk"], it)
    with pytest.raises(TransitionRefused):
        services.perform(second.pk, "accept", actor=people["clerk"])
    assert not Notice.objects.filter(case=second).exists()
    assert Case.objects.get(pk=second.pk).state == State.RECEIVED
    assert list(second.events.values_list("action", flat=True)) == ["receive"]


def test_a_name_is_registered_once(office):
    def one(act):
        pass

    def other(act):
        pass

    hooks.after("accept", order=1, name="test.once")(one)
    hooks.after("accept", order=1, name="test.once")(one)  # importing a module twice is harmless
    with pytest.raises(ValueError, match="已登记"):
        hooks.after("accept", order=1, name="test.once")(other)


def test_the_applicants_sms_and_the_scanners_wake_up_are_receivers_like_any_other():
    names = [r.name for r in hooks._for("after", hooks._after, "complete")]
    assert names.index("cases.tell_applicant") < names.index("supervision.scan_soon")
    assert "cases.tell_applicant" not in [r.name for r in hooks._for("after", hooks._after, "pass")]


def test_switched_off_hooks_run_nothing(office):
    dept, people, it = office
    calls = []
    hooks.after("accept", order=1, name="test.count")(lambda act: calls.append(act.action))
    with hooks.disabled():
        services.perform(f.receive(people["clerk"], it, phone="13912345678"), "accept", actor=people["clerk"])
    assert calls == [] and not Notification.objects.exists()


# -- after the commit, through the outbox ----------------------------------------------------------

def test_a_subscriber_hears_each_event_after_the_commit_in_order(office, django_capture_on_commit_callbacks):
    dept, people, it = office
    heard = []
    hooks.subscriber("test.feed", "accept", "pass", "grant")(heard.append)
    with django_capture_on_commit_callbacks(execute=True):
        case = decided(office)
    assert [(e.action, e.from_state, e.to_state) for e in heard] == [
        ("accept", State.RECEIVED, State.IN_PROGRESS), ("pass", State.IN_PROGRESS, State.IN_PROGRESS),
        ("pass", State.IN_PROGRESS, State.IN_PROGRESS), ("pass", State.IN_PROGRESS, State.DECIDING),
        ("grant", State.DECIDING, State.DECIDED)]
    assert {e.case_number for e in heard} == {case.number}
    assert [e.key for e in heard] == [f"{case.pk}:{n}" for n in range(2, 7)]
    assert heard[0].data["accept_date"] == case.accept_date.isoformat()
    assert heard[0].actor_id == people["clerk"].pk
    assert set(Publication.objects.values_list("status", flat=True)) == {Publication.Status.DELIVERED}


def test_nothing_is_published_for_a_refused_action(office, django_capture_on_commit_callbacks):
    dept, people, it = office
    heard = []
    case = f.receive(people["clerk"], it)
    hooks.subscriber("test.feed", hooks.ANY)(heard.append)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TransitionRefused):
        services.perform(case.pk, "grant", actor=people["approver"])
    assert heard == [] and not Publication.objects.exists()


START = timezone.make_aware(dt.datetime(2026, 11, 2, 9))


class Feed:
    """A subscriber that is down (raising `error`) until `up`, keeping the events it heard."""

    def __init__(self, error: Exception):
        self.up, self.error, self.heard = False, error, []

    def __call__(self, event):
        if not self.up:
            raise self.error
        self.heard.append(event)


def test_a_subscriber_that_is_down_loses_nothing_and_keeps_each_cases_order(office, settings):
    """Down for three attempts: its events wait with backoff, a case's later events wait behind its
    first, another case's first event is tried on its own; back up, everything arrives once, in order."""
    dept, people, it = office
    settings.PUBLISH_MAX_ATTEMPTS = 10
    clock.set_now(START)
    feed = hooks.subscriber("test.feed", "accept", "pass")(Feed(ConnectionError("对方系统不可用")))
    one = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    services.perform(one, "pass", actor=people["handler"])
    two = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    assert hooks.deliver() == {"delivered": 0, "retry": 2, "failed": 0}  # the two cases' first events
    first = Publication.objects.get(case=one, action="accept")
    assert first.attempts == 1 and first.next_attempt_at == START + dt.timedelta(minutes=1)
    assert "对方系统不可用" in first.last_error
    assert hooks.deliver() == {"delivered": 0, "retry": 0, "failed": 0}  # nothing due yet
    clock.set_now(START + dt.timedelta(minutes=1))
    assert hooks.deliver()["retry"] == 2
    assert Publication.objects.get(case=one, action="pass").attempts == 0  # waits behind the accept
    feed.up = True
    clock.set_now(START + dt.timedelta(minutes=3))
    assert hooks.deliver() == {"delivered": 3, "retry": 0, "failed": 0}
    keys = [event.key for event in feed.heard]
    assert keys.index(f"{one.pk}:2") < keys.index(f"{one.pk}:3")
    assert sorted(keys) == sorted([f"{one.pk}:2", f"{one.pk}:3", f"{two.pk}:2"])


def test_a_delivery_that_never_succeeds_is_kept_for_an_administrator_to_send_again(office, settings):
    dept, people, it = office
    settings.PUBLISH_MAX_ATTEMPTS = 2
    clock.set_now(START)
    feed = hooks.subscriber("test.feed", "accept", "pass")(Feed(TimeoutError("超时")))
    case = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    services.perform(case, "pass", actor=people["handler"])
    hooks.deliver()
    clock.set_now(START + dt.timedelta(minutes=5))
    assert hooks.deliver() == {"delivered": 0, "retry": 0, "failed": 1}
    clock.set_now(START + dt.timedelta(hours=5))
    assert hooks.deliver() == {"delivered": 0, "retry": 0, "failed": 0}  # the failed one holds the case
    feed.up = True
    assert hooks.resend(Publication.objects.all()) == 1
    assert hooks.deliver()["delivered"] == 2
    assert [event.action for event in feed.heard] == ["accept", "pass"]


def test_the_outbox_row_is_written_in_the_actions_transaction(office):
    """Published with the action or not at all: the row exists before anything is delivered."""
    dept, people, it = office
    hooks.subscriber("test.feed", "accept")(lambda event: None)
    case = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    row = Publication.objects.get()
    assert (row.case_id, row.event_number, row.action, row.status) == (
        case.pk, 2, "accept", Publication.Status.PENDING)
    assert row.payload["to"] == State.IN_PROGRESS


def test_receipt_is_an_action_the_hooks_hear_of_too(office, django_capture_on_commit_callbacks):
    dept, people, it = office
    seen, heard = [], []
    hooks.before("receive", order=1, name="test.before")(lambda act: seen.append(("before", act.case.pk)))
    hooks.after("receive", order=1, name="test.after")(lambda act: seen.append(("after", act.case.state)))
    hooks.subscriber("test.feed", "receive")(heard.append)
    with django_capture_on_commit_callbacks(execute=True):
        case = f.receive(people["clerk"], it)
    assert seen == [("before", None), ("after", State.RECEIVED)]
    assert [(e.action, e.key, e.data["channel"]) for e in heard] == [("receive", f"{case.pk}:1", "window")]

    @hooks.before("receive", order=2, name="test.refuse")
    def refuse(act):
        raise TransitionRefused("该申请人须先完成实名认证。")

    count = Case.objects.count()
    with pytest.raises(TransitionRefused, match="实名认证"):
        f.receive(people["clerk"], it)
    assert Case.objects.count() == count
