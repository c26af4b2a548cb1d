"""Reading a family's day rows: sums over a period of local days, grouped like the case aggregates.

The families of feedback and fees keep day rows only (ratings, complaints and charges are far fewer
than cases: a year over every department sums some ten thousand rows), read with one GROUP BY.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import F, Model, Q, Sum
from django.db.models.functions import ExtractYear, TruncMonth

GROUPS = {
    "department": "department_id",
    "item": "item_id",
    "window": "window_id",
    "day": "day",
    "month": TruncMonth("day"),
    "year": ExtractYear("day"),
    "level": "level",
    "subject": "subject",
}


def grouped(model: type[Model], first: dt.date, last: dt.date, *, by: Sequence[str], names: Sequence[str],
            where: Q | None = None) -> list[dict]:
    """Sums of `names` over the days first..last per group of `by` (keys named as in `by`), in key order."""
    unknown = [g for g in by if g not in GROUPS or (isinstance(GROUPS[g], str) and not _has(model, GROUPS[g]))]
    if unknown:
        raise ValueError(f"cannot group by {', '.join(unknown)}")
    columns = {f"g_{g}": F(GROUPS[g]) if isinstance(GROUPS[g], str) else GROUPS[g] for g in by}
    rows = (model.objects.filter(where or Q(), day__gte=first, day__lte=last).order_by()
            .values(**columns).annotate(**{n: Sum(n) for n in names}))
    out = []
    for row in rows:
        entry = {g: _plain(row[f"g_{g}"]) for g in by}
        entry.update({n: row[n] for n in names})
        out.append(entry)
    return sorted(out, key=lambda e: tuple((e[g] is None, e[g] if e[g] is not None else 0) for g in by))


def _has(model: type[Model], name: str) -> bool:
    return any(name in (f.name, getattr(f, "attname", None)) for f in model._meta.get_fields())


def _plain(value):
    return value.date() if isinstance(value, dt.datetime) else value
