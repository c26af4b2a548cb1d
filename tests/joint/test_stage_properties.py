"""Hypothesis drives a stage of three parts through random suspensions, supplements, resumptions and
decisions while the date moves forward over working days (中秋 and 国庆 2026 among them).

A model kept beside the database counts the stage's stopped working days its own way: day by day as
the date moves, a working day counts when every part still open was stopped through it (the official
calendar of `chinese_calendar`, not the platform's calendar code), and the days counted settle into
the stage's total when its clock runs again. After every step:

- the stage's clock is stopped (clock_stopped_on set) iff every open part is suspended, since the day
  the last of them stopped;
- stopped_days is the model's settled count;
- the stage is concluded iff no part is open and none was refused, ended iff a required part was;
- promised_due and statutory_due are the accept date plus the limit, extensions and stopped days;
- once concluded or ended, the stage no longer changes.

By default the same runs are replayed every time (fixed seeds); SHENPI_EXPLORE=<runs> explores fresh ones.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter

import chinese_calendar
import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from shenpi import clock
from shenpi.cases import services as cases
from shenpi.cases.models import Case, State
from shenpi.errors import ServiceError
from shenpi.joint.clock import OPEN_PART_STATES
from shenpi.joint.models import Stage
from shenpi.workdays.services import get_calendar

ONE_DAY = dt.timedelta(days=1)
# Accept days around the holidays the count must survive: 清明/劳动节, 中秋 + 国庆 2026.
ANCHORS = [dt.date(2026, 4, 28), dt.date(2026, 9, 21), dt.date(2026, 9, 24), dt.date(2026, 9, 30),
           dt.date(2026, 10, 9)]
LAST_DAY = dt.date(2026, 12, 1)  # chinese_calendar knows 2026; the runs stay inside it
ACTIONS = ("suspend", "request_supplement", "resume", "pass", "grant", "deny")
# The actions that make sense in each state (others are tried too, and must be refused).
LIKELY = {State.IN_PROGRESS: ("pass", "request_supplement", "suspend"),
          State.SUSPENDED: ("resume",),
          State.DECIDING: ("grant", "deny", "suspend", "grant")}
TARGET = {"suspend": State.SUSPENDED, "request_supplement": State.SUSPENDED, "pass": State.DECIDING,
          "grant": State.DECIDED, "deny": State.DECIDED}
SEEN: Counter = Counter()


def next_workday(day: dt.date) -> dt.date:
    day += ONE_DAY
    while not chinese_calendar.is_workday(day):
        day += ONE_DAY
    return day


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


def snapshot(stage: Stage) -> dict:
    return {f.attname: getattr(stage, f.attname) for f in Stage._meta.concrete_fields}


class StageMachine(RuleBasedStateMachine):
    world = None  # set by the test: the departments, people and template, built once

    def __init__(self):
        super().__init__()
        # Each run works in its own savepoint so runs cannot see each other's stages.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.stage = None
        self.resume_to: dict[int, str] = {}

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- the model -----------------------------------------------------------------------------

    def states(self) -> list[str]:
        return [Case.objects.values_list("state", flat=True).get(pk=pk) for pk in self.case_ids]

    def all_open_stopped(self, states) -> bool:
        open_states = [s for s in states if s in OPEN_PART_STATES]
        return bool(open_states) and all(s == State.SUSPENDED for s in open_states)

    def follow(self) -> None:
        """The model's stage after an action: stopped since today, running again, concluded or ended."""
        if self.finished is not None:
            return
        states = self.states()
        if self.denied or not any(s in OPEN_PART_STATES for s in states):
            self.settled += self.pending
            self.pending, self.stopped_since = 0, None
            self.finished = "ended" if self.denied else "concluded"
            self.finished_on = self.today
            return
        if self.all_open_stopped(states):
            if self.stopped_since is None:
                self.stopped_since = self.today
        elif self.stopped_since is not None:
            self.settled += self.pending
            self.pending, self.stopped_since = 0, None

    # -- rules ---------------------------------------------------------------------------------

    @initialize(start=st.sampled_from(ANCHORS))
    def open_stage(self, start):
        self.today = start
        clock.set_now(at(start))
        self.stage = self.world.open()
        self.case_ids = list(self.stage.parts.order_by("pk").values_list("case_id", flat=True))
        self.stopped_since: dt.date | None = None
        self.pending = 0  # working days stopped since stopped_since, counted as the date moved
        self.settled = 0
        self.denied = False
        self.finished: str | None = None
        self.finished_on: dt.date | None = None
        self.frozen: dict | None = None

    @precondition(lambda self: self.today < LAST_DAY)
    @rule(days=st.integers(1, 4))
    def days_pass(self, days):
        for _ in range(days):
            self.today = next_workday(self.today)
            if self.stopped_since is not None:
                self.pending += 1  # a whole working day with every open part stopped
        clock.set_now(at(self.today))

    @rule(index=st.integers(0, 2), data=st.data())
    def act(self, index, data):
        pk = self.case_ids[index]
        state = Case.objects.values_list("state", flat=True).get(pk=pk)
        likely = LIKELY.get(state, ())
        if likely and data.draw(st.integers(0, 4), label="in order?"):
            action = data.draw(st.sampled_from(likely), label="action")
        else:
            action = data.draw(st.sampled_from(ACTIONS), label="any action")
        self.perform(index, pk, state, action)

    weigh_up = act  # the parts' actions get twice the weight of the days passing

    def perform(self, index, pk, state, action):
        people = self.world.people[index]
        actor = people["approver"] if action in ("grant", "deny") or state == State.DECIDING else people["handler"]
        params = {}
        if action == "suspend":
            params = {"kind": "expert_review", "reason": "组织专家评审", "expected_days": 5}
        elif action == "request_supplement":
            params = {"reason": "补充提交说明材料", "expected_days": 5}
        elif action == "deny":
            params = {"reason": "不符合规划条件"}
        before = Stage.objects.get(pk=self.stage.pk)
        try:
            case = cases.perform(Case.objects.get(pk=pk), action, actor=actor, params=params)
        except ServiceError:
            SEEN["refused", action] += 1
            assert Case.objects.values_list("state", flat=True).get(pk=pk) == state
            assert snapshot(Stage.objects.get(pk=self.stage.pk)) == snapshot(before)
            return
        SEEN["done", action] += 1
        if action == "resume":
            assert case.state == self.resume_to.pop(pk)
        else:
            assert case.state == TARGET[action]
        if case.state == State.SUSPENDED:
            self.resume_to[pk] = state
        if action == "deny":
            self.denied = True
        was_stopped = self.stopped_since is not None
        self.follow()
        if self.finished is None:
            SEEN["stage stopped"] += not was_stopped and self.stopped_since is not None
            SEEN["stage restarted"] += was_stopped and self.stopped_since is None

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def stage_follows_its_parts(self):
        if self.stage is None:
            return
        stage = Stage.objects.get(pk=self.stage.pk)
        if self.finished is not None:
            if self.frozen is None:
                SEEN[self.finished] += 1
                self.frozen = snapshot(stage)
                assert stage.state == self.finished
                assert stage.clock_stopped_on is None
                assert stage.stopped_days == self.settled
                assert stage.concluded_at is not None and timezone.localdate(stage.concluded_at) == self.finished_on
                assert stage.used_days == get_calendar().between(stage.accept_date, self.finished_on) - self.settled
                if self.finished == "ended":
                    assert "不符合规划条件" in stage.outcome
            assert snapshot(stage) == self.frozen  # nothing moves a finished stage
            return
        states = self.states()
        assert stage.state == Stage.State.OPEN
        assert any(s in OPEN_PART_STATES for s in states)
        assert (stage.clock_stopped_on is not None) == self.all_open_stopped(states)
        assert stage.clock_stopped_on == self.stopped_since
        if stage.clock_stopped_on is not None:
            assert self.pending == get_calendar().between(stage.clock_stopped_on, self.today)
        assert stage.stopped_days == self.settled
        calendar = get_calendar()
        extra = stage.extension_days + stage.stopped_days
        assert stage.promised_due == calendar.add(stage.accept_date, stage.promised_total + extra)
        assert stage.statutory_due == calendar.add(stage.accept_date, stage.statutory_limit + extra)


EXPLORE = int(os.environ.get("SHENPI_EXPLORE") or 0)
FIXED_SEEDS = (1, 2, 3)
STEPS = settings(max_examples=EXPLORE or 12, stateful_step_count=30, deadline=None, database=None,
                 phases=[Phase.explicit, Phase.generate],
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
MUST_SEE = ("stage stopped", "stage restarted", "concluded", "ended")


@pytest.mark.django_db
def test_random_part_actions_keep_the_stage_clock_invariants(world):
    StageMachine.world = world
    SEEN.clear()
    if EXPLORE:
        run_state_machine_as_test(StageMachine, settings=STEPS)
    else:
        for fixed in FIXED_SEEDS:
            run_state_machine_as_test(seed(fixed)(StageMachine), settings=STEPS)
            if all(SEEN[k] for k in MUST_SEE):
                break
    missing = [k for k in MUST_SEE if not SEEN[k]]
    assert not missing, f"never reached: {missing} ({dict(SEEN)})"
    assert all(SEEN["done", a] for a in ACTIONS), dict(SEEN)
