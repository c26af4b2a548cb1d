"""The calendar as the rest of the platform sees it: loaded from the table, cached, editable."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver
from django.utils import timezone

from .calendar import WorkCalendar
from .models import CalendarDay, CalendarYear
from .notices import (
    CHINESECALENDAR_SOURCE,
    Notice,
    NoticeError,
    chinesecalendar_notices,
    decode,
    format_of,
    parse_notice,
    read_source,
    read_text_file,
)
from .statecouncil import parse_state_council_notice

__all__ = [
    "NoticeError", "ImportResult", "SeedResult", "get_calendar", "load_calendar", "forget_calendar",
    "missing_notice_years", "seed_from_chinesecalendar", "import_notice", "import_uploaded_notice",
    "import_notice_text", "preview_notice_text",
    "office_hours", "add_office_hours",
]

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


def _forget_now_and_after_commit() -> None:
    # Now, for this thread; after commit, in case another thread cached the old table meanwhile.
    transaction.on_commit(forget_calendar)
    forget_calendar()


@receiver([post_save, post_delete], sender=CalendarDay)
@receiver([post_save, post_delete], sender=CalendarYear)
def _calendar_changed(**kwargs) -> None:
    _forget_now_and_after_commit()


def missing_notice_years(around: dt.date, ahead: int = 1) -> list[int]:
    """Years from the current one to `ahead` years later that still lack an official notice."""
    official = set(CalendarYear.objects.filter(official=True).values_list("year", flat=True))
    return [y for y in range(around.year, around.year + ahead + 1) if y not in official]


# -- writing whole years -----------------------------------------------------------------------

def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _store(notice: Notice) -> None:
    """Replace one year's rows by the notice's days and mark the year official (caller's transaction)."""
    CalendarDay.objects.filter(date__range=_year_bounds(notice.year)).delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(date=day, is_workday=is_workday, name=name)
        for day, (is_workday, name) in sorted(notice.days.items())
    )
    CalendarYear.objects.update_or_create(
        year=notice.year, defaults={"official": True, "source": notice.source}
    )


@dataclass(frozen=True)
class SeedResult:
    seeded: list[int]
    kept: list[int]


def seed_from_chinesecalendar(*, refresh: bool = False) -> SeedResult:
    """Store every year the `chinesecalendar` package knows; safe to run again.

    Years already official are kept: an administrator's import or edits win over the package.
    With refresh, years that came from the package itself are stored again (a newer package may
    correct them); imported years are still kept.
    """
    prefix = CHINESECALENDAR_SOURCE.split("{", 1)[0]
    seeded, kept = [], []
    with transaction.atomic():
        official = dict(CalendarYear.objects.filter(official=True).values_list("year", "source"))
        for notice in chinesecalendar_notices():
            source = official.get(notice.year)
            if source is not None and not (refresh and source.startswith(prefix)):
                kept.append(notice.year)
                continue
            _store(notice)
            seeded.append(notice.year)
        if seeded:
            _forget_now_and_after_commit()
    return SeedResult(seeded=seeded, kept=kept)


@dataclass(frozen=True)
class ImportResult:
    year: int
    source: str
    holidays: int
    workdays: int
    replaced_official: bool


def import_notice(path_or_text: str | Path, fmt: str | None = None) -> ImportResult:
    """Import one year's notice from a YAML or CSV file (or its text) and mark the year official.

    The whole file is checked before anything is written, and the year is replaced in one
    transaction: a bad file raises NoticeError (a ValueError) and changes nothing.
    """
    text, fmt, origin = read_source(path_or_text, fmt)
    return _import(parse_notice(text, fmt, origin))


# The State Council's notice as published, saved as plain text (what the admin's paste form reads).
STATE_COUNCIL_SUFFIX = ".txt"


def is_state_council_text(path: str | Path) -> bool:
    return Path(path).suffix.lower() == STATE_COUNCIL_SUFFIX


def preview_notice_file(path: str | Path, year: int | None = None) -> Notice:
    """The year a text file of the State Council's notice would store, checked, nothing written."""
    return parse_state_council_notice(read_text_file(path), year)


def import_notice_file(path: str | Path, year: int | None = None) -> ImportResult:
    """Import the State Council's notice from a text file, as pasted in the admin."""
    return _import(preview_notice_file(path, year))


def import_uploaded_notice(filename: str, content: bytes) -> ImportResult:
    """The same import for a file uploaded through the admin; the format follows its extension."""
    return _import(parse_notice(decode(content, filename), format_of(filename), filename))


def preview_notice_text(text: str, year: int | None = None) -> Notice:
    """The year a pasted State Council notice would store, checked, nothing written."""
    return parse_state_council_notice(text, year)


def import_notice_text(text: str, year: int | None = None) -> ImportResult:
    """Import the State Council notice as pasted (its text, see shenpi.workdays.statecouncil)."""
    return _import(parse_state_council_notice(text, year))


# Sent with `year` once an imported notice is committed: estimated due dates can be derived again.
notice_imported = Signal()


def _import(notice: Notice) -> ImportResult:
    with transaction.atomic():
        replaced = CalendarYear.objects.filter(year=notice.year, official=True).exists()
        _store(notice)
        _forget_now_and_after_commit()
        transaction.on_commit(lambda: notice_imported.send(sender=CalendarYear, year=notice.year))
    return ImportResult(
        year=notice.year, source=notice.source, holidays=notice.holiday_count,
        workdays=notice.workday_count, replaced_official=replaced,
    )


# -- office hours ------------------------------------------------------------------------------

def _parse_hhmm(text: str, setting: str) -> dt.time:
    try:
        hours, minutes = str(text).strip().split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"设置 {setting} 应为 HH:MM 形式的时间，实际为“{text}”") from None


def office_hours() -> tuple[dt.time, dt.time]:
    opens = _parse_hhmm(settings.OFFICE_OPENS_AT, "OFFICE_OPENS_AT")
    closes = _parse_hhmm(settings.OFFICE_CLOSES_AT, "OFFICE_CLOSES_AT")
    if opens >= closes:
        raise ValueError(f"办公时间设置有误：上班 {opens:%H:%M} 不早于下班 {closes:%H:%M}")
    return opens, closes


def add_office_hours(start: dt.datetime, hours: float, calendar: WorkCalendar | None = None
                     ) -> tuple[dt.datetime, bool]:
    """The moment `hours` office hours after `start`, and whether it rests on an estimated year.

    Office hours are local: an aware moment is read in the local time zone (a UTC moment would
    otherwise be measured against the wrong clock face); a naive one is taken as local already.
    """
    calendar = calendar or get_calendar()
    opens, closes = office_hours()
    local = timezone.localtime(start) if timezone.is_aware(start) else start
    end = calendar.add_hours(local, hours, opens, closes)
    return end, calendar.is_provisional(local.date(), end.date())
