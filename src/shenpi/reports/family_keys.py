"""Narrowing a report's period and rows to one drilled cell: shared by the reports of the day families."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from shenpi.figures import build

from .registry import Ask


def period_of(ask: Ask, key: dict) -> tuple[dt.date, dt.date]:
    """The local days of one row: the asked period narrowed to the row's day, month or year."""
    first, last = ask.first, ask.last
    if key.get("day") is not None:
        first = last = _date(key["day"])
    elif key.get("month") is not None:
        month = _date(key["month"]).replace(day=1)
        first, last = max(first, month), min(last, build.next_month(month) - dt.timedelta(days=1))
    elif key.get("year") is not None:
        year = int(key["year"])
        first, last = max(first, dt.date(year, 1, 1)), min(last, dt.date(year, 12, 31))
    return first, last


def keys_q(key: dict, fields: dict[str, str]) -> Q:
    """The row's department / item / window as a filter on the source rows (`fields`: key -> lookup)."""
    q = Q()
    for name, lookup in fields.items():
        if name in key:
            q &= Q(**{lookup: key[name]}) if key[name] is not None else Q(**{f"{lookup}__isnull": True})
    return q


def scope_q(ask: Ask, fields: dict[str, str]) -> Q:
    q = Q()
    for name, values in (("department", ask.scope.departments), ("item", ask.scope.items),
                         ("window", ask.scope.windows)):
        if values and name in fields:
            q &= Q(**{f"{fields[name]}__in": values})
    return q


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
