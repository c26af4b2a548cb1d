"""The calendar as the rest of the platform sees it: loaded from the table, cached, editable."""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .calendar import WorkCalendar
from .models import CalendarDay, CalendarYear

# Several app servers share one table: a calendar older than this is reloaded.
_MAX_AGE_SECONDS = 300
_lock = threading.Lock()
_cached: tuple[float, WorkCalendar] | None = None


def get_calendar() -> WorkCalendar:
    global _cached
    cached = _cached
    if cached is not None and time.monotonic() - cached[0] < _MAX_AGE_SECONDS:
        return cached[1]
    with _lock:
        calendar = load_calendar()
        _cached = (time.monotonic(), calendar)
        return calendar


def load_calendar() -> WorkCalendar:
    exceptions = dict(CalendarDay.objects.values_list("date", "is_workday"))
    official = frozenset(CalendarYear.objects.filter(official=True).values_list("year", flat=True))
    return WorkCalendar(exceptions=exceptions, official_years=official)


def forget_calendar() -> None:
    global _cached
    _cached = None


@receiver([post_save, post_delete], sender=CalendarDay)
@receiver([post_save, post_delete], sender=CalendarYear)
def _calendar_changed(**kwargs) -> None:
    transaction.on_commit(forget_calendar)
    forget_calendar()


def missing_notice_years(around: dt.date, ahead: int = 1) -> list[int]:
    """Years from the current one to `ahead` years later that still lack an official notice."""
    official = set(CalendarYear.objects.filter(official=True).values_list("year", flat=True))
    return [y for y in range(around.year, around.year + ahead + 1) if y not in official]
