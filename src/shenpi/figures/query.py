"""Reading the case aggregates: sums of the counters over a period, grouped and filtered.

A period of local days is read from the month rows for the whole months inside it and from the
day rows for the days at either end, so a year over every department sums a few thousand rows.
Rows come back as dicts of the grouping keys and every counter (plain ints).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import F, Q, Sum
from django.db.models.functions import ExtractYear, TruncMonth

from . import build, counters
from .models import CaseDay, CaseMonth

# What rows can be grouped by: the name in a row -> the column of a day row, of a month row.
GROUPS = {
    "department": ("department_id", "department_id"),
    "item": ("item_id", "item_id"),
    "channel": ("channel", "channel"),
    "window": ("window_id", "window_id"),
    "day": ("day", None),
    "month": (TruncMonth("day"), "month"),
    "year": (ExtractYear("day"), ExtractYear("month")),
}


@dataclass(frozen=True)
class Scope:
    """Which cases: empty means all. Departments already expanded (a district: its departments)."""

    departments: tuple[int, ...] = ()
    items: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    windows: tuple[int, ...] = ()

    def q(self, prefix: str = "") -> Q:
        q = Q()
        for name, values in (("department_id", self.departments), ("item_id", self.items),
                             ("channel", self.channels), ("window_id", self.windows)):
            if values:
                q &= Q(**{f"{prefix}{name}__in": values})
        return q


@dataclass(frozen=True)
class Span:
    """Local days first..last, split into the whole months inside and the days left at either end."""

    first: dt.date
    last: dt.date
    months: list[dt.date] = field(default_factory=list)
    days: list[tuple[dt.date, dt.date]] = field(default_factory=list)

    @classmethod
    def of(cls, first: dt.date, last: dt.date, *, by_day: bool = False) -> Span:
        if by_day:
            return cls(first, last, [], [(first, last)])
        month = first if first.day == 1 else build.next_month(first)  # the first whole month, if any
        if month > last:
            return cls(first, last, [], [(first, last)])
        days = [(first, month - dt.timedelta(days=1))] if first < month else []
        months = []
        while build.next_month(month) - dt.timedelta(days=1) <= last:
            months.append(month)
            month = build.next_month(month)
        if month <= last:
            days.append((month, last))
        return cls(first, last, months, days)


def totals(first: dt.date, last: dt.date, *, by: Sequence[str] = (), scope: Scope = Scope(),
           names: Sequence[str] | None = None) -> list[dict]:
    """Every counter (or `names`) summed over the local days first..last, per group of `by`."""
    unknown = set(by) - set(GROUPS)
    if unknown:
        raise ValueError(f"cannot group by {', '.join(sorted(unknown))}")
    names = list(names or counters.COUNTERS)
    span = Span.of(first, last, by_day="day" in by)
    merged: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(names, 0))
    parts = [(CaseDay.objects.filter(day__gte=a, day__lte=b), 0) for a, b in span.days]
    if span.months:
        parts.append((CaseMonth.objects.filter(month__in=span.months), 1))
    for rows, which in parts:
        columns = {f"g_{g}": GROUPS[g][which] for g in by}
        grouped = (rows.filter(scope.q()).order_by()
                   .values(**{k: F(c) if isinstance(c, str) else c for k, c in columns.items()})
                   .annotate(**{n: Sum(n) for n in names}))
        for row in grouped:
            key = tuple(_plain(row[f"g_{g}"]) for g in by)
            target = merged[key]
            for n in names:
                target[n] += row[n] or 0
    return [{**dict(zip(by, key, strict=True)), **values} for key, values in sorted(merged.items(), key=_order)]


def total(first: dt.date, last: dt.date, *, scope: Scope = Scope(), names: Sequence[str] | None = None) -> dict:
    rows = totals(first, last, scope=scope, names=names)
    return rows[0] if rows else dict.fromkeys(names or counters.COUNTERS, 0)


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _order(entry):
    return tuple((v is None, v if v is not None else 0) for v in entry[0])
