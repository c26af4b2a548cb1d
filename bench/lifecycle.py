"""Complete case lifecycles through the services, side by side with SpiffWorkflow.

Shenpi, per case (6 commits): receive; accept; pass × 3 (审查, 审核, 审批); grant + complete
(one user task, one transaction). SpiffWorkflow, per case (6 commits): start an instance with the
application; five user tasks (accept, examine, review, approve, decide), each a separate request
that loads, restores, runs, serializes and saves the workflow.
Both run on the same PostgreSQL database through the same Django connection, one case at a time,
in alternating blocks so that drift (autovacuum, caches) hits both sides alike. A third side, the
floor (bench/floor.py), does per task only what any engine keeping state per action must: lock the
row, write it, append an audit row, commit, in plain SQL through psycopg: how far below it a side
stays bounds what any ratio between engines can be on this machine.
With --actors N the same lifecycles run with N actors at once (bench/actors.py).
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from shenpi.accounts.models import User
from shenpi.cases import services
from shenpi.cases.models import ApplicantKind, State

from . import org
from .floor import FloorRunner
from .sides import AIM_OVER_FLOOR, FLOOR, OURS, OURS_NO_HOOKS, SPIFF, SideSpec, side_specs
from .spiff import TASKS, SpiffRunner
from .stats import summary_ms, table

# Task labels shared by both sides, in order.
STEPS = ("receive/start", "accept", "pass 审查", "pass 审核", "pass 审批", "grant+complete")
# The two service calls of the last task, timed inside its transaction (the commit is not in them).
GRANT_INSIDE, COMPLETE_INSIDE = "  of which grant", "  of which complete"


@dataclass
class Side:
    name: str
    seconds: float = 0.0
    cases: int = 0
    steps: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0


def _fresh(user: User) -> User:
    """As in a new request: the role codes are read again, not taken from an earlier one."""
    user.__dict__.pop("_role_codes", None)
    return user


class ShenpiFlow:
    def __init__(self, office: org.Office, rng: random.Random, own_people: bool = False):
        self.office = office
        # Concurrent actors each load the staff afresh: _fresh() edits the instances it is given.
        self.people = ({role: User.objects.get(pk=user.pk) for role, user in office.people.items()}
                       if own_people else office.people)
        self.materials = {pk: {"received": True} for pk in office.material_ids}
        self.applicants = [
            services.ApplicantInput(kind=ApplicantKind.PERSON, name=org.person_name(rng),
                                    id_number=org.person_id(rng), phone=org.mobile(rng))
            for _ in range(64)
        ]

    def run_case(self, index: int, timings: dict[str, list[float]] | None) -> None:
        people = self.people
        clock = time.perf_counter

        def timed(label, call):
            start = clock()
            result = call()
            if timings is not None:
                timings[label].append(clock() - start)
            return result

        case = timed("receive/start", lambda: services.receive(
            actor=_fresh(people["clerk"]), item=self.office.item, applicant=self.applicants[index % 64],
            materials=self.materials, ip="127.0.0.1"))
        case_id = case.pk  # each later request names the case by id and loads it itself
        timed("accept", lambda: services.perform(case_id, "accept", actor=_fresh(people["clerk"]), ip="127.0.0.1"))
        for label, role in (("pass 审查", "handler"), ("pass 审核", "reviewer"), ("pass 审批", "approver")):
            timed(label, lambda role=role: services.perform(
                case_id, "pass", actor=_fresh(people[role]), params={"opinion": "同意"}, ip="127.0.0.1"))

        def decide():
            approver = _fresh(people["approver"])
            with transaction.atomic():
                timed(GRANT_INSIDE, lambda: services.perform(
                    case_id, "grant", actor=approver, params={"opinion": "准予许可"}, ip="127.0.0.1"))
                return timed(COMPLETE_INSIDE, lambda: services.perform(
                    case_id, "complete", actor=approver, params={"delivery": "窗口领取"}, ip="127.0.0.1"))

        final = timed("grant+complete", decide)
        if final.state != State.COMPLETED:
            raise RuntimeError(f"case {case_id} ended in {final.state}")


class SpiffFlow:
    def __init__(self, runner: SpiffRunner, rng: random.Random, prefix: str = "spiff"):
        self.runner = runner
        self.prefix = prefix  # case keys are unique: each concurrent actor has its own prefix
        self.applicants = [{"applicant_name": org.person_name(rng), "applicant_id": org.person_id(rng),
                            "phone": org.mobile(rng)} for _ in range(64)]
        self.serial = 0

    def run_case(self, index: int, timings: dict[str, list[float]] | None) -> None:
        clock = time.perf_counter
        self.serial += 1
        start = clock()
        workflow_id = self.runner.start(f"{self.prefix}-{self.serial}", self.applicants[index % 64])
        if timings is not None:
            timings["receive/start"].append(clock() - start)
        done = False
        for label, task in zip(STEPS[1:], TASKS, strict=True):
            start = clock()
            done = self.runner.complete_task(workflow_id, task, {"opinion": "同意", "actor": label})
            if timings is not None:
                timings[label].append(clock() - start)
        if not done:
            raise RuntimeError(f"workflow {workflow_id} did not complete")


class FloorFlow:
    def __init__(self, runner: FloorRunner, rng: random.Random):
        self.runner = runner
        self.applicants = [{"applicant_name": org.person_name(rng), "applicant_id": org.person_id(rng)}
                           for _ in range(64)]

    def run_case(self, index: int, timings: dict[str, list[float]] | None) -> None:
        clock = time.perf_counter
        start = clock()
        flow_id = self.runner.start(self.applicants[index % 64])
        if timings is not None:
            timings["receive/start"].append(clock() - start)
        for label, task in zip(STEPS[1:], TASKS, strict=True):
            start = clock()
            self.runner.complete_task(flow_id, task, {"opinion": "同意"})
            if timings is not None:
                timings[label].append(clock() - start)


SHORT = {SPIFF: "spiff", FLOOR: "floor", OURS: "ours", OURS_NO_HOOKS: "no-hooks"}

# Statements per step on the floor side (psycopg's own, which Django's capture does not see).
FLOOR_STATEMENTS = {"receive/start": 4, **{label: 5 for label in STEPS[1:]}}


class _StepMarks(dict):
    """Handed to run_case as its timings: notes how many statements had run when each step ended."""

    def __init__(self, captured: CaptureQueriesContext):
        super().__init__()
        self.captured = captured
        self.marks: list[tuple[str, int]] = []

    def __getitem__(self, label):
        self.marks.append((label, len(self.captured.captured_queries)))
        return []


def _queries_per_step(flow) -> dict[str, int]:
    """Statements each step sends (BEGIN, COMMIT and savepoints included), counted on one untimed case."""
    with CaptureQueriesContext(connection) as captured:
        marks = _StepMarks(captured)
        flow.run_case(0, marks)
    counts, previous, nested = {}, 0, 0
    for label, upto in marks.marks:
        counts[label] = upto - previous + (0 if label in (GRANT_INSIDE, COMPLETE_INSIDE) else nested)
        nested = nested + counts[label] if label in (GRANT_INSIDE, COMPLETE_INSIDE) else 0
        previous = upto
    return counts


def _queue_notifications_as_in_production() -> None:
    """Production hands notifications to a Celery broker after each commit and a worker sends them;
    without a broker the embedded default sends them in the request. The bench measures the former,
    with kombu's in-process transport standing in for the broker (nothing leaves the process)."""
    from django.conf import settings

    from shenpi.celery import app

    settings.CELERY_BROKER_URL = "memory://"
    app.conf.update(broker_url="memory://", task_always_eager=False)


