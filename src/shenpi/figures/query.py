"""Reading the case aggregates: sums of the counters over a period, grouped and filtered.

The case family's table (shenpi.figures.build.CASES) is read like every family's: the month rows for
the whole months of a period and the day rows for the days at either end (shenpi.figures.daytables),
so a year over every department sums a few thousand rows. Rows come back as dicts of the grouping
keys and every counter (plain ints).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q

from . import counters
from .build import CASES
from .daytables import Span

__all__ = ["Scope", "Span", "total", "totals"]


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


def totals(first: dt.date, last: dt.date, *, by: Sequence[str] = (), scope: Scope = Scope(),
           names: Sequence[str] | None = None) -> list[dict]:
    """Every counter (or `names`) summed over the local days first..last, per group of `by`
    (department, item, channel, window, day, month, year)."""
    return CASES.sums(first, last, by=by, where=scope.q(), names=list(names or counters.COUNTERS))


def total(first: dt.date, last: dt.date, *, scope: Scope = Scope(), names: Sequence[str] | None = None) -> dict:
    rows = totals(first, last, scope=scope, names=names)
    return rows[0] if rows else dict.fromkeys(names or counters.COUNTERS, 0)
