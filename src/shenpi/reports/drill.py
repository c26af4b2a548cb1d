"""From a figure to the cases behind it: the drill-down of the reports built on the case counters.

A cell is one counter (shenpi.figures.counters) over the asked period and scope, narrowed by the
row's grouping values: a department, item, channel or window is a condition on the case; a day,
month or year narrows the period (within the asked one); an hour of the day is the local hour of
the counter's moment. The cases are exactly those the aggregates counted for that cell.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from shenpi import clock
from shenpi.figures import counters
from shenpi.figures.build import next_month

from .registry import Ask, AskError

_CONDITIONS = {"department": "department_id", "item": "item_id", "channel": "channel", "window": "window_id"}


def counted_cases(counter: str, ask: Ask, key: dict) -> QuerySet:
    first, last = narrowed(ask, key)
    if first > last:
        return counters.moment_cases(counters.COUNTERS[counter].moment, clock.now(), clock.now()).none()
    start, end = clock.days_range(first, last)
    cases = counters.cases_behind(counter, start, end).filter(ask.scope.q())
    for grouping, value in key.items():
        if grouping in _CONDITIONS:
            column = _CONDITIONS[grouping]
            cases = cases.filter(**({f"{column}__isnull": True} if value is None else {column: value}))
        elif grouping == "hour":
            cases = cases.filter(hour=value)
        elif grouping not in ("day", "month", "year"):
            raise AskError(f"不能按“{grouping}”查看办件明细。")
    return cases


def narrowed(ask: Ask, key: dict) -> tuple[dt.date, dt.date]:
    """The asked period, narrowed to the row's day, month or year."""
    first, last = ask.first, ask.last
    if key.get("day") is not None:
        first, last = max(first, key["day"]), min(last, key["day"])
    if key.get("month") is not None:
        month = key["month"]
        first, last = max(first, month), min(last, next_month(month) - dt.timedelta(days=1))
    if key.get("year") is not None:
        year = int(key["year"])
        first, last = max(first, dt.date(year, 1, 1)), min(last, dt.date(year, 12, 31))
    return first, last
