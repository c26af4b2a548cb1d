"""A window's hours on a day (窗口办公时间): its week, the centre's default, dated exceptions, the calendar.

The order, most specific first:

1. a dated exception of the window (延时服务, 加班/预约服务, 暂停服务), else one of the whole centre;
2. a statutory holiday (节假日) is closed;
3. the window's weekly rows, or the centre's default rows when the window has none, or (until the
   centre's rows are entered) Monday to Friday from the settings `OFFICE_OPENS_AT`,
   `OFFICE_NOON_BREAK` and `OFFICE_CLOSES_AT`:
   - a working day from Monday to Friday takes its weekday's row;
   - a make-up working day (调休上班, a Saturday or Sunday the calendar makes a working day) takes the
     hours of the first weekday row, as an ordinary working day;
   - an ordinary weekend day takes its Saturday or Sunday row: the window's weekend service (周末服务).

Working days themselves stay the calendar's business: a window serving on Saturdays does not make
Saturday a working day, so no time limit counts it.

The calendar comes from the caller (`shenpi.workdays` is a sibling layer): anything with
`is_workday(day)` and `is_holiday(day)`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import HoursException, Sessions, WeeklyHours


class DayFacts(Protocol):
    def is_workday(self, day: dt.date) -> bool: ...
    def is_holiday(self, day: dt.date) -> bool: ...


class Kind:
    REGULAR = "regular"      # 工作日
    WEEKEND = "weekend"      # 周末服务 from the weekly rows
    EXTENDED = HoursException.Kind.EXTENDED.value
    SERVICE = HoursException.Kind.SERVICE.value
    CLOSED = "closed"        # no hours: a rest day, a holiday, or 暂停服务


@dataclass(frozen=True)
class DayHours:
    """Sessions (opens, closes) of one day in order; empty when the window does not serve that day."""

    sessions: tuple[tuple[dt.time, dt.time], ...] = ()
    kind: str = Kind.CLOSED
    note: str = ""

    @property
    def open(self) -> bool:
        return bool(self.sessions)

    @property
    def closes(self) -> dt.time | None:
        return self.sessions[-1][1] if self.sessions else None

    def text(self) -> str:
        return "，".join(f"{_hm(o)}–{_hm(c)}" for o, c in self.sessions) or "不办公"


def _hm(moment: dt.time) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def _parse(text: str, name: str) -> dt.time:
    try:
        hours, minutes = str(text).strip().split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"设置 {name} 应为 HH:MM 形式的时间，实际为“{text}”") from None


def settings_sessions() -> tuple[tuple[dt.time, dt.time], ...]:
    """The default day from the settings: opening to closing, less the noon break."""
    opens = _parse(settings.OFFICE_OPENS_AT, "OFFICE_OPENS_AT")
    closes = _parse(settings.OFFICE_CLOSES_AT, "OFFICE_CLOSES_AT")
    if opens >= closes:
        raise ValueError(f"办公时间设置有误：上班 {_hm(opens)} 不早于下班 {_hm(closes)}")
    noon = str(getattr(settings, "OFFICE_NOON_BREAK", "") or "").strip()
    if not noon:
        return ((opens, closes),)
    begin, _, end = noon.partition("-")
    rest, back = _parse(begin, "OFFICE_NOON_BREAK"), _parse(end, "OFFICE_NOON_BREAK")
    if not opens < rest < back < closes:
        raise ValueError(f"设置 OFFICE_NOON_BREAK 应在上班与下班之间，实际为“{noon}”")
    return ((opens, rest), (back, closes))


def _sessions(row: Sessions) -> tuple[tuple[dt.time, dt.time], ...]:
    return tuple(row.session_pairs())


def _usual(row: Sessions) -> tuple[tuple[dt.time, dt.time], ...]:
    return tuple((o, c) for o, c in ((row.morning_opens, row.morning_closes),
                                     (row.afternoon_opens, row.afternoon_closes)) if o and c)


def _extension(row: Sessions) -> dt.time | None:
    """The time 延时服务 runs to, when it carries the day past its last session's usual close."""
    last = row.afternoon_closes or row.morning_closes
    return row.extended_until if row.extended_until and last and row.extended_until > last else None


