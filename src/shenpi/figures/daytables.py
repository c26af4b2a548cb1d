"""Day and month tables, the one way every family of aggregates is written and read.

A family's figures live in a day table and a month table with the same keys (e.g. department, item,
channel, kind) and the same counter columns. A day's rows are only ever deleted and inserted again
from a GROUP BY over the source rows (in one transaction, so a reader sees the day before or after,
never half of it), and a month's rows are the sums of its days' rows (one INSERT … SELECT): upkeep
cannot drift, and a rebuild over every day repairs anything (`shenpi figures rebuild`).

Readers sum the month rows of the whole months of a period and the day rows of the days at either
end (`Span`), so a year over every department sums a few thousand rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import ExtractYear, TruncMonth

BATCH = 2000
Rows = dict[tuple, dict]  # (day, *keys) -> counter values


# -- days and months ------------------------------------------------------------------------------
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


def month_end(month: dt.date) -> dt.date:
    """The last day of the month that holds `month`."""
    return next_month(month) - dt.timedelta(days=1)


def months_of(spans: Iterable[tuple[dt.date, dt.date]]) -> list[dt.date]:
    """Every month touched by the runs of days (the months to roll up again)."""
    return sorted({month_of(first + dt.timedelta(days=n)) for first, last in spans
                   for n in [*range(0, (last - first).days + 1, 28), (last - first).days]})


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
        month = first if first.day == 1 else next_month(first)  # the first whole month, if any
        if month > last:
            return cls(first, last, [], [(first, last)])
        days = [(first, month - dt.timedelta(days=1))] if first < month else []
        months = []
        while month_end(month) <= last:
            months.append(month)
            month = next_month(month)
        if month <= last:
            days.append((month, last))
        return cls(first, last, months, days)


# What every table can be grouped by besides its keys: name -> (expression on a day row, on a month row).
PERIODS = {"day": ("day", None), "month": (TruncMonth("day"), "month"),
           "year": (ExtractYear("day"), ExtractYear("month"))}


@dataclass(frozen=True)
class Table:
    """A family's day and month tables: `keys` are field names (ForeignKeys by name), `values` the counters
    (their column names). The day table has a `day` field, the month table a `month` (its first day)."""

    day_model: type[models.Model]
    month_model: type[models.Model]
    keys: tuple[str, ...]
    values: tuple[str, ...]

    # -- writing --------------------------------------------------------------------------------
    def _attnames(self) -> list[str]:
        return [self.day_model._meta.get_field(k).attname for k in self.keys]

    @transaction.atomic
    def rebuild_days(self, days: Iterable[dt.date], count: Callable[[dt.date, dt.date], Rows]) -> int:
        """Replace the rows of these days (counted by `count(first, last)`) and of their months; the number
        of days rebuilt. A row whose counters are all zero is not kept (it adds nothing to any sum)."""
        spans = runs(days)
        attnames = self._attnames()
        for first, last in spans:
            rows = count(first, last)
            self.day_model.objects.filter(day__gte=first, day__lte=last).delete()
            self.day_model.objects.bulk_create(
                (self.day_model(day=key[0], **dict(zip(attnames, key[1:], strict=True)),
                                **{v: values.get(v, 0) for v in self.values})
                 for key, values in rows.items() if any(values.values())), batch_size=BATCH)
        for month in months_of(spans):
            self.roll_up(month)
        return sum((last - first).days + 1 for first, last in spans)

    @transaction.atomic
    def add_rows(self, delta: Rows) -> None:
        """Add counter values (negative ones too) to day rows and to their months' rows: the rows of a
        family kept by differences. Missing rows are created, rows left at zero deleted."""
        delta = {key: values for key, values in delta.items() if any(values.values())}
        if not delta:
            return
        by_month: Rows = {}
        for key, values in delta.items():
            add(by_month, (month_of(key[0]), *key[1:]), **values)
        self._add_to(self.day_model, "day", delta)
        self._add_to(self.month_model, "month", by_month)

    def _add_to(self, model: type[models.Model], period: str, delta: Rows) -> None:
        attnames = self._attnames()
        fields = [period, *attnames]
        # The rows of the keys concerned: those matching every key's values (a superset, matched exactly below).
        where = Q()
        for position, name in enumerate(fields):
            values = {key[position] for key in delta}
            known = Q(**{f"{name}__in": [v for v in values if v is not None]})
            where &= known | Q(**{f"{name}__isnull": True}) if None in values else known
        existing = {tuple(getattr(row, f) for f in fields): row for row in model.objects.filter(where)}
        new, emptied, moves = [], [], {}
        for key, values in delta.items():
            row = existing.get(key)
            if row is None:
                new.append(model(**dict(zip(fields, key, strict=True)),
                                 **{v: values.get(v, 0) for v in self.values}))
                continue
            moved = {name: value for name, value in values.items() if value}
            for name, value in moved.items():
                setattr(row, name, getattr(row, name) + value)
            if not any(getattr(row, v) for v in self.values):
                emptied.append(row.pk)
            elif moved:
                moves[row.pk] = moved
        _add_in_place(model, moves)
        model.objects.bulk_create(new, batch_size=BATCH)
        model.objects.filter(pk__in=emptied).delete()

    def roll_up(self, month: dt.date) -> None:
        """The month's rows as the sums of its days' rows."""
        self.month_model.objects.filter(month=month).delete()
        columns = ", ".join(self.day_model._meta.get_field(k).column for k in self.keys)
        sums = ", ".join(f"SUM({v})" for v in self.values)
        day_table, month_table = self.day_model._meta.db_table, self.month_model._meta.db_table
        sql = (f"INSERT INTO {month_table} (month, {columns}, {', '.join(self.values)}) "  # noqa: S608 - model names
               f"SELECT %s, {columns}, {sums} FROM {day_table} WHERE day >= %s AND day < %s GROUP BY {columns}")
        with connection.cursor() as cursor:
            cursor.execute(sql, [month, month, next_month(month)])

    # -- reading --------------------------------------------------------------------------------
    def groups(self) -> dict[str, tuple]:
        """What rows can be grouped by: name -> (column of a day row, column of a month row)."""
        return {**{k: (a, a) for k, a in zip(self.keys, self._attnames(), strict=True)}, **PERIODS}

    def among(self, **chosen: Sequence) -> Q:
        """Rows whose key is one of the chosen values, per key (`department=(1, 2)`); none chosen: all."""
        q = Q()
        for key, values in chosen.items():
            if values:
                q &= Q(**{f"{self.day_model._meta.get_field(key).attname}__in": values})
        return q

    def sums(self, first: dt.date, last: dt.date, *, by: Sequence[str] = (), where: Q | None = None,
             names: Sequence[str] | None = None) -> list[dict]:
        """The counters (or `names`) summed over the local days first..last per group of `by` (rows of the
        grouping keys, named as in `by`, and the sums, in key order), filtered by `where` (on the key
        fields' attnames, e.g. `among(department=…)`)."""
        groups = self.groups()
        unknown = set(by) - set(groups)
        if unknown:
            raise ValueError(f"cannot group by {', '.join(sorted(unknown))}")
        names = list(names or self.values)
        span = Span.of(first, last, by_day="day" in by)
        merged: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(names, 0))
        parts = [(self.day_model.objects.filter(day__gte=a, day__lte=b), 0) for a, b in span.days]
        if span.months:
            parts.append((self.month_model.objects.filter(month__in=span.months), 1))
        for rows, which in parts:
            columns = {f"g_{g}": groups[g][which] for g in by}
            grouped = (rows.filter(where or Q()).order_by()
                       .values(**{k: F(c) if isinstance(c, str) else c for k, c in columns.items()})
                       .annotate(**{n: Sum(n) for n in names}))
            for row in grouped:
                target = merged[tuple(plain(row[f"g_{g}"]) for g in by)]
                for n in names:
                    # Keep the sums' own type (money stays Decimal, 0.00 included).
                    target[n] += row[n] if row[n] is not None else 0
        return [{**dict(zip(by, key, strict=True)), **values}
                for key, values in sorted(merged.items(), key=lambda entry: key_order(entry[0]))]


