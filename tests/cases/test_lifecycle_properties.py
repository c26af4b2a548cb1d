"""Hypothesis drives cases through random actions while the clock runs over weekends and holidays.

A model kept beside the database says what must happen: which calls succeed (right state, right
person, well-formed parameters) and which are refused, and the law's clock is recomputed from the
official calendar (`chinese_calendar`) without the platform's own calendar code. After every step
the invariants a service centre relies on are checked for every case.

By default the same 40 runs are replayed every time (a fixed seed, so the suite is never flaky and
an edit of this file does not draw other runs);
SHENPI_EXPLORE=<runs> explores that many fresh random runs instead.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections import Counter
from dataclasses import dataclass, field

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
from shenpi.accounts.models import Role, User
from shenpi.cases import lifecycle, services
from shenpi.cases.models import (
    CLOSED_STATES,
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseMaterial,
    CaseStep,
    ClockStop,
    DeferralCommitment,
    Extension,
    Notice,
    State,
)
from shenpi.catalog.models import FlowStep, Window
from shenpi.errors import Conflict, Forbidden, ServiceError, TransitionRefused
from shenpi.workdays.services import get_calendar
from tests import factories as f

pytestmark = pytest.mark.django_db

ONE_DAY = dt.timedelta(days=1)
OPENS, CLOSES = dt.time(9, 0), dt.time(17, 30)

# -- the official calendar, independently of shenpi.workdays ------------------------------------

OFFICIAL_YEARS = frozenset(range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1))


class Unofficial(Exception):
    """A count reached a year without a State Council notice: only 'provisional' can be checked."""


def is_workday(day: dt.date) -> bool:
    if day.year not in OFFICIAL_YEARS:
        raise Unofficial(day.year)
    return chinese_calendar.is_workday(day)


def add_workdays(start: dt.date, n: int) -> dt.date:
    """The n-th working day after start (start itself not counted, n = 0 → start)."""
    day = start
    while n > 0:
        day += ONE_DAY
        n -= is_workday(day)
    return day


def workdays_after(start: dt.date, end: dt.date) -> list[dt.date]:
    """Working days in (start, end]."""
    days, day = [], start + ONE_DAY
    while day <= end:
        if is_workday(day):
            days.append(day)
        day += ONE_DAY
    return days


def add_office_hours(start: dt.datetime, hours: int) -> dt.datetime:
    """Walk the calendar day by day, spending office hours (09:00-17:30) of working days only."""
    remaining, moment = dt.timedelta(hours=hours), start
    while True:
        if is_workday(moment.date()):
            begin = max(moment, moment.replace(hour=OPENS.hour, minute=OPENS.minute, second=0, microsecond=0))
            close = moment.replace(hour=CLOSES.hour, minute=CLOSES.minute, second=0, microsecond=0)
            if begin < close:
                if remaining <= close - begin:
                    return begin + remaining
                remaining -= close - begin
        moment = (moment + ONE_DAY).replace(hour=0, minute=0, second=0, microsecond=0)


def local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


def end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


# -- the organisation the machine works in ------------------------------------------------------

_names = itertools.count(1)


def person(dept, role: str, **kw) -> User:
    """A staff member without a password hash: hashing would dominate the run time."""
    user = User.objects.create(username=f"life{next(_names)}", department=dept,
                               full_name=kw.pop("full_name", Role.NAMES[role]), **kw)
    user.roles.set([role])
    return user


@dataclass
class Org:
    people: dict[str, User]
    main: object  # Item: a three-stage flow with a parallel middle stage in two departments
    spot: object  # Item: 即办件
    by_post: dict[tuple[int, str], User]  # (department id, role) → the first person holding it
    posts: dict[tuple[int, str], list[User]]  # (department id, role) → everyone holding it


def build_org() -> Org:
    lead = f.department("市住房和城乡建设局")
    partner = f.department("市自然资源和规划局")
    stranger = f.department("市交通运输局")
    window = Window.objects.create(department=lead, number=f"PW{next(_names)}", name="住建窗口")
    people = {
        "clerk": person(lead, Role.CLERK, window=window),
        "handler": person(lead, Role.HANDLER),
        "handler2": person(lead, Role.HANDLER, full_name="承办人乙"),
        "reviewer": person(lead, Role.REVIEWER),
        "approver": person(lead, Role.APPROVER),
        "liaison": person(lead, Role.LIAISON),
        "partner_handler": person(partner, Role.HANDLER),
        "stranger_clerk": person(stranger, Role.CLERK),
        "stranger_handler": person(stranger, Role.HANDLER),
        "stranger_approver": person(stranger, Role.APPROVER),
        "admin": person(None, Role.ADMIN),
        "supervisor": person(None, Role.SUPERVISOR),
    }
    # The second handler also reviews: the handlers' and the reviewers' posts are both shared (转办).
    people["handler2"].roles.add(Role.REVIEWER)
    main = f.item(lead, steps=(), procedures=(("expert_review", 15), ("publicity", 10)), extension_limit=10)
    version = main.current_version()
    FlowStep.objects.create(version=version, seq=1, name="审查", role_id=Role.HANDLER, limit=3)
    FlowStep.objects.create(version=version, seq=2, name="审核", role_id=Role.REVIEWER, limit=16,
                            limit_unit=FlowStep.LimitUnit.HOURS)
    FlowStep.objects.create(version=version, seq=2, name="规划会审", role_id=Role.HANDLER, department=partner)
    FlowStep.objects.create(version=version, seq=3, name="审批", role_id=Role.APPROVER)
    spot = f.item(lead, name="户外广告设置备案", promised=0, statutory=5, steps=(("办理", Role.CLERK, None),),
                  materials=(("备案表", True, False),), procedures=())
    posts: dict[tuple[int, str], list[User]] = {}
    for u in people.values():
        for code in u.role_codes():
            posts.setdefault((u.department_id, code), []).append(u)
    by_post = {post: holders[0] for post, holders in posts.items()}
    return Org(people, main, spot, by_post, posts)


# -- what the model remembers about each case ---------------------------------------------------

@dataclass
class Stop:
    start: dt.date
    end: dt.date | None = None
    resume_to: str = ""


@dataclass
class Model:
    pk: int
    spot: bool
    received_at: dt.datetime
    state: str
    corrections: list[dt.date] = field(default_factory=list)
    corrected_on: dt.date | None = None
    stops: list[Stop] = field(default_factory=list)
    extension: int = 0
    closed_on: dt.date | None = None
    frozen_used: int | None = None
    step_dues: dict[int, dt.datetime] = field(default_factory=dict)
    # The flow: flow step id → seq. A stage is the flow steps sharing a seq, its parts.
    flow: dict[int, int] = field(default_factory=dict)
    # Parts being worked, and parts still to pass in this round (the working ones among them).
    working: set[int] = field(default_factory=set)
    todo: set[int] = field(default_factory=set)

    def stage(self, seq: int) -> set[int]:
        return {part for part, s in self.flow.items() if s == seq}

    def start(self, seq: int) -> set[int]:
        """Reach a stage: its parts still to pass that nobody works yet start; returns them."""
        started = (self.stage(seq) & self.todo) - self.working
        self.working |= started
        return started

    def passed(self, part: int) -> None:
        """A part passes; the flow moves on once nothing at its stage or before is being worked."""
        seq = self.flow[part]
        self.working.discard(part)
        self.todo.discard(part)
        if any(self.flow[p] <= seq for p in self.working):
            return
        for later in sorted({s for s in self.flow.values() if s > seq}):
            if self.start(later) or any(self.flow[p] == later for p in self.working):
                return

    def returned(self, part: int, to_seq: int) -> None:
        """Only the returning part goes back: the stages from the target on are worked again,
        and of the returning part's own stage, the returning part alone."""
        seq = self.flow[part]
        self.working.discard(part)
        self.todo |= {p for p, s in self.flow.items() if to_seq <= s < seq} | {part}
        self.start(to_seq)


