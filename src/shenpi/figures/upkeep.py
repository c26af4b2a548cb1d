"""Keeping the aggregates up to date: the days touched since the last run are recomputed.

Case actions owe the aggregates nothing in their transaction. A run (every SHENPI_FIGURES_INTERVAL
seconds, and soon after case actions commit) reads what changed since the previous run from the
cases' trails (`CaseEvent`, ids ascending) and from supervision alerts (a new procedure or fee
alert changes the flags of a completed case), takes the local days of every moment of the cases
concerned (received, accepted, completed, closed: a case voided today leaves the day it was received),
and rebuilds those days and their months (shenpi.figures.build, written like every family's
tables by shenpi.figures.daytables).

An event whose transaction committed late may carry an id below the last one read: every run
also rereads the events and alerts of the last MARGIN before the previous run, which costs a
recomputation of today at most. The upkeep row is locked for the run, so two runs (a wake-up
overlapping beat's pass) follow each other.

`as_of`: every change committed before this moment is in the aggregates; pages show it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, Max, Q

from shenpi import clock
from shenpi.cases.models import Case, CaseEvent, State
from shenpi.supervision.models import Alert

from . import build
from .daytables import Rows, add, month_end, month_of, next_month
from .models import Upkeep

logger = logging.getLogger("shenpi.figures")

UPKEEP_JOB = "figures-upkeep"
CASES = "cases"
MARGIN = dt.timedelta(minutes=2)
_MOMENTS = ("received_at", "accepted_at", "completed_at", "closed_at")


@dataclass(frozen=True)
class Result:
    days: int
    cases: int  # days found changed (the upkeep's work list)
    as_of: dt.datetime
    rebuilt: bool = False


@dataclass(frozen=True)
class Family:
    """A family of aggregates kept by days: how to find the days changed since a run, and rebuild days.

    `watermark()` is the highest id of the family's source rows, read at the start of a run;
    `changed(after, up_to, since)` the local days touched by rows with ids in (after, up_to] or
    written since `since` (the margin for late commits); `rebuild_days(days)` replaces those days' rows
    (and whatever rolls them up) and returns how many it rebuilt; `first_day()` where a full rebuild starts.
    """

    name: str
    watermark: Callable[[], int]
    changed: Callable[[int, int, dt.datetime], set[dt.date]]
    rebuild_days: Callable[[Iterable[dt.date]], int]
    first_day: Callable[[], dt.date | None]
    # A family kept by differences (the cases'): `advance(upkeep, started)` brings its rows up to date in
    # place of recounting the changed days, and `settle(upkeep, started)` sets its window after a rebuild.
    advance: Callable[[Upkeep, dt.datetime], Result] | None = None
    settle: Callable[[Upkeep, dt.datetime], None] | None = None


FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
    FAMILIES[family.name] = family
    return family


def state(family: str = CASES) -> Upkeep:
    return Upkeep.objects.get_or_create(family=family)[0]


def as_of(family: str = CASES) -> dt.datetime | None:
    """Changes committed before this moment are counted (None: never built)."""
    return Upkeep.objects.filter(family=family).values_list("as_of", flat=True).first()


def keep_up() -> Result:
    """One run over every family: rebuild the days changed since its previous run (all days the first time)."""
    results = [keep_up_family(family) for family in FAMILIES.values()]
    return Result(days=sum(r.days for r in results), cases=sum(r.cases for r in results),
                  as_of=min(r.as_of for r in results), rebuilt=any(r.rebuilt for r in results))


def keep_up_family(family: Family) -> Result:
    state(family.name)
    with transaction.atomic():
        upkeep = Upkeep.objects.select_for_update().get(family=family.name)
        started = clock.now()
        if upkeep.as_of is None:
            return _rebuild_all(family, upkeep, started)
        if family.advance:
            if upkeep.window_start is None:  # kept by whole days until now: the window starts here
                family.settle(upkeep, started)
            return family.advance(upkeep, started)
        last_event = family.watermark()
        days = family.changed(upkeep.last_event, last_event, upkeep.as_of - MARGIN)
        built = family.rebuild_days(days) if days else 0
        upkeep.last_event, upkeep.as_of = last_event, started
        upkeep.days_built += built
        upkeep.save(update_fields=["last_event", "as_of", "days_built"])
    return Result(days=built, cases=len(days), as_of=started)


def rebuild(first: dt.date | None = None, last: dt.date | None = None, *,
            families: Iterable[str] | None = None) -> Result:
    """Recompute every day from `first` (the earliest source row) to `last` (today): the repair."""
    results = []
    for name in families or FAMILIES:
        family = FAMILIES[name]
        state(name)
        with transaction.atomic():
            upkeep = Upkeep.objects.select_for_update().get(family=name)
            results.append(_rebuild_all(family, upkeep, clock.now(), first, last))
    return Result(days=sum(r.days for r in results), cases=0, as_of=min(r.as_of for r in results), rebuilt=True)


def _rebuild_all(family: Family, upkeep: Upkeep, started: dt.datetime, first=None, last=None) -> Result:
    last_event = family.watermark()
    first = first or family.first_day() or clock.today()
    last = last or clock.today()
    built = 0
    month = month_of(first)
    while month <= last:  # a month at a time: each query reads one month of source rows
        built += family.rebuild_days(_days_between(max(first, month), min(last, month_end(month))))
        month = next_month(month)
    if family.settle:
        family.settle(upkeep, started)
    upkeep.last_event, upkeep.as_of, upkeep.rebuilt_at = last_event, started, clock.now()
    upkeep.days_built += built
    upkeep.save(update_fields=["last_event", "as_of", "rebuilt_at", "days_built", "window_start", "provisional"])
    return Result(days=built, cases=0, as_of=started, rebuilt=True)


def _days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _changed_cases(after_event: int, up_to_event: int, since: dt.datetime) -> tuple[set[int], set[int]]:
    """Cases with trail entries since the previous run, and cases with alerts raised since then."""
    events = (CaseEvent.objects.filter(Q(pk__gt=after_event, pk__lte=up_to_event) | Q(at__gte=since))
              .order_by().values_list("case_id", flat=True).distinct())
    alerted = (Alert.objects.filter(detected_at__gte=since, case_id__isnull=False)
               .order_by().values_list("case_id", flat=True).distinct())
    return set(events), set(alerted)


def _case_watermark() -> int:
    return CaseEvent.objects.aggregate(last=Max("pk"))["last"] or 0


def _days_of(acted: set[int], alerted: set[int], since: dt.datetime) -> set[dt.date]:
    """The local days to recount whole, beyond what the window of recent moments brings.

    An action counts on the day of the moment it sets (received_at, accepted_at …: now), and leaves the
    days of the case's earlier moments as they were: a case's department, item, channel, limits and
    version never change once received. Those recent moments are the window's (`_advance_cases`). What
    the window cannot see: a voided case leaves every day it was counted on; a case of a department's
    own system (一厅双网) has the moments of that system, recorded late; a new procedure or fee alert
    changes the flags of a completed case on its completion day.
    """
    days: set[dt.date] = set()
    ids = sorted(acted | alerted)
    for start in range(0, len(ids), 5000):
        rows = (Case.objects.filter(pk__in=ids[start:start + 5000]).order_by()
                .values_list("pk", "state", "source_system", *_MOMENTS))
        for pk, state, source_system, *moments in rows:
            if state == State.VOIDED or source_system:
                days.update(clock.local_date(m) for m in moments if m is not None and m < since)
            completed_at = moments[_MOMENTS.index("completed_at")]
            if pk in alerted and completed_at is not None:
                days.add(clock.local_date(completed_at))
    return days


def _advance_cases(upkeep: Upkeep, started: dt.datetime) -> Result:
    """Bring the case rows up to date by differences, at a cost that follows what changed.

    The rows hold every moment before `window_start` for good, and the moments since as counted by the
    previous run (`provisional`). A run counts the moments since `window_start` again — a few minutes
    of actions — adds the difference to the rows, and moves the window to MARGIN before now: an action
    whose transaction commits late (within MARGIN) is still in the next run's window. Days the window
    cannot see (voids, outside systems, alerts: `_days_of`) are recounted whole.
    """
    last_event = _case_watermark()
    acted, alerted = _changed_cases(upkeep.last_event, last_event, upkeep.as_of - MARGIN)
    window = started - MARGIN
    fresh: Rows = {}
    counted = build.count_moments(upkeep.window_start, fresh_from=window, fresh=fresh)
    for key, values in _decode(upkeep.provisional).items():
        add(counted, key, **{name: -value for name, value in values.items()})
    build.CASES.add_rows(counted)
    whole = _days_of(acted, alerted, upkeep.window_start)
    if whole:
        recounted: Rows = {}
        build.CASES.rebuild_days(whole, lambda first, last: build.count_days(first, last, fresh_from=window,
                                                                            fresh=recounted))
        fresh = {key: values for key, values in fresh.items() if key[0] not in whole} | recounted
    upkeep.last_event, upkeep.as_of, upkeep.window_start = last_event, started, window
    upkeep.provisional = _encode(fresh)
    upkeep.days_built += len(whole)
    upkeep.save(update_fields=["last_event", "as_of", "window_start", "provisional", "days_built"])
    return Result(days=len(whole), cases=len(acted | alerted), as_of=started)


def _settle_cases(upkeep: Upkeep, started: dt.datetime) -> None:
    """After a rebuild: the window starts MARGIN before it, and what the rows hold of it is counted by the
    same statements that write the window's days (so nothing committed meanwhile is lost or doubled)."""
    window = started - MARGIN
    fresh: Rows = {}
    days = _days_between(clock.local_date(window), max(clock.today(), clock.local_date(started)))
    build.CASES.rebuild_days(days, lambda first, last: build.count_days(first, last, fresh_from=window, fresh=fresh))
    upkeep.window_start, upkeep.provisional = window, _encode(fresh)


