"""The case family of aggregates: whole days of CaseDay recomputed from the cases, and their months.

The rows are written like every family's (shenpi.figures.daytables): a day's rows are replaced from a
GROUP BY over the cases, so a row is always exactly what that GROUP BY gives, and a month's rows are
the sums of its days'. Which counters there are, and which cases each counts, is shenpi.figures.counters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import BooleanField, Case, Count, Sum, Value, When

from shenpi.clock import day_start

from . import counters
from .daytables import Rows, Table, add, month_of, next_month, runs
from .models import CaseDay, CaseMonth

_COLUMNS = [c.name for c in counters.CASE_COUNTERS]
CASES = Table(CaseDay, CaseMonth, tuple(k.removesuffix("_id") for k in counters.KEYS), tuple(_COLUMNS))


def count_days(first: dt.date, last: dt.date, *, fresh_from: dt.datetime | None = None,
               fresh: Rows | None = None) -> Rows:
    """Counters per (day, department, item, channel, window) over the local days first..last.

    With `fresh_from`, what the moments since then add is also put in `fresh`, by the same statements
    (so the two agree whatever commits meanwhile)."""
    return count_moments(day_start(first), day_start(last + dt.timedelta(days=1)), fresh_from=fresh_from,
                         fresh=fresh)


def count_moments(start: dt.datetime, end: dt.datetime | None = None, *, fresh_from: dt.datetime | None = None,
                  fresh: Rows | None = None) -> Rows:
    """Counters per (day, keys) of the moments in [start, end) (end None: from start on), each on its
    local day; with `fresh_from`, the part of them since that moment is added to `fresh` too."""
    rows: Rows = {}
    for moment in counters.MOMENTS:
        field = counters.MOMENTS[moment].field
        aggregates = {c.name: Sum(c.total) if c.total else Count("pk", filter=c.condition())
                      for c in counters.of_moment(moment)}
        cases = counters.moment_cases(moment, start, end).order_by()
        if fresh_from is not None:
            cases = cases.annotate(fresh=Case(When(**{f"{field}__gte": fresh_from}, then=Value(True)),
                                              default=Value(False), output_field=BooleanField()))
        grouped = cases.values("on", *counters.KEYS, *(["fresh"] if fresh_from is not None else [])
                               ).annotate(**aggregates)
        for row in grouped:
            is_fresh = row.pop("fresh", False)
            key = (row.pop("on"), *(row.pop(k) for k in counters.KEYS))
            add(rows, key, **row)
            if is_fresh and fresh is not None:
                add(fresh, key, **row)
    return rows


def rebuild_days(days: Iterable[dt.date]) -> int:
    """Replace the rows of these days and of their months; the number of days rebuilt."""
    return CASES.rebuild_days(days, count_days)


def roll_up(month: dt.date) -> None:
    """The month's rows as the sums of its days' rows (one INSERT … SELECT)."""
    CASES.roll_up(month)


def first_day() -> dt.date | None:
    """The local day of the earliest case, where a full rebuild starts."""
    from shenpi.cases.models import Case
    from shenpi.clock import local_date

    first = Case.objects.order_by("received_at").values_list("received_at", flat=True).first()
    return local_date(first) if first else None


__all__ = ["CASES", "count_days", "count_moments", "first_day", "month_of", "next_month", "rebuild_days", "roll_up",
           "runs"]