NOTICE_OF = {
    "accept": [Notice.Kind.ACCEPTANCE], "request_correction": [Notice.Kind.CORRECTION],
    "refuse": [Notice.Kind.REFUSAL], "request_supplement": [Notice.Kind.SUPPLEMENT],
    "suspend": [Notice.Kind.SPECIAL_PROCEDURE], "extend": [Notice.Kind.EXTENSION],
    "grant": [Notice.Kind.GRANT], "deny": [Notice.Kind.DENIAL],
}
FIXED_TARGET = {
    "accept": State.IN_PROGRESS, "transfer": State.IN_PROGRESS, "request_correction": State.CORRECTING,
    "supplement": State.RECEIVED,
    "refuse": State.REFUSED, "handle_on_the_spot": State.COMPLETED, "return": State.IN_PROGRESS,
    "request_supplement": State.SUSPENDED, "suspend": State.SUSPENDED, "grant": State.DECIDED,
    "deny": State.DECIDED, "complete": State.COMPLETED, "withdraw": State.WITHDRAWN, "void": State.VOIDED,
}
ACTIONS = sorted(lifecycle.TRANSITIONS)
FORWARD = {State.RECEIVED: "accept", State.CORRECTING: "supplement", State.IN_PROGRESS: "pass",
           State.SUSPENDED: "resume", State.DECIDING: "grant", State.DECIDED: "complete"}
SEEN: Counter = Counter()  # (outcome, action) over a whole test: proves every transition was exercised
BLANKS = st.sampled_from(["", "   ", None])
REASONS = st.sampled_from(["材料不符合法定形式", "需组织专家论证", "申请人书面申请撤回", "依法作出决定"])

# Starting moments near the holidays the counting must survive: 春节 2026, 劳动节, 中秋 + 国庆 2026.
ANCHORS = [at(2026, 2, 9, 9, 30), at(2026, 2, 13, 16, 0), at(2026, 4, 28, 17, 45), at(2026, 9, 21, 9, 30),
           at(2026, 9, 29, 15, 0), at(2026, 3, 6, 11, 0)]
LATEST = at(2026, 12, 15)


def outstanding(case: Case) -> list[CaseMaterial]:
    return list(CaseMaterial.objects.filter(case=case, deferred=True, received=False))


def snapshot(pk: int) -> tuple:
    """Everything a refused action must leave untouched."""
    return (
        list(Case.objects.filter(pk=pk).values()),
        *(list(model.objects.filter(case_id=pk).order_by("pk").values())
          for model in (CaseStep, ClockStop, CaseEvent, Notice, Extension, CaseMaterial, DeferralCommitment)),
    )


