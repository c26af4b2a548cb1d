"""Two departments conclude their parts at the same moment: the stage concludes exactly once.

Each grant runs in its own thread and connection, released together; each waits a while once its
case is written, before the stage follows its parts, so both cases are decided (uncommitted) before
either reads the stage. Without the stage's row lock each would read the other part as still deciding and neither
would conclude the stage: the test fails then instead of passing by luck of timing.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.conf import settings
from django.utils import timezone

from shenpi import clock
from shenpi.cases import hooks
from shenpi.cases import services as cases
from shenpi.cases.models import Case, State
from shenpi.joint.models import Stage
from shenpi.workdays.services import get_calendar
from tests.concurrency import race

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason=(
        "SQLite has one writer per database file and no SELECT ... FOR UPDATE: concurrent actions "
        "are serialised by the file lock, so row locking can only be tested on PostgreSQL")),
    # Threads see only committed data; serialized_rollback restores the seeded roles and calendar.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HOLD_LOCK_SECONDS = 0.4


@pytest.fixture
def slow_grants(monkeypatch):
    """Grants and denials hold their case locks a while after the case is written, just before the
    stage follows its parts."""
    for table in ("_before", "_after", "_subscribers"):
        monkeypatch.setattr(hooks, table, dict(getattr(hooks, table)))
    hooks._plan.clear()

    @hooks.after("grant", "deny", order=190, name="tests.joint.slow_decision")
    def slow(act):
        time.sleep(HOLD_LOCK_SECONDS)

    yield
    hooks._plan.clear()


def _decide(world, stage, indexes):
    parts = list(stage.parts.select_related("case").order_by("pk"))
    for index in indexes:
        cases.perform(parts[index].case, "pass", actor=world.people[index]["handler"])
    return parts


def test_two_departments_granting_at_once_conclude_the_stage_once(world, slow_grants):
    accepted = dt.date(2026, 9, 28)
    clock.set_now(timezone.make_aware(dt.datetime(2026, 9, 28, 10, 0)))
    stage = world.open()
    parts = _decide(world, stage, (0, 1, 2))
    cases.perform(parts[0].case, "grant", actor=world.people[0]["approver"])
    clock.set_now(timezone.make_aware(dt.datetime(2026, 10, 9, 15, 0)))
    stage.refresh_from_db()
    version_before = stage.row_version

    def grant(index):
        return lambda: cases.perform(Case.objects.get(pk=parts[index].case_id), "grant",
                                     actor=world.people[index]["approver"])

    results = race(grant(1), grant(2))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert {Case.objects.get(pk=p.case_id).state for p in parts} == {State.DECIDED}
    stage.refresh_from_db()
    assert stage.state == Stage.State.CONCLUDED
    assert stage.row_version == version_before + 1  # written once, by whichever came second
    assert stage.concluded_at is not None
    assert stage.used_days == get_calendar().between(accepted, dt.date(2026, 10, 9)) == 4
    assert stage.outcome == "阶段办结：3项准予许可，共3项。"


def test_a_refusal_and_a_grant_at_once_end_the_stage_with_the_reason(world, slow_grants):
    clock.set_now(timezone.make_aware(dt.datetime(2026, 9, 28, 10, 0)))
    stage = world.open()
    parts = _decide(world, stage, (0, 1, 2))
    cases.perform(parts[0].case, "grant", actor=world.people[0]["approver"])
    results = race(
        lambda: cases.perform(Case.objects.get(pk=parts[1].case_id), "grant", actor=world.people[1]["approver"]),
        lambda: cases.perform(Case.objects.get(pk=parts[2].case_id), "deny", actor=world.people[2]["approver"],
                              params={"reason": "选址位于生态保护红线内"}))
    assert not [r for r in results if isinstance(r, Exception)], results
    stage.refresh_from_db()
    assert stage.state == Stage.State.ENDED
    assert "选址位于生态保护红线内" in stage.outcome
    assert stage.used_days == 0
