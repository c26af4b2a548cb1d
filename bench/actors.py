"""Case lifecycles with many actors at once (`python -m bench lifecycle --actors 16`).

Each actor is a thread with its own database connection (Django opens one per thread; the floor's
plain SQL and SpiffWorkflow's statements go through that thread's psycopg connection too) and
drives its own cases through the whole lifecycle, one request after the other, with no wait
between them (a closed loop). The sides take turns in rounds: all actors run one side's cases at
once, then the next side's, and so on, so that drift hits every side alike. A round's wall time
runs from the moment every actor is released to the moment the last one is done.

Python runs one thread at a time per process (the GIL), so with threads alone the Python of all
actors shares one CPU, whatever the side. `--processes P` spreads the actors over P processes
(spawned, each with its own Django setup, runners and caches), with threads within each.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import random
import threading
import time
import traceback
from collections import defaultdict

from django.db import connection, connections

from .lifecycle import GRANT_INSIDE, STEPS, Kit, Side, ratios
from .sides import OfficeRef, SideSpec, process_main
from .stats import summary_ms, table

# A round that takes longer than this has hung (an actor waiting on a lock that is never released).
ROUND_TIMEOUT = 1800.0


class RoundFailed(RuntimeError):
    pass


class ThreadCrowd:
    """`actors` threads, kept for the whole run (each with its connection), run a side's round on cue."""

    def __init__(self, kit: Kit, specs: list[SideSpec], actor_ids: list[int]):
        self.kit, self.specs = kit, {spec.name: spec for spec in specs}
        self.job: tuple[SideSpec, int, bool] | None = None
        self.start = threading.Barrier(len(actor_ids) + 1, timeout=ROUND_TIMEOUT)
        self.end = threading.Barrier(len(actor_ids) + 1, timeout=ROUND_TIMEOUT)
        self.ready = threading.Barrier(len(actor_ids) + 1, timeout=ROUND_TIMEOUT)
        self.actors = [_Actor(self, actor) for actor in actor_ids]
        for actor in self.actors:
            actor.start()
        self.ready.wait()  # every actor has its flows and an open connection
        self._raise_errors()

    def run_round(self, name: str, cases_per_actor: int, timed: bool, gate=None) -> dict[str, list[float]]:
        """All actors run `cases_per_actor` cases of the side; returns the latencies per action kind.

        gate, when given, is waited on right before the actors are released and right after the
        last one is done (processes line up on it)."""
        spec = self.specs[name]
        self.job = (spec, cases_per_actor, timed)
        # Entered here as well as in each actor: a switch that holds per thread needs the latter, one
        # that holds per process and restores its previous value on exit needs an outer entry.
        with spec.context():
            if gate:
                gate()
            self.start.wait()
            self.end.wait()
            if gate:
                gate()
        self._raise_errors()
        merged: dict[str, list[float]] = defaultdict(list)
        for actor in self.actors:
            for label, samples in actor.timings.items():
                merged[label].extend(samples)
        return dict(merged)

    def _raise_errors(self) -> None:
        errors = [actor.error for actor in self.actors if actor.error]
        if errors:
            self.close()
            raise RoundFailed(f"{len(errors)} actor(s) failed; the first:\n{errors[0]}")

    def close(self) -> None:
        if self.job is not None or any(actor.is_alive() for actor in self.actors):
            self.job = None
            with contextlib.suppress(threading.BrokenBarrierError):
                self.start.wait()
        for actor in self.actors:
            actor.join(timeout=30)


class _Actor(threading.Thread):
    def __init__(self, crowd: ThreadCrowd, actor_id: int):
        super().__init__(name=f"actor-{actor_id}", daemon=True)
        self.crowd, self.actor_id = crowd, actor_id
        self.error: str | None = None
        self.timings: dict[str, list[float]] = {}
        self.served = 0  # cases run so far, for the applicants' rotation

    def run(self) -> None:
        crowd = self.crowd
        flows = {}
        try:
            rng = random.Random(crowd.kit.seed * 7919 + self.actor_id)
            flows = {name: crowd.kit.flow(spec, rng, actor=self.actor_id) for name, spec in crowd.specs.items()}
            connection.ensure_connection()
        except Exception:
            self.error = traceback.format_exc()
        try:
            crowd.ready.wait()
            while True:
                crowd.start.wait()
                job = crowd.job
                if job is None:
                    break
                if self.error is None:
                    self._run_share(flows, *job)
                crowd.end.wait()
        except threading.BrokenBarrierError:
            pass
        finally:
            connections.close_all()

    def _run_share(self, flows, spec: SideSpec, count: int, timed: bool) -> None:
        timings: dict[str, list[float]] = defaultdict(list)
        try:
            with spec.context():
                flow = flows[spec.name]
                for _ in range(count):
                    flow.run_case(self.served, timings if timed else None)
                    self.served += 1
        except Exception:
            self.error = f"{self.name}, side {spec.name}:\n{traceback.format_exc()}"
        self.timings = dict(timings)


# -- actors spread over processes -----------------------------------------------------------------

