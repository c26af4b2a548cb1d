"""The electronic-supervision scan on a city's open and closed cases, against the naive way.

Measured, each `repeat` times (median reported, every sample kept in the JSON):
  first scan      the first scan ever: no alerts, no earlier scan (event rules look at every case);
                  the alerts and scan runs are truncated before each repetition
  full scan       a full scan after a full scan: nothing new to raise (the first scan of a day)
  idle incremental an incremental scan with no new event since the last scan
  incremental +N  an incremental scan after N new events on N random open cases
  assessment      a month's performance assessment of all departments (when the platform has it)
Then the rules' time checks done the naive way on a sample of open cases — each case loaded as a
model object with its active steps, the rule's arithmetic done in Python with WorkCalendar — once
with two queries per case and once in batches of 2,000 with the steps prefetched, extrapolated to
all open cases; the sample's findings are compared with the alerts the scan raised.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import statistics
import time
from collections import Counter

from django.db import connection, transaction
from django.db.models import Prefetch, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shenpi import clock
from shenpi.cases import deadlines
from shenpi.cases.models import CLOCK_RUNNING_STATES, OPEN_STATES, Case, CaseEvent, CaseStep, State
from shenpi.supervision import registry, rules
from shenpi.supervision.models import Alert, Level, Rule, ScanRun
from shenpi.supervision.scan import _EVENT_MARGIN, scan
from shenpi.workdays.services import get_calendar

from . import scandata
from .stats import table

TIME_RULES = ("time.case", "time.step", "time.delivery")
NAIVE_BATCH = 2000
EXPLAIN_TIMEOUT_S = 60


def _load() -> float:
    return os.getloadavg()[0]


# -- measuring -------------------------------------------------------------------------------------

def _timed_scan(full: bool) -> dict:
    started, cpu = time.perf_counter(), time.process_time()
    result = scan(full=full)
    wall = time.perf_counter() - started  # the commit (and anything run after it) included
    return {"wall_s": wall, "scan_s": result.seconds, "cpu_s": time.process_time() - cpu, "kind": result.kind,
            "raised": {Level(k).label: v for k, v in sorted(result.raised.items())},
            "closed": {Level(k).label: v for k, v in sorted(result.closed.items())}}


def _figure(label: str, samples: list[dict], load_before: float) -> dict:
    walls = [s["wall_s"] for s in samples]
    figure = {"label": label, "median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
              "samples": samples, "load_before": load_before, "load_after": _load()}
    if samples and "cpu_s" in samples[0]:
        figure["median_cpu_s"] = statistics.median(s["cpu_s"] for s in samples)
    last = samples[-1]
    extra = ""
    if "raised" in last:
        extra = (f", kind {last['kind']}, raised {sum(last['raised'].values()):,} {last['raised']}, "
                 f"closed {sum(last['closed'].values()):,}")
    print(f"scan: {label}: median {figure['median_s']:.3f} s (samples "
          + ", ".join(f"{w:.3f}" for w in walls) + f"; load {load_before:.2f} → {figure['load_after']:.2f}){extra}",
          flush=True)
    return figure


def _reset_supervision() -> None:
    """Back to a platform that has never scanned: no alerts, no scan runs, no alert notifications."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE supervision_alert, supervision_scanrun RESTART IDENTITY CASCADE")
        cursor.execute("DELETE FROM notifications_notification WHERE template = 'alert_raised'")
        cursor.execute("ANALYZE supervision_alert")


def _vacuum_alerts() -> None:
    # Autovacuum analyses a table within a minute or so of a hundred thousand inserts; do it now
    # so that the steady-state figures do not depend on when it happens to run.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) supervision_alert")
        cursor.execute("VACUUM (ANALYZE) supervision_scanrun")


