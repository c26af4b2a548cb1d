"""Day and month tables of the families other than the cases: replace whole days, roll months up, read sums.

A family's figures live in a day table and a month table with the same keys (e.g. department, item,
kind) and the same counter columns. Like the case aggregates (shenpi.figures.build), a day's rows are
only ever deleted and inserted again from a GROUP BY over the source rows, and a month's rows are the
sums of its days' rows (one INSERT … SELECT), so a rebuild repairs anything. Readers sum the month rows
of the whole months of a period and the day rows of the days at either end (shenpi.figures.query.Span).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import ExtractYear, TruncMonth

from . import build
from .query import Span

BATCH = 2000
Rows = dict[tuple, dict[str, int]]  # (day, *keys) -> counter values


@dataclass(frozen=True)
class Table:
    """A family's day and month tables: `keys` are field names (ForeignKeys by name), `values` the counters."""

    day_model: type[models.Model]
    month_model: type[models.Model]
    keys: tuple[str, ...]
    values: tuple[str, ...]

    # -- writing --------------------------------------------------------------------------------
    def _attnames(self) -> list[str]:
        return [self.day_model._meta.get_field(k).attname for k in self.keys]

    @transaction.atomic
    def rebuild_days(self, days: Iterable[dt.date], count: Callable[[dt.date, dt.date], Rows]) -> int:
        """Replace the rows of these days (counted by `count(first, last)`) and of their months."""
        spans = build.runs(days)
        attnames = self._attnames()
        for first, last in spans:
            rows = count(first, last)
            self.day_model.objects.filter(day__gte=first, day__lte=last).delete()
            self.day_model.objects.bulk_create(
                (self.day_model(day=key[0], **dict(zip(attnames, key[1:], strict=True)),
                                **{v: values.get(v, 0) for v in self.values})
                 for key, values in rows.items() if any(values.values())), batch_size=BATCH)
        months = {build.month_of(first + dt.timedelta(days=n)) for first, last in spans
                  for n in [*range(0, (last - first).days + 1, 28), (last - first).days]}
        for month in sorted(months):
            self.roll_up(month)
        return sum((last - first).days + 1 for first, last in spans)

    def roll_up(self, month: dt.date) -> None:
        """The month's rows as the sums of its days' rows."""
        self.month_model.objects.filter(month=month).delete()
        columns = ", ".join(self.day_model._meta.get_field(k).column for k in self.keys)
        sums = ", ".join(f"SUM({v})" for v in self.values)
        day_table, month_table = self.day_model._meta.db_table, self.month_model._meta.db_table
        sql = (f"INSERT INTO {month_table} (month, {columns}, {', '.join(self.values)}) "  # noqa: S608 - model names
               f"SELECT %s, {columns}, {sums} FROM {day_table} WHERE day >= %s AND day < %s GROUP BY {columns}")
        with connection.cursor() as cursor:
            cursor.execute(sql, [month, month, build.next_month(month)])

    # -- reading --------------------------------------------------------------------------------
    def groups(self) -> dict[str, tuple]:
        """What rows can be grouped by: name -> (column of a day row, column of a month row)."""
        out: dict[str, tuple] = {k: (a, a) for k, a in zip(self.keys, self._attnames(), strict=True)}
        out.update(day=("day", None), month=(TruncMonth("day"), "month"),
                   year=(ExtractYear("day"), ExtractYear("month")))
        return out

    def sums(self, first: dt.date, last: dt.date, *, by: Sequence[str] = (), where: Q | None = None,
             names: Sequence[str] | None = None) -> list[dict]:
        """The counters (or `names`) summed over the local days first..last per group of `by`, filtered by
        `where` (on the key fields' attnames, e.g. Q(department_id__in=…))."""
        groups = self.groups()
        unknown = set(by) - set(groups)
        if unknown:
            raise ValueError(f"cannot group by {', '.join(sorted(unknown))}")
        names = list(names or self.values)
        span = Span.of(first, last, by_day="day" in by)
        merged: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(names, 0))
        parts = [(self.day_model.objects.filter(day__gte=a, day__lte=b), 0) for a, b in span.days]
        if span.months:
            parts.append((self.month_model.objects.filter(month__in=span.months), 1))
        for rows, which in parts:
            columns = {f"g_{g}": groups[g][which] for g in by}
            grouped = (rows.filter(where or Q()).order_by()
                       .values(**{k: F(c) if isinstance(c, str) else c for k, c in columns.items()})
                       .annotate(**{n: Sum(n) for n in names}))
            for row in grouped:
                key = tuple(_plain(row[f"g_{g}"]) for g in by)
                for n in names:
                    merged[key][n] += row[n] or 0
        return [{**dict(zip(by, key, strict=True)), **values}
                for key, values in sorted(merged.items(), key=_order)]


def add(rows: Rows, key: tuple, **values: int) -> None:
    """Add counter values to a row of a day's figures."""
    target = rows.setdefault(key, {})
    for name, value in values.items():
        target[name] = target.get(name, 0) + (value or 0)


def _plain(value):
    return value.date() if isinstance(value, dt.datetime) else value


def _order(entry):
    return tuple((v is None, v if v is not None else 0) for v in entry[0])