class LifecycleMachine(RuleBasedStateMachine):
    org: Org

    def __init__(self):
        super().__init__()
        # Each run works in its own savepoint so runs cannot see each other's cases.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.models: list[Model] = []
        self.users = list(self.org.people.values())
        self.withdrawal_request = f.withdrawal_request()  # one scan, stored once, for every withdrawal

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- rules ------------------------------------------------------------------------------------

    @initialize(start=st.sampled_from(ANCHORS), hours=st.integers(0, 60), data=st.data())
    def first_case(self, start, hours, data):
        clock.set_now(start + dt.timedelta(hours=hours))
        self.new_case(data)

    @precondition(lambda self: len(self.models) < 6 and len(self.in_states(*OPEN_STATES)) < 2)
    @rule(data=st.data())
    def receive(self, data):
        self.new_case(data)

    def new_case(self, data):
        spot = data.draw(st.booleans(), label="即办件")
        it = self.org.spot if spot else self.org.main
        materials = {}
        complete = data.draw(st.sampled_from([True, True, False, "容缺"]), label="all materials?")
        for spec in it.current_version().materials.all():
            choices = ["received", "missing"] + (["deferred"] if spec.deferrable else [])
            if complete == "容缺":  # everything in but what the item allows to follow (容缺受理)
                how = "deferred" if spec.deferrable else "received"
            else:
                how = "received" if complete else data.draw(st.sampled_from(choices), label=spec.name)
            materials[spec.pk] = {"received": how == "received", "deferred": how == "deferred"}
        case = f.receive(self.org.people["clerk"], it, materials=materials)
        flow = dict(case.version.steps.values_list("pk", "seq"))
        self.models.append(Model(case.pk, spot, case.received_at, case.state, flow=flow, todo=set(flow)))

    @precondition(lambda self: clock.now() < LATEST)
    @rule(hours=st.one_of(st.integers(1, 12), st.integers(12, 24 * 6)))
    def advance_clock(self, hours):
        clock.set_now(clock.now() + dt.timedelta(hours=hours))

    # One rule per kind of step, each enabled while some case can take it; `anything` tries any
    # action on any case, mostly out of order.
    @precondition(lambda self: self.in_states(State.RECEIVED))
    @rule(data=st.data())
    def take_in(self, data):
        self.attempt(data, State.RECEIVED, ["accept", "request_correction", "handle_on_the_spot"])

    @precondition(lambda self: self.in_states(State.CORRECTING))
    @rule(data=st.data())
    def correct(self, data):
        self.attempt(data, State.CORRECTING, ["refuse", "supplement"])

    @precondition(lambda self: self.in_states(State.IN_PROGRESS))
    @rule(data=st.data())
    def work_step(self, data):
        self.attempt(data, State.IN_PROGRESS, ["return", "return", "pass"])

    @precondition(lambda self: self.in_states(State.IN_PROGRESS))
    @rule(data=st.data())
    def hand_on(self, data):
        """转办: a step goes to a colleague of its post (the lead department's handlers, its reviewers)."""
        self.attempt(data, State.IN_PROGRESS, ["transfer"])

    @precondition(lambda self: self.in_states(State.IN_PROGRESS, State.DECIDING))
    @rule(data=st.data())
    def stop_clock(self, data):
        self.attempt(data, (State.IN_PROGRESS, State.DECIDING), ["suspend", "request_supplement"])

    @precondition(lambda self: self.in_states(State.SUSPENDED))
    @rule(data=st.data())
    def resume(self, data):
        self.attempt(data, State.SUSPENDED, ["resume"])

    @precondition(lambda self: self.in_states(State.IN_PROGRESS, State.DECIDING, State.SUSPENDED))
    @rule(data=st.data())
    def extend(self, data):
        self.attempt(data, (State.IN_PROGRESS, State.DECIDING, State.SUSPENDED), ["extend"])

    @precondition(lambda self: self.in_states(State.DECIDING))
    @rule(data=st.data())
    def decide(self, data):
        self.attempt(data, State.DECIDING, ["deny", "deny", "grant"])

    # Few lives reach a decision (returns and stops send them back), and each must be able to end
    # either way: the decision gets twice the weight too.
    weigh_up = decide

    @precondition(lambda self: self.outstanding_models())
    @rule(data=st.data())
    def bring_deferred(self, data):
        """容缺: the applicant brings a material accepted on commitment (办结 waits for it)."""
        model = data.draw(st.sampled_from(self.outstanding_models()), label="case with 容缺 materials")
        self.attempt(data, model.state, ["receive_deferred"], model)

    @precondition(lambda self: self.in_states(State.DECIDED))
    @rule(data=st.data())
    def complete(self, data):
        self.attempt(data, State.DECIDED, ["complete"])

    @precondition(lambda self: self.in_states(*FORWARD))
    @rule(data=st.data())
    def forward(self, data):
        """The main path of a case (so lives reach their decision), attempted like every other action."""
        model = data.draw(st.sampled_from(self.in_states(*FORWARD)), label="case to move on")
        self.attempt(data, model.state, [FORWARD[model.state]], model)

    # The main path gets twice the weight of a side step: a case needs about eight successful moves
    # (with a parallel stage) before it can be decided and delivered.
    press_on = forward

    @precondition(lambda self: self.in_states(*OPEN_STATES))
    @rule(data=st.data())
    def end(self, data):
        """Now and then a case ends early: the applicant withdraws it or an administrator voids it."""
        if data.draw(st.sampled_from([False, False, True]), label="end a case now?"):
            self.attempt(data, OPEN_STATES, ["withdraw", "void"])

    @rule(data=st.data())
    def anything(self, data):
        """Any action on any case: mostly out of order, including ending closed cases again."""
        self.attempt(data, tuple(State), ACTIONS)

    def in_states(self, *states) -> list[Model]:
        return [m for m in self.models if m.state in states]

    def outstanding_models(self) -> list[Model]:
        sources = lifecycle.TRANSITIONS["receive_deferred"].sources
        candidates = [m.pk for m in self.in_states(*sources)]
        pending = set(CaseMaterial.objects.filter(case_id__in=candidates, deferred=True, received=False)
                      .values_list("case_id", flat=True))
        return [m for m in self.models if m.pk in pending]


    def attempt(self, data, states, actions: list[str], model: Model | None = None) -> None:
        states = (states,) if isinstance(states, str) else states
        candidates = self.in_states(*states)
        still_open = [m for m in candidates if m.state in OPEN_STATES]
        if model is None:
            model = data.draw(st.one_of(st.sampled_from(still_open), st.sampled_from(candidates)) if still_open
                              else st.sampled_from(candidates), label="case")
        hours = data.draw(st.sampled_from([0, 1, 4, 20, 70]), label="hours later")
        if clock.now() < LATEST:
            clock.set_now(clock.now() + dt.timedelta(hours=hours))
        case = Case.objects.get(pk=model.pk)
        action = data.draw(st.sampled_from(actions), label="action")
        transition = lifecycle.TRANSITIONS[action]
        right = self.right_people(case, action)
        actor = data.draw(st.one_of(st.sampled_from(right), st.sampled_from(right), st.sampled_from(self.users))
                          if right else st.sampled_from(self.users), label="actor")
        want_valid = data.draw(st.sampled_from([True, True, True, True, False]), label="valid?")
        params, valid = self.params_for(data, case, model, action, actor, want_valid)
        stale = data.draw(st.sampled_from([False] * 9 + [True]), label="stale?")
        expected_version = case.row_version + 1 if stale else data.draw(
            st.sampled_from([None, case.row_version]), label="version")

        in_source = case.state in transition.sources
        allowed = in_source and self.authorised(actor, case, transition, params)
        should_succeed = not stale and allowed and valid and self.precondition_holds(case, model, action, actor, params)
        before = snapshot(model.pk)
        before_dues = (case.promised_due, case.statutory_due)
        steps_before = set(case.steps.values_list("pk", flat=True))
        notices_before = set(case.notices.values_list("pk", flat=True))
        try:
            services.perform(case.pk, action, actor=actor, params=params, ip="10.1.2.3",
                             expected_version=expected_version)
        except ServiceError as error:
            assert snapshot(model.pk) == before, f"refused {action} changed the case: {error.message}"
            assert not should_succeed, f"{action} by {actor} with {params} wrongly refused: {error.message}"
            if stale:
                assert isinstance(error, Conflict)
            elif not in_source:
                assert isinstance(error, TransitionRefused) and not isinstance(error, Conflict)
            elif not allowed and not params.get("step") and not (action == "handle_on_the_spot" and not model.spot) \
                    and not (action == "receive_deferred" and not outstanding(case)):
                assert isinstance(error, Forbidden), error.message
            SEEN["refused", action] += 1
            return
        assert should_succeed, f"{action} by {actor} with {params} in {case.state} should have been refused"
        SEEN["done", action] += 1
        self.after_success(case, model, action, params, before_dues, steps_before, notices_before)

    # -- who may act and with what ----------------------------------------------------------------

    def active_steps(self, case: Case) -> list[CaseStep]:
        return list(case.steps.filter(status=CaseStep.Status.ACTIVE).order_by("pk"))

    def right_people(self, case: Case, action: str) -> list[User]:
        people = self.org.people
        transition = lifecycle.TRANSITIONS[action]
        if transition.on_step and case.state == State.IN_PROGRESS:
            return [s.assignee or self.org.by_post[(s.department_id, s.role_id)] for s in self.active_steps(case)]
        if action == "void":
            return [people["admin"]]
        by_role = {Role.CLERK: "clerk", Role.HANDLER: "handler", Role.REVIEWER: "reviewer", Role.APPROVER: "approver"}
        right = [people[by_role[r]] for r in sorted(transition.roles) if r in by_role]
        if action == "resume" and self.stopping_department(case) == people["partner_handler"].department_id:
            right.append(people["partner_handler"])
        return right

    def stopping_department(self, case: Case) -> int | None:
        stop = case.clock_stops.filter(ended_at__isnull=True).select_related("step").first()
        return stop.step.department_id if stop and stop.step else None

    def authorised(self, actor: User, case: Case, transition, params: dict) -> bool:
        """Who may act: on a step, its role in its department; otherwise a role of the transition in the case's
        department (the administrator anywhere, for centre-wide actions), or, to resume, in the department whose
        part stopped the clock."""
        if transition.on_step and case.state == State.IN_PROGRESS:
            steps = self.active_steps(case)
            if params.get("step") not in (None, ""):
                steps = [s for s in steps if str(s.pk) == str(params["step"])]
            return any(self.works(actor, s, transition.action) for s in steps)
        if not actor.has_role(*transition.roles):
            return False
        if transition.centre_wide and actor.has_role(Role.ADMIN):
            return True
        if transition.action == "resume" and actor.department_id == self.stopping_department(case):
            return True
        return actor.department_id == case.department_id

    @staticmethod
    def works(actor: User, step: CaseStep, action: str = "") -> bool:
        """Its role in its department, and assigned to the actor (or to nobody) unless the actor is the
        department's approver; the approver hands on (转办) a step of any role of the department."""
        if actor.department_id != step.department_id:
            return False
        lead = actor.has_role(Role.APPROVER)
        if not (actor.has_role(step.role_id) or (action == "transfer" and lead)):
            return False
        return lead or step.assignee_id in (None, actor.pk)

    def own_step(self, case: Case, actor: User, action: str = "") -> CaseStep | None:
        steps = self.active_steps(case)
        mine = [s for s in steps if self.works(actor, s, action)]
        # Which one the service takes when none is named: assigned to the actor (or nobody) first.
        assigned = [s for s in mine if s.assignee_id in (None, actor.pk)]
        return (assigned or mine)[0] if mine else None

    def params_for(self, data, case, model, action, actor, want_valid) -> tuple[dict, bool]:
        """Parameters for an action, well-formed or not, and whether they are well-formed."""
        draw = data.draw
        reason = draw(REASONS, label="reason")
        if action in ("refuse", "deny", "withdraw", "void"):
            if not want_valid:
                return {"reason": draw(BLANKS)}, False
            if action == "withdraw":  # only on the applicant's signed request, scanned at the window
                return {"reason": reason, "request_file": self.withdrawal_request}, True
            return {"reason": reason}, True
        if action == "request_correction":
            missing = [{"name": m.name, "problem": "未提交"} for m in case.materials.all()
                       if m.required and not m.received] or [{"name": "申请表", "problem": "未签字"}]
            if want_valid:
                return {"missing": missing, "comment": "请一次补齐"}, True
            return {"missing": draw(st.sampled_from([[], None, [{"name": " "}], "申请表", 7]))}, False
        if action == "supplement":
            if want_valid:
                ids = [m.pk for m in case.materials.all() if not m.received]
                some = st.lists(st.sampled_from(ids), unique=True) if ids else st.just([])
                return {"materials": draw(st.one_of(st.just(ids), st.just(ids), some))}, True
            return {"materials": draw(st.sampled_from([[10**9], ["x"], "abc"]))}, False
        if action == "transfer":
            params, step_ok = self.step_params(data, case, actor, want_valid, action)
            step = self.step_acted_on(case, actor, params, action)
            colleagues = [u for u in self.org.posts.get((step.department_id, step.role_id), [])
                          if u.pk != step.assignee_id] if step else []
            if want_valid and step_ok and colleagues:
                return {**params, "to": draw(st.sampled_from(colleagues)).pk, "reason": reason}, True
            wrong = self.org.people["stranger_handler"].pk
            return {**params, **draw(st.sampled_from([{"to": wrong, "reason": reason},
                                                      {"to": colleagues[0].pk if colleagues else wrong, "reason": ""},
                                                      {"reason": reason}]))}, False
        if action in ("pass", "return", "request_supplement", "suspend"):
            params, step_ok = self.step_params(data, case, actor, want_valid)
            if action == "pass":
                params["opinion"] = draw(st.sampled_from(["", "同意", "符合条件"]))
                return params, step_ok
            if action == "return":
                return self.return_params(data, case, actor, params, reason, want_valid)
            if action == "request_supplement":
                if want_valid:
                    days = draw(st.sampled_from([None, 1, 5, 30]))
                    return {**params, "reason": reason, **({"expected_days": days} if days else {})}, True
                return {**params, **draw(st.sampled_from([{"reason": ""}, {"reason": reason, "expected_days": 0},
                                                          {"reason": reason, "expected_days": 31},
                                                          {"reason": reason, "expected_days": "五天"}]))}, False
            if want_valid:
                kind, limit = draw(st.sampled_from([("expert_review", 15), ("publicity", 10)]))
                return {**params, "kind": kind, "reason": reason, "expected_days": draw(st.integers(1, limit))}, True
            return {**params, **draw(st.sampled_from([
                {"kind": "hearing", "reason": reason, "expected_days": 5},
                {"kind": "publicity", "reason": reason, "expected_days": 11},
                {"kind": "expert_review", "reason": "", "expected_days": 5},
                {"kind": "expert_review", "reason": reason}]))}, False
        if action == "extend":
            room = case.version.extension_limit - model.extension
            if want_valid and room > 0:
                return {"days": draw(st.integers(1, room)), "reason": reason}, True
            return draw(st.sampled_from([{"days": room + 1, "reason": reason}, {"days": 0, "reason": reason},
                                         {"days": "十", "reason": reason}, {"days": 1, "reason": " "}])), False
        if action == "grant":
            return {"opinion": draw(st.sampled_from(["", "符合法定条件"]))}, True
        if action == "complete":
            return {"delivery": draw(st.sampled_from(["", "窗口领取"]))}, True  # 邮寄: once signed for
        if action in ("accept", "handle_on_the_spot"):
            # 容缺受理 needs the applicant's commitment; without materials deferred nothing can be wrong.
            if want_valid or not outstanding(case):
                return {"commitment": True}, True
            return {"commitment": draw(st.sampled_from([False, "", None]))}, False
        if action == "receive_deferred":
            ids = [m.pk for m in outstanding(case)]
            if want_valid and ids:
                return {"materials": draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))}, True
            return {"materials": draw(st.sampled_from([[10**9], [], "abc"]))}, False
        return {}, True  # resume: nothing to get wrong

    def step_params(self, data, case, actor, want_valid, action: str = "") -> tuple[dict, bool]:
        """Optionally name the step acted on: the actor's own active step, or (invalid) one that is not active."""
        mine = self.own_step(case, actor, action) if case.state == State.IN_PROGRESS else None
        if data.draw(st.integers(0, 2), label="name the step?") > 0:
            return {}, True
        if want_valid:
            return ({"step": mine.pk} if mine else {}), True
        finished = list(case.steps.exclude(status=CaseStep.Status.ACTIVE).values_list("pk", flat=True))
        return {"step": data.draw(st.sampled_from([*finished, "x"]))}, False

    def return_params(self, data, case, actor, params, reason, want_valid) -> tuple[dict, bool]:
        mine = self.own_step(case, actor)
        seq = mine.seq if mine else 1
        if want_valid:
            to_seq = data.draw(st.sampled_from([None, *range(1, seq)]))
            return {**params, "reason": reason, **({"to_seq": to_seq} if to_seq else {})}, True
        return {**params, **data.draw(st.sampled_from([{"reason": ""}, {"reason": reason, "to_seq": seq},
                                                       {"reason": reason, "to_seq": "第一步"}]))}, False

    def precondition_holds(self, case: Case, model: Model, action: str, actor: User, params: dict) -> bool:
        complete = all(m.received or m.deferred for m in case.materials.all() if m.required)
        if action == "accept":
            return complete
        if action == "handle_on_the_spot":
            return model.spot and complete
        if action == "request_correction":
            return not model.corrections
        if action == "suspend":
            return not model.spot  # the 即办 item allows no special procedure
        if action == "return":
            step = self.step_acted_on(case, actor, params)
            return step is not None and step.seq > 1
        if action == "extend":
            return case.version.extension_limit - model.extension >= int(params["days"])
        if action == "transfer":
            step = self.step_acted_on(case, actor, params, action)
            return step is not None and params.get("to") not in (None, step.assignee_id)
        if action == "receive_deferred":
            return bool(outstanding(case))
        if action == "complete":
            return not outstanding(case)  # the item's rule (default): 办结 waits for the 容缺 materials
        return True

    def step_acted_on(self, case: Case, actor: User, params: dict, action: str = "") -> CaseStep | None:
        if params.get("step"):
            return next((s for s in self.active_steps(case) if str(s.pk) == str(params["step"])), None)
        return self.own_step(case, actor, action)

    # -- what a success must have done ------------------------------------------------------------

    def after_success(self, before: Case, model: Model, action, params, before_dues, steps_before,
                      notices_before) -> None:
        case = Case.objects.get(pk=model.pk)
        model.state = case.state
        today = clock.today()
        event = case.events.order_by("-pk").first()
        assert (event.action, event.from_state, event.to_state) == (action, before.state, case.state)
        assert event.at == clock.now() and event.ip == "10.1.2.3"
        new_notices = case.notices.exclude(pk__in=notices_before).order_by("pk")
        assert list(new_notices.values_list("kind", flat=True)) == NOTICE_OF.get(action, [])
        assert all(n.issued_at == clock.now() and n.number.startswith(case.number) for n in new_notices)
        assert case.row_version == before.row_version + 1

        if action in FIXED_TARGET:
            assert case.state == FIXED_TARGET[action]
        elif action == "resume":
            assert case.state == model.stops[-1].resume_to
        elif action in ("extend", "receive_deferred"):
            assert case.state == before.state
        elif action == "pass":
            self.check_pass_target(case, model)
        if action == "transfer":
            step = case.steps.get(pk=event.step_id)
            assert step.status == CaseStep.Status.ACTIVE and step.assignee_id == params["to"]
            assert event.data["to_assignee"] == params["to"] and event.comment == params["reason"]
            assert (case.promised_due, case.statutory_due) == before_dues
        if action == "return":
            part = case.steps.get(pk=case.events.order_by("-pk").first().step_id).flow_step_id
            earlier = [s for s in model.flow.values() if s < model.flow[part]]
            model.returned(part, int(params.get("to_seq") or max(earlier)))

        if action == "request_correction":
            model.corrections.append(today)
        elif action == "supplement":
            model.corrected_on = today
        elif action in ("accept", "handle_on_the_spot"):
            assert case.accept_date == self.legal_accept_date(model)
            if action == "accept":
                model.start(min(model.flow.values()))
        elif action in ("suspend", "request_supplement"):
            model.stops.append(Stop(today, resume_to=before.state))
            model.frozen_used = lifecycle.clock_used_days(case, get_calendar(), today)
            assert model.frozen_used == self.expected_used(case, model, today)
        elif action == "resume":
            stopped = len(workdays_after(model.stops[-1].start, today))
            model.stops[-1].end = today
            self.shift_step_dues(case, model, stopped)
            assert lifecycle.clock_used_days(case, get_calendar(), today) == model.frozen_used
            model.frozen_used = None
        elif action == "extend":
            model.extension += int(params["days"])
            assert case.promised_due > before_dues[0] and case.statutory_due > before_dues[1]
        if case.state in CLOSED_STATES:
            model.working.clear()
        if case.state in CLOSED_STATES and model.closed_on is None:
            model.closed_on = today
            if model.stops and model.stops[-1].end is None:
                model.stops[-1].end = today
        if action == "complete":
            assert case.used_days == self.expected_used(case, model, today)
        self.record_new_steps(case, model, steps_before)

    def check_pass_target(self, case: Case, model: Model) -> None:
        passed = case.steps.get(pk=case.events.order_by("-pk").first().step_id)
        assert passed.status == CaseStep.Status.DONE
        model.passed(passed.flow_step_id)
        assert case.state == (State.IN_PROGRESS if model.working else State.DECIDING)

    def legal_accept_date(self, model: Model) -> dt.date:
        """行政许可法 art. 32, from the facts the model saw."""
        received = timezone.localdate(model.received_at)
        if model.corrections and model.corrected_on and model.corrections[0] <= add_workdays(received, 5):
            return model.corrected_on
        return received

    def record_new_steps(self, case: Case, model: Model, steps_before: set[int]) -> None:
        new = list(case.steps.exclude(pk__in=steps_before).select_related("flow_step"))
        for step in new:
            limit, unit = step.flow_step.limit, step.flow_step.limit_unit
            assert step.started_at == clock.now()
            assert step.assignee == self.least_loaded(step, {s.pk for s in new})
            if limit is None:
                assert not step.own_limit
            elif unit == FlowStep.LimitUnit.HOURS:
                assert step.own_limit
                model.step_dues[step.pk] = add_office_hours(local(clock.now()), limit)
            else:
                assert step.own_limit
                model.step_dues[step.pk] = end_of(add_workdays(clock.today(), limit))

    def least_loaded(self, step: CaseStep, new: set[int]) -> User | None:
        """Who the step should have gone to: of the post, the one with the fewest active steps then."""
        holders = self.org.posts.get((step.department_id, step.role_id), [])
        if not holders:
            return None
        active = CaseStep.objects.filter(status=CaseStep.Status.ACTIVE).exclude(pk__in=new)
        return min(holders, key=lambda u: (active.filter(assignee=u).count(), u.pk))

    def shift_step_dues(self, case: Case, model: Model, stopped: int) -> None:
        for step in self.active_steps(case):
            if step.pk in model.step_dues:
                due = local(model.step_dues[step.pk])
                moved = add_workdays(due.date(), stopped)
                model.step_dues[step.pk] = due.replace(year=moved.year, month=moved.month, day=moved.day)

    def expected_used(self, case: Case, model: Model, today: dt.date) -> int:
        """Working days after acceptance up to today (or the close), minus days inside clock stops."""
        if case.accept_date is None:
            return 0
        until = model.closed_on or today
        if case.completed_at is not None:
            until = min(until, timezone.localdate(case.completed_at))

        def stopped(day):
            return any(s.start < day and (s.end is None or day <= s.end) for s in model.stops)

        return sum(1 for day in workdays_after(case.accept_date, until) if not stopped(day))

    # -- invariants -------------------------------------------------------------------------------

    @invariant()
    def every_case_is_consistent(self):
        today = clock.today()
        for model in self.models:
            case = Case.objects.select_related("version").get(pk=model.pk)
            assert case.state in State.values
            self.check_history(case)
            self.check_dues(case, model)
            self.check_clock(case, model, today)
            self.check_stops(case)
            self.check_steps(case, model)
            self.check_extensions(case, model)
            self.check_deferral(case)
            assert (case.closed_at is not None) == (case.state in CLOSED_STATES)

    def check_history(self, case: Case) -> None:
        events = list(case.events.order_by("pk"))
        assert (events[0].action, events[0].from_state, events[0].to_state) == ("receive", "", State.RECEIVED)
        for previous, event in itertools.pairwise(events):
            assert event.from_state == previous.to_state
            assert event.from_state in lifecycle.TRANSITIONS[event.action].sources
            assert event.at >= previous.at
            if event.from_state in CLOSED_STATES:
                assert event.action == "void" or (event.action, event.from_state) == (
                    "receive_deferred", State.COMPLETED)
        assert events[-1].to_state == case.state
        assert case.row_version == len(events) - 1

    def check_dues(self, case: Case, model: Model) -> None:
        if case.accept_date is None:
            assert case.promised_due is None and case.statutory_due is None
            return
        extra = case.extension_days + case.stopped_days
        provisional = False
        for due, limit in ((case.promised_due, case.promised_limit), (case.statutory_due, case.statutory_limit)):
            try:
                if limit == 0:
                    received = local(case.received_at)
                    on_time = is_workday(received.date()) and received.time() <= CLOSES
                    start = received.date() if on_time else add_workdays(received.date(), 1)
                    assert due == add_workdays(start, extra)
                else:
                    assert due == add_workdays(case.accept_date, limit + extra)
            except Unofficial:
                provisional = True
            else:
                provisional = provisional or due.year not in OFFICIAL_YEARS
        assert case.due_provisional == provisional

    def check_clock(self, case: Case, model: Model, today: dt.date) -> None:
        used = lifecycle.clock_used_days(case, get_calendar(), today)
        assert used == self.expected_used(case, model, today), (
            f"clock of case {case.pk} on {today}: accepted {case.accept_date}, stops {model.stops}, "
            f"closed {model.closed_on}, events {list(case.events.values_list('action', 'at'))}")
        if case.state == State.SUSPENDED:
            assert used == model.frozen_used, "the clock moved while the case was suspended"

    def check_stops(self, case: Case) -> None:
        stops = list(case.clock_stops.order_by("pk"))
        open_stops = [s for s in stops if s.ended_at is None]
        assert len(open_stops) <= 1
        assert bool(open_stops) == (case.state == State.SUSPENDED)
        assert (case.clock_stopped_on is not None) == (case.state == State.SUSPENDED)
        if open_stops:
            assert case.clock_stopped_on == timezone.localdate(open_stops[0].started_at)
        for stop in stops:
            if stop.ended_at is not None:
                days = workdays_after(timezone.localdate(stop.started_at), timezone.localdate(stop.ended_at))
                assert stop.stopped_days == len(days)
            assert stop.reason.strip() and 1 <= stop.expected_days <= stop.limit_days
        assert case.stopped_days == sum(s.stopped_days for s in stops)

    def check_steps(self, case: Case, model: Model) -> None:
        active = self.active_steps(case)
        stop = case.clock_stops.filter(ended_at__isnull=True).first()
        # A case suspended from a step keeps that step open (frozen) so it resumes where it stopped.
        working = case.state == State.IN_PROGRESS or (stop is not None and stop.resume_to == State.IN_PROGRESS)
        assert bool(active) == working, f"{len(active)} active steps in state {case.state}"
        assert len({s.flow_step_id for s in active}) == len(active), "a flow step active twice"
        assert {s.flow_step_id for s in active} == model.working, "other parts worked than the flow says"
        for step in active:
            if step.own_limit:
                assert step.due_at == model.step_dues[step.pk]
            else:
                assert timezone.localdate(step.due_at) == case.promised_due

    def check_deferral(self, case: Case) -> None:
        """An accepted case's 容缺 materials each have a due date the applicant committed to."""
        deferred = list(case.materials.filter(deferred=True))
        if case.accepted_at is None or not deferred:
            assert not case.commitments.exists()
            return
        [commitment] = case.commitments.all()
        assert commitment.materials == [m.name for m in deferred]
        assert all(m.due_on == commitment.due_on for m in deferred)
        assert commitment.due_on == add_workdays(timezone.localdate(case.accepted_at), case.version.deferral_days)
        if case.state == State.COMPLETED:  # the item's rule (default): 办结 waits for every 容缺 material
            assert all(m.received for m in deferred)

    def check_extensions(self, case: Case, model: Model) -> None:
        total = sum(case.extensions.values_list("days", flat=True))
        assert case.extension_days == total == model.extension <= case.version.extension_limit


