"""Two people act on the same case at the same moment: exactly one wins and the data stays whole.

Each thread has its own database connection. A barrier releases them together, and the action's
effect is slowed down while the case row is locked, so without the lock both threads would read
the same state and both "succeed": the tests fail then instead of passing by luck of timing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import threading
import time

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.cases import lifecycle, services
from shenpi.cases.models import Case, CaseStep, Notice, State
from shenpi.catalog.models import FlowStep, Window
from shenpi.errors import Conflict, Forbidden, InvalidInput, ServiceError, TransitionRefused
from tests import factories as f
from tests.concurrency import race

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason=(
        "SQLite has one writer per database file and no SELECT ... FOR UPDATE: concurrent actions "
        "are serialised by the file lock, so row locking can only be tested on PostgreSQL")),
    # Threads see only committed data; serialized_rollback restores the seeded roles and calendar.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REFUSALS = (TransitionRefused, Conflict, Forbidden)
HOLD_LOCK_SECONDS = 0.4
_names = itertools.count(1)


def person(dept, role: str) -> User:
    user = User.objects.create(username=f"race{next(_names)}", department=dept, full_name=Role.NAMES[role])
    user.roles.set([role])
    return user


@pytest.fixture
def org():
    clock.set_now(timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0)))
    lead = f.department("市住房和城乡建设局")
    partner = f.department("市人民防空办公室")
    window = Window.objects.create(department=lead, number=f"CW{next(_names)}", name="住建窗口")
    people = {role: person(lead, role) for role in (Role.CLERK, Role.HANDLER, Role.REVIEWER, Role.APPROVER)}
    people[Role.CLERK].window = window
    people[Role.CLERK].save()
    people["partner"] = person(partner, Role.HANDLER)
    return lead, partner, people


@pytest.fixture
def slow_effects(monkeypatch):
    """Make the named actions hold the case lock a while after their effect, before committing."""

    def slow(*actions):
        for action in actions:
            transition = lifecycle.TRANSITIONS[action]

            def effect(act, _inner=transition.effect):
                result = _inner(act)
                time.sleep(HOLD_LOCK_SECONDS)
                return result

            monkeypatch.setitem(lifecycle.TRANSITIONS, action, dataclasses.replace(transition, effect=effect))

    return slow


def one_winner(results, refusals=REFUSALS):
    won = [r for r in results if isinstance(r, Case)]
    lost = [r for r in results if not isinstance(r, Case)]
    assert len(won) == 1, f"expected exactly one success, got {results!r}"
    assert all(isinstance(r, refusals) for r in lost), f"unexpected outcome: {lost!r}"
    return won[0], lost[0]


def perform(case_pk, action, actor, **params):
    return lambda: services.perform(case_pk, action, actor=actor, params=params)


def accepted(people, it) -> Case:
    case = f.receive(people[Role.CLERK], it)
    return services.perform(case, "accept", actor=people[Role.CLERK])


def to_decision(case, people) -> Case:
    for role in (Role.HANDLER, Role.REVIEWER, Role.APPROVER):
        case = services.perform(case, "pass", actor=people[role])
    return case


def test_two_passes_of_the_same_step(org, slow_effects):
    lead, _, people = org
    case = accepted(people, f.item(lead))
    (step,) = case.steps.filter(status=CaseStep.Status.ACTIVE)
    slow_effects("pass")
    # A double submission: the same handler sends "pass" twice for the step.
    results = race(perform(case.pk, "pass", people[Role.HANDLER], step=step.pk, opinion="同意"),
                   perform(case.pk, "pass", people[Role.HANDLER], step=step.pk, opinion="同意"))
    _, loser = one_winner(results)
    assert isinstance(loser, TransitionRefused)
    case.refresh_from_db()
    assert case.events.filter(action="pass").count() == 1
    assert case.row_version == 2
    assert list(case.steps.order_by("pk").values_list("name", "status")) == [("审查", "done"), ("审核", "active")]


def test_grant_and_deny_at_once(org, slow_effects):
    lead, _, people = org
    case = to_decision(accepted(people, f.item(lead)), people)
    slow_effects("grant", "deny")
    results = race(perform(case.pk, "grant", people[Role.APPROVER], opinion="符合条件"),
                   perform(case.pk, "deny", people[Role.APPROVER], reason="不符合规划条件"))
    winner, loser = one_winner(results)
    assert isinstance(loser, TransitionRefused)
    case.refresh_from_db()
    assert case.state == State.DECIDED and case.decision == winner.decision
    decisions = case.events.filter(action__in=["grant", "deny"])
    assert decisions.count() == 1 and decisions.get().action == case.decision
    kinds = set(case.notices.values_list("kind", flat=True))
    assert len(kinds & {Notice.Kind.GRANT, Notice.Kind.DENIAL}) == 1


@pytest.mark.parametrize(("days", "refusal"), [(6, "还可延长4个工作日"), (10, "已达到本事项可延长的上限")])
def test_two_extensions_that_together_exceed_the_bound(org, slow_effects, days, refusal):
    lead, _, people = org
    case = accepted(people, f.item(lead, extension_limit=10))
    due = case.statutory_due
    slow_effects("extend")
    results = race(perform(case.pk, "extend", people[Role.APPROVER], days=days, reason="情况复杂"),
                   perform(case.pk, "extend", people[Role.APPROVER], days=days, reason="需专家论证"))
    _, loser = one_winner(results, REFUSALS + (InvalidInput,))
    # The second approver sees the first extension: only the days left (4) or none may still be granted.
    assert isinstance(loser, TransitionRefused) and refusal in loser.message
    case.refresh_from_db()
    assert case.extension_days == days <= case.version.extension_limit
    assert list(case.extensions.values_list("days", flat=True)) == [days]
    assert case.notices.filter(kind=Notice.Kind.EXTENSION).count() == 1
    assert case.statutory_due > due and case.events.filter(action="extend").count() == 1


def test_withdrawal_and_pass_on_the_same_version(org, slow_effects):
    """Both pages showed version v; whoever commits second is told the case changed under them."""
    lead, _, people = org
    case = accepted(people, f.item(lead))
    slow_effects("pass", "withdraw")
    request = f.withdrawal_request()
    version = case.row_version
    results = race(
        lambda: services.perform(case.pk, "pass", actor=people[Role.HANDLER], expected_version=version),
        lambda: services.perform(case.pk, "withdraw", actor=people[Role.CLERK],
                                 params={"reason": "申请人撤回", "request_file": request},
                                 expected_version=version))
    winner, loser = one_winner(results)
    assert isinstance(loser, Conflict)
    case.refresh_from_db()
    assert case.row_version == version + 1 and case.events.count() == 3
    assert case.state == winner.state


def test_parallel_parts_passed_at_the_same_moment_open_the_next_stage_once(org, slow_effects):
    lead, partner, people = org
    it = f.item(lead, steps=())
    version = it.current_version()
    for seq, name, role, department in [(1, "审查", Role.HANDLER, None), (2, "审核", Role.REVIEWER, None),
                                        (2, "人防审查", Role.HANDLER, partner), (3, "审批", Role.APPROVER, None)]:
        FlowStep.objects.create(version=version, seq=seq, name=name, role_id=role, department=department)
    case = services.perform(accepted(people, it), "pass", actor=people[Role.HANDLER])
    slow_effects("pass")
    results = race(perform(case.pk, "pass", people[Role.REVIEWER]), perform(case.pk, "pass", people["partner"]))
    assert all(isinstance(r, Case) for r in results), results  # different parts: both must succeed
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS
    active = list(case.steps.filter(status=CaseStep.Status.ACTIVE).values_list("name", flat=True))
    assert active == ["审批"], "the next stage must open exactly once, after the last part passed"
    assert case.events.filter(action="pass").count() == 3


def test_actions_on_different_cases_of_one_item_do_not_wait_for_each_other(org):
    lead, _, people = org
    it = f.item(lead)
    first, second = accepted(people, it), accepted(people, it)
    first_open, second_done = threading.Event(), threading.Event()
    outcome = {}

    def hold_first_open():
        try:
            with transaction.atomic():
                services.perform(first.pk, "pass", actor=people[Role.HANDLER])
                first_open.set()
                # Still inside the transaction: the other case must get through meanwhile.
                outcome["second_done_meanwhile"] = second_done.wait(timeout=5)
        finally:
            first_open.set()
            connection.close()

    def act_on_second():
        try:
            first_open.wait(timeout=10)
            services.perform(second.pk, "pass", actor=people[Role.HANDLER])
            second_done.set()
        except ServiceError as error:
            outcome["second_error"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=hold_first_open), threading.Thread(target=act_on_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcome == {"second_done_meanwhile": True}
    assert Case.objects.get(pk=first.pk).row_version == Case.objects.get(pk=second.pk).row_version == 2