def _add_in_place(model: type[models.Model], moves: dict[int, dict]) -> None:
    """Add each row's moved counters to it where it is, a few hundred rows per statement.

    Only the counters that moved (the others get 0): a run after a few actions touches a few columns
    of a few rows. One UPDATE … FROM a list of values per batch (PostgreSQL, SQLite ≥ 3.33), where
    bulk_update would rewrite every column through a CASE per row.
    """
    if not moves:
        return
    names = sorted({name for moved in moves.values() for name in moved})
    table, quote = model._meta.db_table, connection.ops.quote_name
    columns = ", ".join(quote(name) for name in names)
    sets = ", ".join(f"{quote(name)} = {table}.{quote(name)} + moved.{quote(name)}" for name in names)
    entries = list(moves.items())
    for start in range(0, len(entries), 500):
        batch = entries[start:start + 500]
        values = ", ".join(["(" + ", ".join(["%s"] * (len(names) + 1)) + ")"] * len(batch))
        params = [value for pk, moved in batch for value in (pk, *(moved.get(name, 0) for name in names))]
        sql = (f"WITH moved (row_id, {columns}) AS (VALUES {values}) "  # noqa: S608 - names from the model
               f"UPDATE {table} SET {sets} FROM moved WHERE {table}.id = moved.row_id")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def add(rows: Rows, key: tuple, **values: int) -> None:
    """Add counter values to a row of a day's figures."""
    target = rows.setdefault(key, {})
    for name, value in values.items():
        target[name] = target.get(name, 0) + (value or 0)


def key_order(key: tuple) -> tuple:
    """Rows in the order of their keys, a missing key (None) last."""
    return tuple((v is None, v if v is not None else 0) for v in key)


def plain(value):
    """A grouping key as stored: a truncated month read back as a datetime is its date."""
    return value.date() if isinstance(value, dt.datetime) else value