@dataclass(frozen=True)
class WeekDay:
    """One weekday of a week: its usual sessions, its note, and the time 延时服务 runs to, if any."""

    usual: tuple[tuple[dt.time, dt.time], ...] = ()
    note: str = ""
    extended: dt.time | None = None

    @property
    def sessions(self) -> tuple[tuple[dt.time, dt.time], ...]:
        """The sessions served, the last one carried to the 延时服务 end."""
        if not self.extended:
            return self.usual
        return (*self.usual[:-1], (self.usual[-1][0], self.extended))

    def text(self) -> str:
        text = DayHours(self.usual).text()
        return f"{text}，延时服务至{_hm(self.extended)}" if self.extended else text


@dataclass
class HoursBook:
    """The hours rows of some windows and of the centre, read once, answering day by day."""

    weekly: dict[int | None, dict[int, WeeklyHours]] = field(default_factory=dict)
    exceptions: dict[tuple[int | None, dt.date], HoursException] = field(default_factory=dict)
    default: tuple[tuple[dt.time, dt.time], ...] = ()

    @classmethod
    def load(cls, window_ids: Iterable[int | None], first: dt.date | None = None,
             last: dt.date | None = None) -> HoursBook:
        """Rows of these windows and the centre; exceptions from `first` to `last` (all when not given)."""
        ids = {pk for pk in window_ids if pk is not None}
        mine = Q(window_id__in=ids) | Q(window__isnull=True)
        weekly: dict[int | None, dict[int, WeeklyHours]] = {}
        for row in WeeklyHours.objects.filter(mine):
            weekly.setdefault(row.window_id, {})[row.weekday] = row
        dated = HoursException.objects.filter(mine)
        if first is not None:
            dated = dated.filter(day__gte=first)
        if last is not None:
            dated = dated.filter(day__lte=last)
        exceptions = {(row.window_id, row.day): row for row in dated}
        return cls(weekly, exceptions, settings_sessions())

    def week(self, window_id: int | None) -> dict[int, WeekDay]:
        """Weekday (1–7) → its hours: the window's own week, else the centre's, else the settings'."""
        rows = self.weekly.get(window_id) or self.weekly.get(None)
        if rows:
            return {weekday: WeekDay(_usual(row), row.note, _extension(row))
                    for weekday, row in sorted(rows.items())}
        return {weekday: WeekDay(self.default) for weekday in range(1, 6)}

    def day(self, window_id: int | None, day: dt.date, calendar: DayFacts) -> DayHours:
        exception = self.exceptions.get((window_id, day)) or self.exceptions.get((None, day))
        if exception is not None:
            return self._excepted(exception, window_id, day, calendar)
        return self._usual(window_id, day, calendar)

    def _usual(self, window_id: int | None, day: dt.date, calendar: DayFacts) -> DayHours:
        week = self.week(window_id)
        weekday = day.isoweekday()
        if calendar.is_workday(day):
            if weekday > 5:  # 调休上班: an ordinary working day's hours
                weekday = next((d for d in sorted(week) if d <= 5), weekday)
            usual = week.get(weekday, WeekDay())
            kind = Kind.EXTENDED if usual.extended else Kind.REGULAR
            return DayHours(usual.sessions, kind if usual.sessions else Kind.CLOSED, usual.note)
        if weekday > 5 and not calendar.is_holiday(day):
            usual = week.get(weekday, WeekDay())
            return DayHours(usual.sessions, Kind.WEEKEND if usual.sessions else Kind.CLOSED, usual.note)
        return DayHours()

    def _excepted(self, row: HoursException, window_id: int | None, day: dt.date, calendar: DayFacts) -> DayHours:
        if row.kind == HoursException.Kind.CLOSED:
            return DayHours((), Kind.CLOSED, row.note)
        sessions = _sessions(row)
        if row.kind == HoursException.Kind.EXTENDED and not sessions:
            usual = self._usual(window_id, day, calendar).sessions
            if usual and row.extended_until and row.extended_until > usual[-1][1]:
                sessions = (*usual[:-1], (usual[-1][0], row.extended_until))
            else:
                sessions = usual
        return DayHours(sessions, row.kind if sessions else Kind.CLOSED, row.note)


