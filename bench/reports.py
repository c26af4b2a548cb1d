"""Statistics and reports on ten million cases: the aggregates against a plain GROUP BY over the cases.

The cases are those of the supervision scan (bench/scandata.py: 1,000,000 open and 9,000,000 closed
by default). Then, each a wall time in this process with the 1-minute load average around it:

- the full rebuild of the aggregates (`shenpi.figures.upkeep.rebuild()`, every registered family);
- every registered report (shenpi.reports.registry.REPORTS) and the headline figures
  (`shenpi.figures.query.totals` by department, every counter): the rows of a year over all
  departments, cold (the first call in this process) and warm (median of N), against the same
  counters computed by a plain GROUP BY over the cases of each moment (`counters.moment_cases`)
  grouped by department. The headline figures are also compared value by value;
- the wall screen's data (/wall/data.json) when the platform has it, cold and warm;
- the upkeep per case action: N real 送达办结 (complete) actions through shenpi.cases.services on
  decided cases, timed with the aggregates' hook as installed and without it, then one upkeep run
  (`keep_up()`), divided by N;
- the month's performance assessment (`services.assess(month, "department")`) from the aggregates,
  and the same with the case figures counted over the cases (the assessment's path before the
  aggregates are built) for comparison.

Nothing fails on time: the figures are printed and written with --json.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time
from collections.abc import Callable

from django.db import connection
from django.db.models import Count, Sum

from shenpi import clock
from shenpi.cases.models import Case, State
from shenpi.figures import counters, query, upkeep

from . import scandata
from .stats import table

# The action timed for the upkeep's cost: a decided case is delivered and completed.
ACTION = "complete"


def _load() -> float:
    return os.getloadavg()[0]


def _say(text: str) -> None:
    print(f"reports: {text}", flush=True)


def _timed(function: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    out = function()
    return time.perf_counter() - started, out


def cold_warm(label: str, function: Callable[[], object], repeat: int) -> dict:
    """The first call, then the median of `repeat` more."""
    load = _load()
    cold, out = _timed(function)
    warm = [_timed(function)[0] for _ in range(repeat)]
    figure = {"label": label, "cold_s": cold, "warm_s": statistics.median(warm) if warm else cold,
              "samples": warm, "rows": _length(out), "load_before": load, "load_after": _load()}
    _say(f"{label}: cold {cold * 1000:.1f} ms, warm {figure['warm_s'] * 1000:.1f} ms, {figure['rows']} rows "
         f"(load {load:.2f} → {figure['load_after']:.2f})")
    return figure


def _length(out) -> int | None:
    try:
        return len(out)
    except TypeError:
        return None


# -- the plain way ------------------------------------------------------------------------------------

def plain_group_by(first: dt.date, last: dt.date, names: list[str], by: str = "department_id") -> dict:
    """The counters `names` per department over local days first..last, straight from the cases."""
    start, end = clock.days_range(first, last)
    out: dict = {}
    for moment in counters.MOMENTS:
        wanted = [counters.COUNTERS[n] for n in names if counters.COUNTERS[n].moment == moment]
        if not wanted:
            continue
        aggregates = {c.name: Sum(c.total) if c.total else Count("pk", filter=c.condition()) for c in wanted}
        for row in counters.moment_cases(moment, start, end).order_by().values(by).annotate(**aggregates):
            key = row.pop(by)
            out.setdefault(key, dict.fromkeys(names, 0)).update({k: v or 0 for k, v in row.items()})
    return out


def case_counters(reads) -> list[str]:
    return [name for name in reads if name in counters.COUNTERS]


def compare(label: str, fast: Callable[[], object], reads: list[str], first: dt.date, last: dt.date,
            repeat: int, plain_repeat: int) -> dict:
    figure = cold_warm(label, fast, repeat)
    if not reads:
        figure["plain"] = None
        _say(f"{label}: reads no case counter, no plain GROUP BY to compare with")
        return figure
    load = _load()
    samples = [_timed(lambda: plain_group_by(first, last, reads)) for _ in range(max(1, plain_repeat))]
    plain = statistics.median(s for s, _ in samples)
    figure["plain"] = {"median_s": plain, "samples": [s for s, _ in samples], "counters": len(reads),
                       "load_before": load, "load_after": _load()}
    figure["ratio"] = plain / figure["warm_s"] if figure["warm_s"] else None
    figure["plain_rows"] = samples[-1][1]
    _say(f"{label}: plain GROUP BY over the cases {plain:.2f} s for {len(reads)} counters: "
         f"{figure['ratio']:.0f}× the warm report")
    return figure


# -- reports and headline figures -----------------------------------------------------------------------

def _reports() -> dict:
    try:
        from shenpi.reports import catalogue  # noqa: F401 - registers every report
        from shenpi.reports.registry import REPORTS
    except ImportError as error:
        _say(f"no report register ({error})")
        return {}
    return dict(REPORTS)


def measure_reports(first: dt.date, last: dt.date, repeat: int, plain_repeat: int) -> dict:
    from shenpi.reports.registry import Ask

    out = {}
    for code, report in _reports().items():
        by = ("department",) if "department" in report.groupings else report.groupings[:1]
        ask = Ask(first, last, by=tuple(by))
        try:
            out[code] = compare(f"report {code} ({report.title})", lambda r=report, a=ask: r.rows(a),
                                case_counters(report.reads), first, last, repeat, plain_repeat)
        except Exception as error:  # another module's report: say so, measure the rest
            _say(f"report {code} failed: {error!r}")
            out[code] = {"label": f"report {code}", "failed": repr(error)}
        out[code]["title"] = report.title
    return out


def measure_headline(first: dt.date, last: dt.date, repeat: int, plain_repeat: int) -> dict:
    """Every counter by department for the period: the figures query itself, checked value by value."""
    names = [c.name for c in counters.CASE_COUNTERS]
    figure = compare("headline figures (figures.query.totals by department, every counter)",
                     lambda: query.totals(first, last, by=("department",)), names, first, last, repeat, plain_repeat)
    fast = {row.pop("department"): row for row in query.totals(first, last, by=("department",))}
    plain = figure.pop("plain_rows")
    differ = [(key, name) for key in set(fast) | set(plain) for name in names
              if fast.get(key, {}).get(name, 0) != plain.get(key, {}).get(name, 0)]
    figure["agree"] = not differ
    figure["differences"] = [list(d) for d in differ[:20]]
    _say(f"headline figures equal the plain GROUP BY: {figure['agree']} ({len(differ)} differences)")
    return figure


# -- the wall screen ------------------------------------------------------------------------------------

def measure_wall(repeat: int) -> dict:
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory, override_settings
    from django.urls import Resolver404, resolve

    path = "/wall/data.json"
    try:
        match = resolve(path)
    except Resolver404:
        _say("wall screen: /wall/data.json does not exist yet, not measured")
        return {"measured": False, "why": f"{path} not found"}
    factory = RequestFactory()

    def call():
        request = factory.get(path, REMOTE_ADDR="127.0.0.1")
        request.user = AnonymousUser()
        # As the hall's display asks: from an address of SHENPI_WALL_ADDRESSES, without a login.
        with override_settings(WALL_ADDRESSES=["127.0.0.1"]):
            response = match.func(request, *match.args, **match.kwargs)
        if response.status_code != 200:
            raise RuntimeError(f"status {response.status_code}")
        return response.content

    try:
        figure = cold_warm("wall screen data (/wall/data.json)", call, repeat)
    except Exception as error:  # someone else's view: report, do not abort the run
        _say(f"wall screen not measured: {error!r}")
        return {"measured": False, "why": repr(error)}
    figure.update(measured=True, bytes=figure.pop("rows"))
    return figure


# -- upkeep per case action -------------------------------------------------------------------------------

def _figures_hook_off():
    """Take the aggregates' after-action receiver out (and give back a function putting it back)."""
    from shenpi.cases import hooks

    removed = {name: r for name, r in hooks._after.items() if name.startswith("figures.")}
    for name in removed:
        del hooks._after[name]
    hooks._plan.clear()

    def restore():
        hooks._after.update(removed)
        hooks._plan.clear()
    return restore, sorted(removed)


