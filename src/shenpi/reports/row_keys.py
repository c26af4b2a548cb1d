"""What a report row's keys mean to its drill-down, for every report: the part of the period the row
stands for, and the row's (and the asked scope's) department / item / channel / window as a filter on
the source rows behind its figures (cases, stops, ratings, charges, alerts…)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db.models import Q

from shenpi.figures.daytables import key_order, month_end

from .registry import Ask

__all__ = ["key_order", "keys_q", "period_of", "scope_q"]

# The asked scope's filters, by the name a report's `fields` gives their lookup.
_SCOPE = (("department", "departments"), ("item", "items"), ("channel", "channels"), ("window", "windows"))


def period_of(ask: Ask, key: Mapping, first: dt.date | None = None,
              last: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The local days of one row: the asked period (or first..last) narrowed to the row's day, month or
    year. When they do not meet, first > last (a period without days)."""
    first, last = first or ask.first, last or ask.last
    if key.get("day") is not None:
        day = _date(key["day"])
        first, last = max(first, day), min(last, day)
    if key.get("month") is not None:
        month = _date(key["month"]).replace(day=1)
        first, last = max(first, month), min(last, month_end(month))
    if key.get("year") is not None:
        year = int(key["year"])
        first, last = max(first, dt.date(year, 1, 1)), min(last, dt.date(year, 12, 31))
    return first, last


def keys_q(key: Mapping, fields: Mapping[str, str]) -> Q:
    """The row's keys named in `fields` (key -> lookup on the source rows) as a filter; a key without a
    value (None) stands for the rows without one."""
    q = Q()
    for name, lookup in fields.items():
        if name in key:
            q &= Q(**{lookup: key[name]}) if key[name] is not None else Q(**{f"{lookup}__isnull": True})
    return q


def scope_q(ask: Ask, fields: Mapping[str, str]) -> Q:
    """The asked scope's filters on the source rows, for the keys named in `fields`."""
    q = Q()
    for name, values in ((name, getattr(ask.scope, attr)) for name, attr in _SCOPE):
        if values and name in fields:
            q &= Q(**{f"{fields[name]}__in": values})
    return q


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