class Kit:
    """What a process needs to build the sides' flows: the office, the runners (a parsed BPMN spec and
    a serializer per process, as an application would keep them)."""

    def __init__(self, office: org.Office, specs: list[SideSpec], seed: int):
        self.office, self.seed = office, seed
        kinds = {spec.kind for spec in specs}
        self.spiff = SpiffRunner() if "spiff" in kinds else None
        self.floor = FloorRunner() if "floor" in kinds else None

    @property
    def runners(self) -> list:
        return [runner for runner in (self.spiff, self.floor) if runner is not None]

    def flow(self, spec: SideSpec, rng: random.Random, actor: int | None = None):
        """One side's flow; an actor's (actor given) has staff instances and case keys of its own."""
        if spec.kind == "shenpi":
            return ShenpiFlow(self.office, rng, own_people=actor is not None)
        if spec.kind == "spiff":
            return SpiffFlow(self.spiff, rng, prefix="spiff" if actor is None else f"spiff-a{actor}")
        return FloorFlow(self.floor, rng)


def run(cases: int = 2000, block: int = 100, warmup: int = 20, seed: int = 7, spiff: bool = True,
        floor: bool = True, hooks: str = "on", actors: int = 0, processes: int = 1,
        round_cases: int = 8) -> dict:
    """Serial (actors = 0): one case at a time in alternating blocks. Concurrent: bench/actors.py."""
    specs = side_specs(spiff, floor, hooks)
    _queue_notifications_as_in_production()
    office = org.make_office()
    kit = Kit(office, specs, seed)
    for runner in kit.runners:
        runner.create_table()
    try:
        if actors:
            from . import actors as crowd

            return crowd.run(kit, specs, cases=cases, actors=actors, processes=processes,
                             round_cases=round_cases, warmup=warmup)
        return _run_serial(kit, specs, cases, block, warmup)
    finally:
        for runner in kit.runners:
            runner.drop_table()