def live_day(day: dt.date, names: list[str]) -> dict[str, int]:
    """The case counters of one local day, all departments, up to this moment, without waiting for a run.

    The rows hold the moments before the window for good; the window's moments are counted now (a few
    minutes of actions, by index ranges) in place of what the rows hold of them (`provisional`).
    """
    row = Upkeep.objects.filter(family=CASES).values("window_start", "provisional").first()
    if not row or row["window_start"] is None:  # never kept by differences: count the day itself
        counted = build.count_days(day, day)
        return {name: sum(values.get(name, 0) for values in counted.values()) for name in names}
    from .query import total

    figures = total(day, day, names=names)
    for key, values in _decode(row["provisional"]).items():
        if key[0] == day:
            for name in names:
                figures[name] -= values.get(name, 0)
    for key, values in build.count_moments(row["window_start"]).items():
        if key[0] == day:
            for name in names:
                figures[name] += values.get(name, 0)
    return figures


def _encode(rows: Rows) -> dict:
    return {"|".join("" if part is None else str(part) for part in key): values
            for key, values in rows.items() if any(values.values())}


def _decode(stored: dict) -> Rows:
    rows: Rows = {}
    for text, values in stored.items():
        day, department, item, channel, window = text.split("|")
        key = (dt.date.fromisoformat(day), int(department), int(item), channel, int(window) if window else None)
        rows[key] = values
    return rows


