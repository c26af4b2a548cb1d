"""Recompute whole days of the case aggregates from the cases, and the months that hold them.

A day's rows are deleted and inserted again in one transaction, so a reader sees the day before or
after, never half of it, and a row is always what a GROUP BY over the cases gives: upkeep cannot
drift, and a rebuild over every day repairs anything (`shenpi figures rebuild`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F, Sum

from shenpi.clock import day_start

from . import counters
from .models import CaseDay, CaseMonth

BATCH = 2000


def runs(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Sorted days as (first, last) runs of consecutive days."""
    out: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if out and day == out[-1][1] + dt.timedelta(days=1):
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def count_days(first: dt.date, last: dt.date) -> dict[tuple, dict[str, int]]:
    """Counters per (day, department, item, channel, window) over the local days first..last."""
    start, end = day_start(first), day_start(last + dt.timedelta(days=1))
    rows: dict[tuple, dict[str, int]] = defaultdict(dict)
    for moment in counters.MOMENTS:
        aggregates = {c.name: Sum(c.total) if c.total else Count("pk", filter=c.condition())
                      for c in counters.of_moment(moment)}
        grouped = (counters.moment_cases(moment, start, end).order_by()
                   .values("on", *counters.KEYS).annotate(**aggregates))
        for row in grouped:
            key = (row.pop("on"), *(row.pop(k) for k in counters.KEYS))
            rows[key].update({name: value or 0 for name, value in row.items()})
    return rows


@transaction.atomic
def rebuild_days(days: Iterable[dt.date]) -> int:
    """Replace the rows of these days and of their months; the number of days rebuilt."""
    spans = runs(days)
    for first, last in spans:
        rows = count_days(first, last)
        CaseDay.objects.filter(day__gte=first, day__lte=last).delete()
        CaseDay.objects.bulk_create(
            (CaseDay(day=key[0], **dict(zip(counters.KEYS, key[1:], strict=True)), **values)
             for key, values in rows.items()), batch_size=BATCH)
    months = {month_of(d) for first, last in spans for d in (first, last)}
    months |= {month_of(first + dt.timedelta(days=n)) for first, last in spans
               for n in range(0, (last - first).days + 1, 28)}
    for month in sorted(months):
        roll_up(month)
    return sum((last - first).days + 1 for first, last in spans)


_COLUMNS = [c.name for c in counters.CASE_COUNTERS]


def roll_up(month: dt.date) -> None:
    """The month's rows as the sums of its days' rows (one INSERT … SELECT)."""
    CaseMonth.objects.filter(month=month).delete()
    day_table, month_table = CaseDay._meta.db_table, CaseMonth._meta.db_table
    keys = ", ".join(f.column for f in (CaseDay._meta.get_field(k.removesuffix("_id")) for k in counters.KEYS))
    sums = ", ".join(f"SUM({c})" for c in _COLUMNS)
    sql = (f"INSERT INTO {month_table} (month, {keys}, {', '.join(_COLUMNS)}) "  # noqa: S608 - names from the models
           f"SELECT %s, {keys}, {sums} FROM {day_table} WHERE day >= %s AND day < %s GROUP BY {keys}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [month, month, next_month(month)])


def first_day() -> dt.date | None:
    """The local day of the earliest case, where a full rebuild starts."""
    from shenpi.cases.models import Case
    from shenpi.clock import local_date

    first = Case.objects.order_by("received_at").values_list("received_at", flat=True).first()
    return local_date(first) if first else None


def as_values(row: CaseDay | CaseMonth) -> dict[str, int]:
    return {name: getattr(row, name) for name in _COLUMNS}


__all__ = ["F", "as_values", "count_days", "first_day", "rebuild_days", "roll_up", "runs"]