def _complete(case_ids: list[int]) -> list[float]:
    from shenpi.cases import services

    cases = {c.pk: c for c in Case.objects.filter(pk__in=case_ids).select_related("received_by")}
    times = []
    for pk in case_ids:
        actor = cases[pk].received_by
        started = time.perf_counter()
        services.perform(pk, ACTION, actor=actor, params={"delivery": "窗口领取"}, ip="127.0.0.1")
        times.append(time.perf_counter() - started)
    return times


def measure_upkeep(actions: int, seed: int) -> dict:
    """N actions with the hook, N without, one upkeep run after each half: its time over N per action."""
    upkeep.keep_up()  # nothing pending before the timed run
    ids = list(Case.objects.filter(state=State.DECIDED).order_by().values_list("pk", flat=True)[:200_000])
    chosen = random.Random(seed).sample(ids, min(2 * actions, len(ids)))
    half = len(chosen) // 2
    if not half:
        return {"measured": False, "why": "no decided case to complete"}
    load = _load()
    # Alternate who goes first would be fairer; the two halves are small and the order is fixed.
    with_hook = _complete(chosen[:half])
    restore, names = _figures_hook_off()
    try:
        without = _complete(chosen[half:])
    finally:
        restore()
    # The wait of the upkeep's margin is not needed: the events are new (ids above the watermark).
    seconds, result = _timed(upkeep.keep_up)
    figure = {
        "actions": 2 * half, "action": ACTION, "hooks_removed": names,
        "action_with_hook_ms": statistics.median(with_hook) * 1000,
        "action_without_hook_ms": statistics.median(without) * 1000,
        "keep_up_s": seconds, "days_rebuilt": result.days,
        "keep_up_per_action_ms": seconds / (2 * half) * 1000,
        "load_before": load, "load_after": _load(),
    }
    # At once again: the run rereads the events of its two-minute margin for late commits, so the
    # days of the actions just counted are rebuilt a second time (what the next run costs right after).
    again, rerun = _timed(upkeep.keep_up)
    figure["keep_up_again_s"], figure["keep_up_again_days"] = again, rerun.days
    _say(f"upkeep: {2 * half} {ACTION} actions, action median {figure['action_with_hook_ms']:.1f} ms with the hook, "
         f"{figure['action_without_hook_ms']:.1f} ms without; keep_up {seconds:.2f} s for {result.days} days "
         f"= {figure['keep_up_per_action_ms']:.2f} ms per action; at once again {again:.2f} s ({rerun.days} days, "
         f"the margin reread)")
    return figure