def _run_serial(kit: Kit, specs: list[SideSpec], cases: int, block: int, warmup: int) -> dict:
    rng = random.Random(kit.seed)
    sides = [Side(spec.name) for spec in specs]
    flows = [kit.flow(spec, rng) for spec in specs]
    print(f"lifecycle: warming up ({warmup} cases per side) …", flush=True)
    for spec, flow in zip(specs, flows, strict=True):
        with spec.context():
            for i in range(warmup):
                flow.run_case(i, None)
    queries = {}
    for spec, flow in zip(specs, flows, strict=True):
        with spec.context():
            queries[spec.name] = FLOOR_STATEMENTS if spec.kind == "floor" else _queries_per_step(flow)
    done = 0
    while done < cases:
        size = min(block, cases - done)
        for spec, side, flow in zip(specs, sides, flows, strict=True):
            with spec.context():
                started = time.perf_counter()
                for i in range(done, done + size):
                    flow.run_case(i, side.steps)
                side.seconds += time.perf_counter() - started
            side.cases += size
        done += size
        print(f"lifecycle: {done}/{cases} cases per side", flush=True)
    return _report(sides, queries)


def ratios(cases_per_second: dict[str, float], concurrent: bool = False) -> dict:
    """Print and return the ratios between the sides: Shenpi's time per case over the floor's (the aim:
    at most AIM_OVER_FLOOR), and SpiffWorkflow's throughput over Shenpi's (the aim under concurrency:
    at most 1, i.e. Shenpi no slower)."""
    out = {}
    floor = cases_per_second.get(FLOOR)
    spiff = cases_per_second.get(SPIFF)
    per_case = "wall time ÷ cases" if concurrent else "time per case"
    for name in (OURS, OURS_NO_HOOKS):
        ours = cases_per_second.get(name)
        if not ours:
            continue
        key = "" if name == OURS else "_no_hooks"
        if floor:
            over_floor = floor / ours
            out[f"ratio_ours_over_floor{key}"] = over_floor
            verdict = "met" if over_floor <= AIM_OVER_FLOOR else "not met"
            print(f"{name} ÷ floor, {per_case}: {over_floor:.2f}× (aim ≤ {AIM_OVER_FLOOR:g}×: {verdict})")
        if spiff:
            over_ours = spiff / ours
            out[f"ratio_spiff_over_ours{key}"] = over_ours
            verdict = "Shenpi no slower" if over_ours <= 1 else "Shenpi slower"
            print(f"SpiffWorkflow ÷ {name}, cases per second: {over_ours:.2f} ({verdict}; "
                  f"Shenpi ÷ SpiffWorkflow throughput {1 / over_ours:.2f})")
    if floor:
        out["floor_cases_per_second"] = floor
        if spiff:
            out["ratio_spiff_over_floor"] = floor / spiff
            print(f"{SPIFF} ÷ floor, {per_case}: {floor / spiff:.2f}×")
    return out


def _report(sides: list[Side], queries: dict[str, dict[str, int]]) -> dict:
    result = {"cases": sides[0].cases, "sides": {}}
    rows = []
    for side in sides:
        steps = {label: summary_ms(side.steps[label]) for label in (*STEPS, GRANT_INSIDE, COMPLETE_INSIDE)
                 if side.steps.get(label)}
        result["sides"][side.name] = {"cases_per_second": side.cases_per_second, "seconds": side.seconds,
                                      "steps": steps, "queries": queries.get(side.name, {})}
        rows.append([side.name, side.cases, side.seconds, side.cases_per_second,
                     side.seconds / side.cases * 1000 if side.cases else float("nan")])
    print()
    print(table(["side", "cases", "seconds", "cases/s", "ms/case"], rows,
                title="Case lifecycle: receive + 5 user tasks, 6 commits per case, sequential, one connection"))
    result.update(ratios({side.name: side.cases_per_second for side in sides}))
    step_rows = []
    for label in (*STEPS, GRANT_INSIDE, COMPLETE_INSIDE):
        row = [label]
        for side in sides:
            s = result["sides"][side.name]["steps"].get(label)
            if s is None:
                row += ["", "", "", ""]
                continue
            row += [s["median_ms"], s["p95_ms"], s["p99_ms"], queries.get(side.name, {}).get(label, "-")]
        step_rows.append(row)
    headers = ["step"]
    for side in sides:
        short = SHORT.get(side.name, "ours")
        headers += [f"{short} p50 ms", f"{short} p95", f"{short} p99", f"{short} SQL"]
    print()
    print(table(headers, step_rows,
                title="Per-step latency (ms); SQL = statements sent per step, BEGIN and COMMIT included"))
    return result
