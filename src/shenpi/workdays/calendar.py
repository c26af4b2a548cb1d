"""Working-day arithmetic (行政许可法 art. 82): pure functions over a WorkCalendar.

Counting follows the law: the start day is not counted, and a limit of N working days ends at
the close of the N-th working day after it (N = 0 gives the start day itself).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import holidays as holidays_pkg

# The span of years a calendar keeps ready; dates outside it extend it on demand.
MIN_YEAR, MAX_YEAR = 1990, 2200


@dataclass(frozen=True)
class Due:
    """A computed date, with whether it rests on an estimated (not yet announced) year."""

    date: dt.date
    provisional: bool


@lru_cache(maxsize=256)
def estimated_holidays(year: int) -> frozenset[dt.date]:
    """Weekdays lost to statutory holidays in a year whose notice is not out yet.

    The `holidays` package knows the statutory days (全国年节及纪念日放假办法) and their
    "(observed)" days: the weekday rest that art. 4 of that regulation owes when a holiday falls on
    a weekend, so they are kept. Its "substituted" days are the bridging days of a published notice,
    paid back by make-up weekends it does not list; they cancel out, so they are left out. Over
    2008-2026 this estimate yields exactly the number of working days the notices gave in all but
    two years (off by one). The language is pinned because the names are matched.
    """
    return frozenset(
        day for day, name in holidays_pkg.China(years=year, language="en_US").items()
        if "substituted" not in name.lower() and day.weekday() < 5
    )


@dataclass
class WorkCalendar:
    """Exceptions to the weekday rule for official years; estimates for all other years."""

    exceptions: Mapping[dt.date, bool]
    official_years: frozenset[int]
    _years: dict[int, list[int]] = field(default_factory=dict, repr=False)

    # -- facts about single days -------------------------------------------------------------
    def is_workday(self, day: dt.date) -> bool:
        if day.year in self.official_years:
            exception = self.exceptions.get(day)
            if exception is not None:
                return exception
            return day.weekday() < 5
        return day.weekday() < 5 and day not in estimated_holidays(day.year)

    def is_holiday(self, day: dt.date) -> bool:
        """A statutory holiday's day off (the weekend days inside a holiday too), not an ordinary weekend."""
        if self.is_workday(day):
            return False
        if day.year in self.official_years:
            return self.exceptions.get(day) is False
        return day in estimated_holidays(day.year)

    def is_provisional(self, *days: dt.date) -> bool:
        """True when any year spanned by the given days has no official notice."""
        years = [d.year for d in days]
        return any(y not in self.official_years for y in range(min(years), max(years) + 1))

    # -- the ordinal index: working days of each year as sorted ordinals -----------------------
    def _year_workdays(self, year: int) -> list[int]:
        cached = self._years.get(year)
        if cached is None:
            start = dt.date(year, 1, 1).toordinal()
            end = dt.date(year, 12, 31).toordinal()
            cached = [o for o in range(start, end + 1) if self.is_workday(dt.date.fromordinal(o))]
            self._years[year] = cached
        return cached

    def _workdays_from(self, day: dt.date) -> Iterable[int]:
        """Working-day ordinals strictly after `day`, year by year."""
        year = day.year
        ordinal = day.toordinal()
        first = self._year_workdays(year)
        yield from first[bisect_right(first, ordinal):]
        while year < MAX_YEAR:
            year += 1
            yield from self._year_workdays(year)

    # -- the arithmetic ------------------------------------------------------------------------
    def add(self, start: dt.date, n: int) -> dt.date:
        """The close of the n-th working day after `start` (start not counted; n = 0 → start)."""
        if n < 0:
            raise ValueError("工作日数不能为负数")
        if n == 0:
            return start
        ordinals = self._year_workdays(start.year)
        index = bisect_right(ordinals, start.toordinal()) + n - 1
        if index < len(ordinals):
            return dt.date.fromordinal(ordinals[index])
        for count, ordinal in enumerate(self._workdays_from(start), start=1):
            if count == n:
                return dt.date.fromordinal(ordinal)
        raise ValueError("日期超出日历范围")

    def due(self, start: dt.date, n: int) -> Due:
        end = self.add(start, n)
        return Due(end, self.is_provisional(start, end))

    def between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (negative when end < start)."""
        if end < start:
            return -self.between(end, start)
        total = 0
        for year in range(start.year, end.year + 1):
            ordinals = self._year_workdays(year)
            lo = bisect_right(ordinals, start.toordinal())
            hi = bisect_right(ordinals, end.toordinal())
            total += hi - lo
        return total

    def latest_start(self, end: dt.date, n: int) -> dt.date:
        """The latest day D with at least n working days after D up to `end` (n = 0 → end).

        "Overdue by n working days on `end`" is "due on or before latest_start(end, n)".
        """
        if n < 0:
            raise ValueError("工作日数不能为负数")
        day = end
        while self.between(day, end) < n:
            day -= dt.timedelta(days=1)
        return day

    def next_workday(self, day: dt.date) -> dt.date:
        """The first working day on or after `day`."""
        return day if self.is_workday(day) else self.add(day, 1)

    def add_hours(self, start: dt.datetime, hours: float, opens: dt.time, closes: dt.time) -> dt.datetime:
        """The moment `hours` office hours after `start`, counting only working days' office hours."""
        if hours < 0:
            raise ValueError("工作小时数不能为负数")
        if opens >= closes:
            # Otherwise no day would ever have office hours and the search would run to the year 2200.
            raise ValueError("办公时间设置有误：上班时间必须早于下班时间")
        remaining = dt.timedelta(hours=hours)
        moment = start
        while True:
            day = moment.date()
            if self.is_workday(day):
                day_open = moment.replace(hour=opens.hour, minute=opens.minute, second=0, microsecond=0)
                day_close = moment.replace(hour=closes.hour, minute=closes.minute, second=0, microsecond=0)
                begin = max(moment, day_open)
                if begin < day_close:
                    available = day_close - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            next_day = self.add(day, 1)
            moment = moment.replace(year=next_day.year, month=next_day.month, day=next_day.day,
                                    hour=opens.hour, minute=opens.minute, second=0, microsecond=0)

    def workdays_in(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Working days in [start, end], for pages that list them."""
        result = []
        for year in range(start.year, end.year + 1):
            ordinals = self._year_workdays(year)
            lo = bisect_left(ordinals, start.toordinal())
            hi = bisect_right(ordinals, end.toordinal())
            result.extend(dt.date.fromordinal(o) for o in ordinals[lo:hi])
        return result