register(Family(CASES, _case_watermark, lambda *_: set(), build.rebuild_days, build.first_day,
                advance=_advance_cases, settle=_settle_cases))


def keep_up_and_log() -> None:
    result = keep_up()
    if result.days:
        logger.info("figures: %d day(s) rebuilt", result.days)


def cases_pending() -> bool | None:
    """Would a run of the case family find anything? None while it has never been built.

    For readers that want current figures without taking the upkeep's lock when nothing changed
    (the performance assessment): an event or an alert newer than the last run's watermark, or
    written in the margin before it (a late commit), is something to count. Two small queries: the
    upkeep row, then three EXISTS on its values as literals, each probing its own index (with the
    row's columns as correlated parameters PostgreSQL expected a third of the events to match and
    scanned them all: 0.5 s at 2.6 million events).
    """
    row = Upkeep.objects.filter(family=CASES).values("as_of", "last_event").first()
    if row is None or row["as_of"] is None:
        return None
    since = row["as_of"] - MARGIN
    found = Upkeep.objects.filter(family=CASES).values("pk").annotate(
        newer=Exists(CaseEvent.objects.filter(pk__gt=row["last_event"])),
        late=Exists(CaseEvent.objects.filter(at__gte=since)),
        alerts=Exists(Alert.objects.filter(detected_at__gte=since, case_id__isnull=False))).first()
    return bool(found and (found["newer"] or found["late"] or found["alerts"]))