def day_hours(window_id: int | None, day: dt.date, calendar: DayFacts) -> DayHours:
    """One window's hours on one day (reads the rows it needs)."""
    return HoursBook.load([window_id], day, day).day(window_id, day, calendar)


def open_on(window_id: int | None, moment: dt.datetime, calendar: DayFacts) -> bool:
    """Whether the window still serves on the moment's local day at or after the moment's local time.

    A moment in the noon break counts as the same day (the afternoon is still to come); after the
    last session, or on a day without hours, it does not.
    """
    local = timezone.localtime(moment)
    hours = day_hours(window_id, local.date(), calendar)
    return hours.open and local.time() <= hours.closes


# -- what the public reads -------------------------------------------------------------------------

_WEEKDAYS = dict(WeeklyHours.Weekday.choices)


def describe_week(book: HoursBook, window_id: int | None) -> list[str]:
    """Lines such as "周一至周五 9:00–12:00，13:30–17:00" and "周三 … 延时服务至19:00", days of equal hours joined."""
    week = book.week(window_id)
    lines: list[str] = []
    run: list[int] = []

    def flush():
        if not run:
            return
        first = week[run[0]]
        days = _WEEKDAYS[run[0]] if len(run) == 1 else f"{_WEEKDAYS[run[0]]}至{_WEEKDAYS[run[-1]]}"
        text = f"{days} {first.text()}"
        lines.append(f"{text}（{first.note}）" if first.note else text)
        run.clear()

    for weekday in sorted(week):
        if run and (week[weekday] != week[run[-1]] or weekday != run[-1] + 1):
            flush()
        run.append(weekday)
    flush()
    return lines


def upcoming_exceptions(book: HoursBook, window_id: int | None, calendar: DayFacts) -> list[tuple[dt.date, DayHours]]:
    """The dated exceptions the book holds for the window or the centre, by day, with the day's hours."""
    days = sorted({day for (pk, day) in book.exceptions if pk in (window_id, None)})
    return [(day, book.day(window_id, day, calendar)) for day in days]


_KIND_LABELS = {Kind.EXTENDED: "延时服务", Kind.SERVICE: "加班/预约服务", Kind.CLOSED: "暂停服务"}


@dataclass(frozen=True)
class WindowHours:
    """What a page shows of one window: its week in lines, and its dated arrangements ahead."""

    window_id: int
    week: list[str]
    coming: list[str]


def window_hours(window_ids: Iterable[int], calendar: DayFacts, first: dt.date, last: dt.date
                 ) -> dict[int, WindowHours]:
    """For each window: its week (its own or the centre's) and its exceptions from `first` to `last`."""
    ids = list(window_ids)
    book = HoursBook.load(ids, first, last)
    shown = {}
    for pk in ids:
        coming = []
        for day, hours in upcoming_exceptions(book, pk, calendar):
            label = _KIND_LABELS.get(hours.kind, "")
            text = f"{day.month}月{day.day}日 {_WEEKDAYS[day.isoweekday()]} "
            text += f"{label}" if not hours.open else f"{hours.text()}（{label}）"
            coming.append(f"{text}：{hours.note}" if hours.note else text)
        shown[pk] = WindowHours(pk, describe_week(book, pk), coming)
    return shown