# -- the assessment -----------------------------------------------------------------------------------

def measure_assessment(month: str, repeat: int) -> dict:
    from shenpi.performance import indicators, services

    period = services.parse_period(month)
    out = {}

    def run():
        return services.assess(period, "department").rows

    # What an assessment pays to know the aggregates are current when nothing changed.
    out["pending"] = cold_warm("is anything new for the aggregates? (upkeep.cases_pending)",
                               lambda: [upkeep.cases_pending()], repeat)
    out["aggregates"] = cold_warm(f"assessment of {month}, all departments, from the aggregates", run, repeat)
    original = indicators.current_aggregates
    indicators.current_aggregates = lambda: False
    try:
        out["cases"] = cold_warm(f"assessment of {month}, all departments, counted over the cases", run,
                                 max(1, repeat // 2))
    finally:
        indicators.current_aggregates = original
    return out


# -- the whole run ------------------------------------------------------------------------------------

def _previous_month() -> str:
    last_month = clock.today().replace(day=1) - dt.timedelta(days=1)
    return f"{last_month:%Y-%m}"


def measure_rebuild() -> dict:
    out = {}
    for name in list(upkeep.FAMILIES):
        load = _load()
        seconds, result = _timed(lambda n=name: upkeep.rebuild(families=[n]))
        out[name] = {"seconds": seconds, "days": result.days, "load_before": load, "load_after": _load()}
        _say(f"full rebuild of {name}: {seconds:.1f} s, {result.days:,} days (load {load:.2f} → {_load():.2f})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), pg_total_relation_size('figures_caseday') FROM figures_caseday")
        rows, size = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM figures_casemonth")
        months = cursor.fetchone()[0]
    out["rows"] = {"caseday": rows, "casemonth": months, "caseday_mb": size / 2**20}
    _say(f"aggregates: {rows:,} day rows ({size / 2**20:.0f} MB), {months:,} month rows")
    return out


def run(open_cases: int = 1_000_000, closed_cases: int = 9_000_000, history_months: int = 3, repeat: int = 5,
        plain_repeat: int = 1, actions: int = 500, month: str = "", year: int | None = None,
        reuse: bool = False, seed: int = 13, skip_rebuild: bool = False) -> dict:
    result: dict = {"scale": {"open": open_cases, "closed": closed_cases, "history_months": history_months},
                    "repeat": repeat}
    if reuse and Case.objects.exists():
        _say("reusing the cases already in the database")
    else:
        _say(f"generating {open_cases:,} open and {closed_cases:,} closed cases …")
        result["generation"] = scandata.generate(open_cases, closed_cases, history_months)
    result["cases"] = Case.objects.count()
    year = year or clock.today().year
    first, last = dt.date(year, 1, 1), min(dt.date(year, 12, 31), clock.today())
    result["year"] = {"first": str(first), "last": str(last)}
    # --skip-rebuild with --reuse-data: the aggregates of the earlier run are brought up to date by the
    # upkeep (what a deployment of new code does) instead of rebuilt (tens of minutes at full scale).
    if skip_rebuild and reuse:
        _say(f"upkeep instead of a rebuild: {upkeep.keep_up()}")
        result["rebuild"] = {}
    else:
        result["rebuild"] = measure_rebuild()
    result["headline"] = measure_headline(first, last, repeat, plain_repeat)
    result["reports"] = measure_reports(first, last, repeat, plain_repeat)
    result["wall"] = measure_wall(repeat)
    month = month or _previous_month()
    result["assessment"] = measure_assessment(month, repeat)
    result["upkeep"] = measure_upkeep(actions, seed) if actions else {"measured": False, "why": "--actions 0"}
    print_report(result)
    return result


def _ms(seconds) -> str:
    return "–" if seconds is None else f"{seconds * 1000:,.1f}"


def print_report(result: dict) -> None:
    rows = []
    for figure in [result["headline"], *result["reports"].values()]:
        if "failed" in figure:
            rows.append([figure["label"], "failed", "", "", "", ""])
            continue
        plain = figure.get("plain")
        rows.append([figure["label"][:70], _ms(figure["cold_s"]), _ms(figure["warm_s"]),
                     "–" if not plain else f"{plain['median_s']:.2f}",
                     "–" if not plain else f"{figure['ratio']:,.0f}×", figure.get("rows")])
    wall = result["wall"]
    if wall.get("measured"):
        rows.append([wall["label"], _ms(wall["cold_s"]), _ms(wall["warm_s"]), "–", "–", wall.get("bytes")])
    for figure in result["assessment"].values():
        rows.append([figure["label"], _ms(figure["cold_s"]), _ms(figure["warm_s"]), "–", "–", figure["rows"]])
    print()
    print(table(["figure", "cold ms", "warm ms", "plain GROUP BY s", "ratio", "rows"], rows,
                title=f"{result['cases']:,} cases; year {result['year']['first']} … {result['year']['last']}"))
    for name, entry in result["rebuild"].items():
        if name != "rows":
            print(f"full rebuild of {name}: {entry['seconds']:.1f} s ({entry['days']:,} days)")
    up = result["upkeep"]
    if up.get("measured", True):
        print(f"upkeep: {up['keep_up_per_action_ms']:.3f} ms per {up['action']} action "
              f"(keep_up {up['keep_up_s']:.2f} s after {up['actions']} actions, {up['days_rebuilt']} days); "
              f"action {up['action_with_hook_ms']:.1f} ms with the hook, {up['action_without_hook_ms']:.1f} ms "
              f"without; keep_up at once again {up['keep_up_again_s']:.2f} s ({up['keep_up_again_days']} days)")
    if not wall.get("measured"):
        print(f"wall screen: not measured ({wall['why']})")