def measure_scans(repeat: int, first_repeat: int, new_events: int, open_ids: list[int], seed: int) -> dict:
    figures = {}
    load = _load()
    if first_repeat or not Alert.objects.exists():
        samples = []
        for _ in range(max(first_repeat, 1)):
            _reset_supervision()
            samples.append(_timed_scan(full=True))
        figures["first_scan"] = _figure("first scan ever (no alerts)", samples, load)
        _vacuum_alerts()
    else:  # --first-repeat 0 on a kept database: its alerts stand for the first scan's
        figures["first_scan"] = {"label": "first scan ever (no alerts)", "measured": False,
                                 "why": "--first-repeat 0: the alerts of an earlier run were kept"}

    load = _load()
    figures["full_scan"] = _figure("full scan, nothing new", [_timed_scan(full=True) for _ in range(repeat)], load)
    # PostgreSQL compiles queries whose estimated cost passes jit_above_cost; the time rules' queries
    # on a million open cases do. The same scan with JIT off for this connection, for comparison.
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    load = _load()
    figures["full_scan_jit_off"] = _figure("full scan, nothing new, jit off",
                                           [_timed_scan(full=True) for _ in range(repeat)], load)
    with connection.cursor() as cursor:
        cursor.execute("RESET jit")

    load = _load()
    # Two incremental scans of the first kind: the events of the margin before the last full
    # scan have aged out by the second.
    _wait_margin()
    figures["idle_incremental"] = _figure("incremental scan, nothing new",
                                          [_timed_scan(full=False) for _ in range(max(repeat, 3))], load)

    rng = random.Random(seed)
    load = _load()
    samples = []
    for _ in range(repeat):
        _add_events(rng.sample(open_ids, min(new_events, len(open_ids))))
        samples.append(_timed_scan(full=False))
    figures["incremental_events"] = _figure(f"incremental scan after {new_events:,} new events", samples, load)
    return figures


def _wait_margin() -> None:
    """Incremental scans also look back _EVENT_MARGIN for late commits; the generated events are older."""
    newest = CaseEvent.objects.order_by("-at").values_list("at", flat=True).first()
    if newest is not None:
        wait = (newest + _EVENT_MARGIN - clock.now()).total_seconds()
        if wait > 0:
            time.sleep(wait)


ADD_EVENTS_SQL = """
INSERT INTO cases_caseevent (case_id, action, actor_id, actor_name, at, ip, from_state, to_state, step_id, comment,
                             data, prev_hash, hash)
SELECT c.id, 'note', c.received_by_id, '经办人', now(), '10.20.1.17', c.state, c.state, NULL, '补充办理意见',
       '{}'::jsonb, md5(c.id::text) || md5(c.number), md5(c.number) || md5(c.id::text)
FROM cases_case c WHERE c.id = ANY(%s)
"""


