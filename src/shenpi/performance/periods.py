"""Assessment periods: a month, a quarter, a half-year or a year, in local (Asia/Shanghai) days.

Written as 2026-10 (month), 2026-Q4 (quarter), 2026-H2 (half-year) or 2026 (year). A period is the
half-open range [first day 00:00, first day of the next period 00:00) of local time.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone

MIN_YEAR, MAX_YEAR = 2000, 2100
_PATTERNS = (
    (re.compile(r"(\d{4})-(\d{1,2})"), "month"),
    (re.compile(r"(\d{4})-?[Qq]([1-4])"), "quarter"),
    (re.compile(r"(\d{4})-?[Hh]([12])"), "half"),
    (re.compile(r"(\d{4})"), "year"),
)
_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}
KIND_LABELS = {"month": "月度", "quarter": "季度", "half": "半年", "year": "年度"}


class PeriodError(ValueError):
    """A period the user wrote that does not exist; the message is shown as is."""


@dataclass(frozen=True, order=True)
class Period:
    first: dt.date  # first day
    kind: str       # month | quarter | half | year

    @classmethod
    def parse(cls, text: str) -> Period:
        text = (text or "").strip()
        for pattern, kind in _PATTERNS:
            match = pattern.fullmatch(text)
            if match:
                year = int(match.group(1))
                number = int(match.group(2)) if kind != "year" else 1
                if not MIN_YEAR <= year <= MAX_YEAR:
                    raise PeriodError(f"考核期间“{text}”超出范围（{MIN_YEAR}–{MAX_YEAR}年）。")
                if kind == "month" and not 1 <= number <= 12:
                    raise PeriodError(f"考核期间“{text}”的月份不存在。")
                return cls(dt.date(year, 1 + (number - 1) * _MONTHS[kind], 1), kind)
        raise PeriodError(f"考核期间“{text}”格式不对，"
                          "应为 2026-10（月）、2026-Q4（季度）、2026-H2（半年）或 2026（年）。")

    @classmethod
    def month_of(cls, day: dt.date) -> Period:
        return cls(day.replace(day=1), "month")

    @property
    def code(self) -> str:
        y, m = self.first.year, self.first.month
        return {"month": f"{y}-{m:02d}", "quarter": f"{y}-Q{(m + 2) // 3}", "half": f"{y}-H{(m + 5) // 6}",
                "year": f"{y}"}[self.kind]

    @property
    def label(self) -> str:
        y, m = self.first.year, self.first.month
        return {"month": f"{y}年{m}月", "quarter": f"{y}年第{(m + 2) // 3}季度",
                "half": f"{y}年{'上' if m == 1 else '下'}半年", "year": f"{y}年"}[self.kind]

    @property
    def end(self) -> dt.date:
        """The first day after the period."""
        return add_months(self.first, _MONTHS[self.kind])

    @property
    def last(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def moments(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as aware datetimes at local midnight."""
        return start_of(self.first), start_of(self.end)

    def months(self, today: dt.date | None = None) -> list[Period]:
        """The months of the period, up to the month of `today` (months not begun are left out)."""
        out, first = [], self.first
        while first < self.end and (today is None or first <= today):
            out.append(Period(first, "month"))
            first = add_months(first, 1)
        return out

    def previous(self) -> Period:
        return Period(add_months(self.first, -_MONTHS[self.kind]), self.kind)

    def __str__(self) -> str:
        return self.code


def add_months(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def recent(today: dt.date) -> list[Period]:
    """Periods to choose from on the pages: the last 12 months, 4 quarters, 2 half-years, 2 years."""
    month = Period.month_of(today)
    quarter = Period(dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1), "quarter")
    half = Period(dt.date(today.year, 1 if today.month <= 6 else 7, 1), "half")
    year = Period(dt.date(today.year, 1, 1), "year")
    out = []
    for current, count in ((month, 12), (quarter, 4), (half, 2), (year, 2)):
        for _ in range(count):
            out.append(current)
            current = current.previous()
    return out