class ProcessCrowd:
    """The actors split over `processes` spawned processes, each running a ThreadCrowd."""

    def __init__(self, kit: Kit, specs: list[SideSpec], actors: int, processes: int):
        context = multiprocessing.get_context("spawn")
        self.gate = context.Barrier(processes + 1, timeout=ROUND_TIMEOUT)
        self.pipes, self.processes = [], []
        shares = [list(range(actors))[p::processes] for p in range(processes)]
        ref = OfficeRef.of(kit.office)
        for share in shares:
            parent, child = context.Pipe()
            process = context.Process(target=process_main, args=(child, self.gate, specs, ref, kit.seed, share),
                                      daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)
        self._collect()

    def run_round(self, name: str, cases_per_actor: int, timed: bool, gate=None) -> dict[str, list[float]]:
        for pipe in self.pipes:
            pipe.send((name, cases_per_actor, timed))
        if gate:
            gate()
        self.gate.wait()  # all processes release their actors
        self.gate.wait()  # all processes' actors are done
        if gate:
            gate()
        merged: dict[str, list[float]] = defaultdict(list)
        for timings in self._collect():
            for label, samples in timings.items():
                merged[label].extend(samples)
        return dict(merged)

    def _collect(self) -> list:
        answers = [pipe.recv() for pipe in self.pipes]
        errors = [payload for status, payload in answers if status == "error"]
        if errors:
            self.close()
            raise RoundFailed(f"{len(errors)} process(es) failed; the first:\n{errors[0]}")
        return [payload for _, payload in answers]

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
        for process in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
        self.pipes, self.processes = [], []


# -- the run ----------------------------------------------------------------------------------------

class Tally(Side):
    @property
    def actions(self) -> list[float]:
        """Every request's latency (the six requests of a case, not the calls inside the last)."""
        return [sample for label in STEPS for sample in self.steps.get(label, ())]


def run(kit: Kit, specs: list[SideSpec], cases: int, actors: int, processes: int, round_cases: int,
        warmup: int) -> dict:
    processes = max(1, min(processes, actors))
    per_round = actors * round_cases
    rounds = max(1, math.ceil(cases / per_round))
    warmup_each = max(1, math.ceil(warmup / actors)) if warmup else 0
    model = f"{actors} threads in one process" if processes == 1 else \
        f"{actors} threads over {processes} processes"
    print(f"lifecycle: {actors} concurrent actors ({model}), {rounds} rounds of {round_cases} cases per "
          f"actor per side ({rounds * per_round} cases per side)", flush=True)
    # The main thread's connection is not used during the rounds; closed so that it holds nothing.
    connections.close_all()
    crowd = ThreadCrowd(kit, specs, list(range(actors))) if processes == 1 else \
        ProcessCrowd(kit, specs, actors, processes)
    tallies = {spec.name: Tally(spec.name) for spec in specs}
    try:
        if warmup_each:
            print(f"lifecycle: warming up ({warmup_each} cases per actor per side) …", flush=True)
            for spec in specs:
                crowd.run_round(spec.name, warmup_each, timed=False)
        for number in range(1, rounds + 1):
            for spec in specs:
                clock = _Clock()
                timings = crowd.run_round(spec.name, round_cases, timed=True, gate=clock.mark)
                tally = tallies[spec.name]
                tally.seconds += clock.seconds
                tally.cases += per_round
                for label, samples in timings.items():
                    tally.steps[label].extend(samples)
            print(f"lifecycle: round {number}/{rounds} ({number * per_round} cases per side)", flush=True)
    finally:
        crowd.close()
    return _report(list(tallies.values()), actors, processes, round_cases)


class _Clock:
    """Marked right before the actors are released and right after the last one is done."""

    def __init__(self):
        self.marks: list[float] = []

    def mark(self) -> None:
        self.marks.append(time.perf_counter())

    @property
    def seconds(self) -> float:
        return self.marks[-1] - self.marks[0]


def _report(tallies: list[Tally], actors: int, processes: int, round_cases: int) -> dict:
    result = {"mode": "concurrent", "actors": actors, "processes": processes, "round_cases": round_cases,
              "cases": tallies[0].cases, "sides": {}}
    rows = []
    for tally in tallies:
        actions = tally.actions
        overall = summary_ms(actions)
        cps = tally.cases / tally.seconds if tally.seconds else 0.0
        aps = len(actions) / tally.seconds if tally.seconds else 0.0
        steps = {label: summary_ms(tally.steps[label]) for label in (*STEPS, GRANT_INSIDE, "  of which complete")
                 if tally.steps.get(label)}
        result["sides"][tally.name] = {
            "cases_per_second": cps, "actions_per_second": aps, "seconds": tally.seconds,
            "ms_per_case_wall": tally.seconds / tally.cases * 1000 if tally.cases else math.nan,
            "actions": overall, "steps": steps}
        rows.append([tally.name, tally.cases, tally.seconds, cps, aps,
                     tally.seconds / tally.cases * 1000 if tally.cases else math.nan,
                     overall["median_ms"], overall["p99_ms"]])
    how = "threads" if processes == 1 else f"threads over {processes} processes"
    print()
    print(table(["side", "cases", "seconds", "cases/s", "actions/s", "wall ms/case", "p50 ms", "p99 ms"], rows,
                title=f"Case lifecycle, {actors} actors at once ({how}), each driving its own cases; "
                      f"p50/p99 per request"))
    result.update(ratios({tally.name: result["sides"][tally.name]["cases_per_second"] for tally in tallies},
                         concurrent=True))
    step_rows = []
    for label in STEPS:
        row = [label]
        for tally in tallies:
            s = result["sides"][tally.name]["steps"].get(label)
            row += [s["median_ms"], s["p99_ms"]] if s else ["", ""]
        step_rows.append(row)
    from .lifecycle import SHORT

    headers = ["action"]
    for tally in tallies:
        short = SHORT.get(tally.name, tally.name)
        headers += [f"{short} p50 ms", f"{short} p99"]
    print()
    print(table(headers, step_rows, title=f"Per-action latency (ms) with {actors} actors at once"))
    return result