def _add_events(case_ids: list[int]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(ADD_EVENTS_SQL, [case_ids])


def open_case_ids() -> list[int]:
    return list(Case.objects.filter(state__in=OPEN_STATES).values_list("pk", flat=True))


# -- the performance assessment ----------------------------------------------------------------------

def _assessment(month: str):
    """A callable assessing `month` for every department, or (None, why) while the platform has none.

    The platform's own entry point (shenpi.performance.services.assess, which the `assess` command
    and the pages call) scores and ranks every department with anything to assess in the month.
    """
    try:
        from shenpi.performance import services
    except ImportError as error:
        return None, f"shenpi.performance not available ({error})"
    if not hasattr(services, "assess"):
        return None, "shenpi.performance.services has no assess()"
    period = services.parse_period(month)

    def run() -> int:
        return len(services.assess(period, "department").rows)
    return run, f"shenpi.performance.services.assess({month}, department)"


def measure_assessment(month: str, repeat: int) -> dict:
    run, how = _assessment(month)
    if run is None:
        print(f"scan: assessment not measured: {how}", flush=True)
        return {"label": f"assessment {month}", "measured": False, "why": how}
    load = _load()
    samples = []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        try:
            departments = run()
        except Exception as error:  # the assessment is someone else's code: report, do not abort the run
            print(f"scan: assessment failed: {error!r}", flush=True)
            return {"label": f"assessment {month}", "measured": False, "why": f"failed: {error!r}"}
        samples.append({"wall_s": time.perf_counter() - started, "cpu_s": time.process_time() - cpu,
                        "departments": departments})
    figure = _figure(f"assessment of {month}, all departments", samples, load)
    figure.update(measured=True, how=how)
    return figure


# -- the naive way ---------------------------------------------------------------------------------

def _look() -> registry.Look:
    params = {code: {**registry.REGISTRY[code].params, **(Rule.objects.get(code=code).params or {})}
              for code in TIME_RULES}
    return registry.Look(now=clock.now(), calendar=get_calendar(), params=params)


def _evaluate(case: Case, steps: list[CaseStep], look: registry.Look, out: set) -> None:
    """The time rules for one case, as their queries and loops decide (unanswered yellows aside: none yet)."""
    now, today, cal = look.now, look.today, look.calendar
    running = case.state in CLOCK_RUNNING_STATES
    if running and case.promised_due is not None:
        case_look = registry.Look(now, cal, look.params["time.case"])
        level, _ = rules._time_level(case_look, case.promised_due, case.promised_limit + case.extension_days)
        if level is not None:
            out.add(("time.case", f"case:{case.pk}", int(level)))
    p = look.params["time.step"]
    for step in steps:
        if not (running and step.own_limit and step.due_at is not None):
            continue
        limit, unit = step.flow_step.limit, step.flow_step.limit_unit
        due_day = timezone.localdate(step.due_at)
        if step.due_at < now:
            overdue = cal.between(due_day, today)
            level = Level.RED if overdue >= int(p["red_overdue_days"]) else Level.YELLOW
        elif deadlines.is_step_due_soon(step.due_at, limit, unit, now, cal, deadlines.Horizon.of(p)):
            level = Level.WARNING
        else:
            continue
        out.add(("time.step", f"step:{step.pk}", int(level)))
    if case.state == State.DECIDED and case.delivery_due is not None and case.delivery_due < today:
        cal.between(case.delivery_due, today)
        out.add(("time.delivery", f"case:{case.pk}", int(Level.YELLOW)))


def _active_steps():
    return CaseStep.objects.filter(status=CaseStep.Status.ACTIVE).select_related("flow_step")


def measure_naive(open_ids: list[int], sample: int, seed: int) -> dict:
    ids = random.Random(seed).sample(open_ids, min(sample, len(open_ids)))
    look = _look()
    load = _load()
    # One case at a time: the case, then its active steps.
    found_one: set = set()
    started, cpu = time.perf_counter(), time.process_time()
    for pk in ids:
        case = Case.objects.get(pk=pk)
        _evaluate(case, list(_active_steps().filter(case_id=pk)), look, found_one)
    one_s, one_cpu = time.perf_counter() - started, time.process_time() - cpu
    # In batches: 2,000 cases per query, their active steps prefetched.
    found_batch: set = set()
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(ids), NAIVE_BATCH):
        cases = Case.objects.filter(pk__in=ids[start:start + NAIVE_BATCH]).prefetch_related(
            Prefetch("steps", queryset=_active_steps(), to_attr="active_steps"))
        for case in cases:
            _evaluate(case, case.active_steps, look, found_batch)
    batch_s, batch_cpu = time.perf_counter() - started, time.process_time() - cpu
    # What the scan holds open for the same cases and their steps (the scan ran just before).
    sample_set = set(ids)
    held = {(code, subject, level) for code, subject, level, case_id in Alert.objects.filter(
        rule__code__in=TIME_RULES, status=Alert.Status.OPEN, case_id__in=ids).values_list(
        "rule__code", "subject", "level", "case_id") if case_id in sample_set}
    scale = len(open_ids) / len(ids) if ids else 0
    result = {
        "sample": len(ids), "open_cases": len(open_ids), "load_before": load, "load_after": _load(),
        "per_case": {"seconds": one_s, "cpu_s": one_cpu, "extrapolated_s": one_s * scale},
        "batched": {"seconds": batch_s, "cpu_s": batch_cpu, "extrapolated_s": batch_s * scale},
        "findings": len(found_one), "scan_alerts_for_sample": len(held),
        "agree": found_one == found_batch == held,
        "only_naive": sorted(found_one - held)[:10], "only_scan": sorted(held - found_one)[:10],
    }
    print(f"scan: naive on {len(ids):,} open cases: one by one {one_s:.2f} s "
          f"(→ {result['per_case']['extrapolated_s']:.0f} s for {len(open_ids):,}), "
          f"batched {batch_s:.2f} s (→ {result['batched']['extrapolated_s']:.0f} s); "
          f"{len(found_one):,} findings, scan holds {len(held):,}, agree: {result['agree']} "
          f"(load {load:.2f} → {result['load_after']:.2f})", flush=True)
    return result