# The same runs every time by default (a fixed seed: an edit of this file or of the machine's rules
# does not draw other runs), so the suite is never flaky; SHENPI_EXPLORE=<runs> explores new
# random runs instead (e.g. SHENPI_EXPLORE=500 before a release). Shrinking replays whole database-backed
# runs and can take minutes; the printed steps of a failing run are short enough to read as they are.
EXPLORE = int(os.environ.get("SHENPI_EXPLORE") or 0)
# Fixed seeds, tried in turn until every transition has been both done and refused: one seed's runs
# can miss a rarely drawn transition once the table grows, the next seeds' runs reach it.
FIXED_SEEDS = (1, 2, 3, 4, 5)
STEPS = settings(max_examples=EXPLORE or 25, stateful_step_count=50, deadline=None, database=None,
                 phases=[Phase.explicit, Phase.generate],
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _never_exercised() -> list[tuple[str, str]]:
    return [(outcome, action) for action in ACTIONS for outcome in ("done", "refused") if not SEEN[outcome, action]]


def test_random_lives_keep_the_lifecycle_invariants():
    LifecycleMachine.org = build_org()
    SEEN.clear()
    if EXPLORE:
        run_state_machine_as_test(LifecycleMachine, settings=STEPS)
    else:
        for fixed in FIXED_SEEDS:
            run_state_machine_as_test(seed(fixed)(LifecycleMachine), settings=STEPS)
            if not _never_exercised():
                break
    # Without this the machine could drift into never reaching a transition and still pass.
    missing = _never_exercised()
    assert not missing, f"transitions never exercised: {missing}"
