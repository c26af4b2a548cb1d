"""What the case reports share: columns taken from the one home of each figure, rows read from the
case aggregates, and the drill-down from a cell to exactly the cases it counts.

A column is either a counter (shenpi.figures.counters) or a derived figure (shenpi.figures.definitions);
its label and definition come from there, so a report, its Excel export and the assessment cannot
disagree on what a figure counts. The drill-down of a rate goes to the cases of its numerator (for an
overdue rate: the completed cases that were not on time), of an average to the cases averaged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from shenpi.clock import days_range
from shenpi.figures import query
from shenpi.figures.counters import COUNTERS, cases_behind
from shenpi.figures.definitions import DERIVED

from .registry import Ask, Column
from .row_keys import keys_q, period_of

# Groupings the case aggregates offer, in the order a report lists them.
BY_ANY = ("department", "item", "channel", "window", "month")
# A grouping key of a row -> the case field it filters in a drill-down (the periods are handled apart).
_KEY_FIELDS = {"department": "department_id", "item": "item_id", "channel": "channel", "window": "window_id"}


@dataclass(frozen=True)
class Behind:
    """The cases behind a figure: those a counter counts, less those another counter counts."""

    counter: str
    less: str | None = None


# The cases behind each derived figure (a rate's numerator, an average's cases).
DERIVED_BEHIND: dict[str, Behind] = {
    "on_time_rate": Behind("on_time"),
    "early_rate": Behind("early"),
    "overdue_rate": Behind("completed", less="on_time"),
    "statutory_on_time_rate": Behind("statutory_on_time"),
    "statutory_overdue_rate": Behind("completed", less="statutory_on_time"),
    "on_the_spot_rate": Behind("on_the_spot"),
    "online_rate": Behind("online"),
    "full_online_rate": Behind("full_online"),
    "at_most_once_rate": Behind("at_most_once"),
    "avg_used_days": Behind("completed"),
    "avg_promised_days": Behind("completed"),
    "avg_statutory_days": Behind("completed"),
}


def counter_column(name: str, *, label: str | None = None) -> Column:
    c = COUNTERS[name]
    return Column(name, label or c.label, "days" if c.total else "count", c.definition)


def derived_column(code: str) -> Column:
    d = DERIVED[code]
    return Column(code, d.label, d.kind, d.definition)


def behind(code: str) -> Behind:
    """The cases behind a column that is a counter or a derived figure."""
    return Behind(code) if code in COUNTERS else DERIVED_BEHIND[code]


def reads_of(codes: Sequence[str]) -> tuple[str, ...]:
    """The counters a set of columns reads, in the counters' order."""
    wanted: set[str] = set()
    for code in codes:
        wanted |= {code} if code in COUNTERS else set(DERIVED[code].reads)
    return tuple(name for name in COUNTERS if name in wanted)


def value_of(code: str, counts: Mapping[str, int]):
    return counts[code] if code in COUNTERS else DERIVED[code].of(counts)


def figure_rows(ask: Ask, codes: Sequence[str], first: dt.date | None = None,
                last: dt.date | None = None) -> list[dict]:
    """One row per group of `ask.by`: the grouping keys and the value of every column code."""
    names = reads_of(codes)
    rows = query.totals(first or ask.first, last or ask.last, by=ask.by, scope=ask.scope, names=names)
    return [{**{g: row[g] for g in ask.by}, **{code: value_of(code, row) for code in codes}} for row in rows]


def drill(ask: Ask, key: Mapping, code: str, first: dt.date | None = None,
          last: dt.date | None = None) -> QuerySet:
    """The cases behind one cell: the column's cases over the row's part of the period, in scope."""
    start, end = days_range(*period_of(ask, key, first, last))
    target = behind(code)
    cases = cases_behind(target.counter, start, end).filter(ask.scope.q(), keys_q(key, _KEY_FIELDS))
    if target.less:
        cases = cases.exclude(COUNTERS[target.less].condition())
    return cases.order_by("pk")