# -- where the time goes ----------------------------------------------------------------------------

def per_rule(repeat: int) -> list[dict]:
    """Each rule's finder alone, on all cases (the first scan ever; state rules in every full scan) and on
    the cases changed since the last scan (incremental scans; event rules in every scan but the first)."""
    last = ScanRun.objects.filter(finished_at__isnull=False).order_by("-pk").first()
    changed = CaseEvent.objects.filter(Q(pk__gt=last.last_event_id) | Q(at__gte=last.as_of - _EVENT_MARGIN)).values(
        "case_id")
    calendar, now = get_calendar(), clock.now()
    rows = []
    for rule in Rule.objects.filter(enabled=True).order_by("code"):
        definition = registry.REGISTRY.get(rule.code)
        if definition is None:
            continue
        params = {**definition.params, **(rule.params or {})}
        entry = {"rule": rule.code}
        for kind in ("all", "changed"):
            scope = changed if kind == "changed" else None
            look = registry.Look(now=now, calendar=calendar, params=params, changed=scope, since=last.as_of)
            times, found = [], None
            for _ in range(repeat):
                started = time.perf_counter()
                findings = definition.find(look)
                found = None if findings is None else len(list(findings))
                times.append(time.perf_counter() - started)
            entry[kind] = {"median_s": statistics.median(times), "findings": found}
        rows.append(entry)
    return rows


def profile(new_events: int, open_ids: list[int], explain: bool, top: int = 6) -> dict:
    """The slowest statements of a full scan and of an incremental scan after new events."""
    out = {}
    for label, full in (("full scan", True), ("incremental scan", False)):
        if not full:
            _add_events(random.Random(1).sample(open_ids, min(new_events, len(open_ids))))
        with CaptureQueriesContext(connection) as captured:
            scan(full=full)
        statements = sorted(({"sql": q["sql"], "ms": float(q["time"]) * 1000} for q in captured.captured_queries),
                            key=lambda s: -s["ms"])
        total = sum(s["ms"] for s in statements)
        print(f"\nscan: {label}: {len(statements)} statements, {total:.0f} ms in SQL; the slowest:")
        for entry in statements[:top]:
            sql = entry["sql"]
            print(f"  {entry['ms']:8.1f} ms  {sql[:150]}{'…' if len(sql) > 150 else ''}")
            if explain and sql.lstrip().upper().startswith("SELECT") and len(sql) < 20_000:
                entry["plan"] = _explain(sql)
                print("\n".join("      " + line for line in entry["plan"].splitlines()))
        out[label] = {"statements": len(statements), "sql_ms": total,
                      "slowest": [{**s, "sql": s["sql"][:4000]} for s in statements[:top]]}
    return out


def _explain(sql: str) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL statement_timeout = '{EXPLAIN_TIMEOUT_S}s'")
        try:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        except Exception as error:  # a cancelled statement: say so and go on
            return f"(EXPLAIN cancelled after {EXPLAIN_TIMEOUT_S} s: {str(error).strip()})"


# -- the whole run ---------------------------------------------------------------------------------

def _previous_month() -> str:
    last_month = clock.today().replace(day=1) - dt.timedelta(days=1)
    return f"{last_month:%Y-%m}"


def run(open_cases: int = 1_000_000, closed_cases: int = 10_000_000, history_months: int = 3, repeat: int = 3,
        first_repeat: int = 1, sample: int = 10_000, new_events: int = 1000, month: str = "", reuse: bool = False,
        explain: bool = False, seed: int = 11) -> dict:
    result: dict = {"scale": {"open": open_cases, "closed": closed_cases, "history_months": history_months},
                    "repeat": repeat, "first_repeat": first_repeat}
    if reuse and Case.objects.exists():
        print("scan: reusing the cases already in the database", flush=True)
    else:
        print(f"scan: generating {open_cases:,} open and {closed_cases:,} closed cases …", flush=True)
        result["generation"] = scandata.generate(open_cases, closed_cases, history_months)
        timings = result["generation"]["timings"]
        print("scan: generated in " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()), flush=True)
    result["data"] = scandata.distribution()
    data = result["data"]
    print(f"scan: data: {data['open']:,} open, {data['closed']:,} closed, {data['running_overdue']:,} running "
          f"overdue, {data['active_steps_own_limit']:,} active steps on their own limit, {data['events']:,} events, "
          f"database {data['size']['database_mb'] / 1024:.1f} GB", flush=True)
    open_ids = open_case_ids()
    figures = measure_scans(repeat, first_repeat, new_events, open_ids, seed)
    figures["assessment"] = measure_assessment(month or _previous_month(), repeat)
    result["figures"] = figures
    result["naive"] = measure_naive(open_ids, sample, seed)
    result["per_rule"] = per_rule(1)
    result["profile"] = profile(new_events, open_ids, explain)
    result["alerts"] = dict(Counter(Alert.objects.filter(status=Alert.Status.OPEN).values_list("rule__code",
                                                                                                 flat=True)))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('supervision_alert')")
        result["alerts_mb"] = cursor.fetchone()[0] / 2**20
    # The scan holds its findings and fresh alerts in memory: the peak size of this process says how much.
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print_report(result)
    return result


def print_report(result: dict) -> None:
    figures, naive, data = result["figures"], result["naive"], result["data"]
    rows = []
    for key in ("first_scan", "full_scan", "full_scan_jit_off", "idle_incremental", "incremental_events",
                "assessment"):
        f = figures[key]
        if not f.get("measured", True):
            rows.append([f["label"], "not measured", "-", "-", f["why"]])
            continue
        raised = sum(f["samples"][-1].get("raised", {}).values()) if "raised" in f["samples"][-1] else "-"
        rows.append([f["label"], _s(f["median_s"]), f"{f['min_s']:.3f}–{f['max_s']:.3f}", raised,
                     f"{f['load_before']:.2f} → {f['load_after']:.2f}"])
    steady = figures["full_scan"]["median_s"]
    for key, label in (("per_case", "one query pair per case"), ("batched", f"batches of {NAIVE_BATCH:,}")):
        n = naive[key]
        rows.append([f"naive, {label}: {naive['sample']:,} cases", _s(n["seconds"]), "-", naive["findings"],
                     f"{naive['load_before']:.2f} → {naive['load_after']:.2f}"])
        rows.append([f"  extrapolated to {naive['open_cases']:,} open cases", _s(n["extrapolated_s"]),
                     f"{n['extrapolated_s'] / steady:.0f}× the full scan", "-", ""])
    scale = result["scale"]
    title = (f"Supervision scan: {data['open']:,} open and {data['closed']:,} closed cases, {data['events']:,} "
             f"events (seconds; median of {result['repeat']}; load = 1-min load average, {os.cpu_count()} CPUs)")
    print()
    print(table(["figure", "median s", "range s", "raised / findings", "load before → after"], rows, title=title))
    print(f"naive findings agree with the scan's alerts on the sample: {naive['agree']}")
    rule_rows = [[r["rule"], r["all"]["median_s"] * 1000, _n(r["all"]["findings"]),
                  r["changed"]["median_s"] * 1000, _n(r["changed"]["findings"])] for r in result["per_rule"]]
    print()
    print(table(["rule", "all cases ms", "found", "changed cases ms", "found"], rule_rows,
                title="Each rule's query and loop alone, on all cases and on the cases changed since the last scan"))
    gen = result.get("generation")
    if gen:
        print(f"\ngeneration ({scale['open']:,} open, {scale['closed']:,} closed, history {scale['history_months']} "
              "months): " + ", ".join(f"{k} {v:.0f}" for k, v in gen["timings"].items()))
    sizes = data["size"]
    print(f"peak memory of the bench process: {result['max_rss_mb']:,.0f} MB; "
          f"supervision_alert {result['alerts_mb']:,.0f} MB with indexes after the runs")
    print("sizes before the scans (MB, with indexes): " + ", ".join(
        f"{t} {s['total_mb']:,.0f}" for t, s in sizes.items() if isinstance(s, dict) and t != "supervision_alert")
        + f"; database {sizes['database_mb']:,.0f}")


def _s(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 100 else f"{seconds:,.0f}"


def _n(value) -> str:
    return "n/a" if value is None else f"{value:,}"
