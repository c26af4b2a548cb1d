"""Due-date arithmetic per second: WorkCalendar (loaded from the bench database) vs chinese_calendar.

Inputs are drawn before timing: starts uniform over 2005-01-01 … 2026-09-01 (so that 60 working
days or 120 calendar days later is still inside chinese_calendar's known years, 2004–2026),
limits 1–60 working days, and for `between` an end 1–120 calendar days after the start.
chinese_calendar's find_workday(0, d) is the first working day on or after d, so the n-th working
day after `start` (start not counted, as the law counts) is find_workday(n - 1, start + 1 day);
the count of working days in (start, end] is len(get_workdays(start + 1 day, end)).
"""

from __future__ import annotations

import datetime as dt
import random
import time

import chinese_calendar

from shenpi.workdays.services import load_calendar

from .stats import table

FIRST = dt.date(2005, 1, 1)
LAST = dt.date(2026, 9, 1)
ONE_DAY = dt.timedelta(days=1)


def _inputs(count: int, seed: int) -> list[tuple[dt.date, int, dt.date]]:
    rng = random.Random(seed)
    span = (LAST - FIRST).days
    out = []
    for _ in range(count):
        start = FIRST + dt.timedelta(days=rng.randrange(span + 1))
        out.append((start, rng.randint(1, 60), start + dt.timedelta(days=rng.randint(1, 120))))
    return out


def _rate(label: str, calls, inputs) -> tuple[str, int, float, list]:
    start = time.perf_counter()
    answers = [calls(*args) for args in inputs]
    seconds = time.perf_counter() - start
    return label, len(inputs), len(inputs) / seconds, answers


def run(count: int = 200_000, reference_count: int = 5_000, seed: int = 11) -> dict:
    calendar = load_calendar()
    inputs = _inputs(count, seed)
    reference = inputs[:reference_count]
    # Warm the per-year indexes once, as a long-running server has them.
    for year in range(FIRST.year, LAST.year + 2):
        calendar.add(dt.date(year, 1, 1), 1)

    rows = [
        _rate("WorkCalendar.add(start, n)", lambda s, n, e: calendar.add(s, n), inputs),
        _rate("WorkCalendar.due(start, n)", lambda s, n, e: calendar.due(s, n), inputs),
        _rate("WorkCalendar.between(start, end)", lambda s, n, e: calendar.between(s, e), inputs),
        _rate("chinese_calendar.find_workday(n-1, start+1)",
              lambda s, n, e: chinese_calendar.find_workday(n - 1, s + ONE_DAY), reference),
        _rate("len(chinese_calendar.get_workdays(start+1, end))",
              lambda s, n, e: len(chinese_calendar.get_workdays(s + ONE_DAY, e)), reference),
    ]
    # Not an assertion: a figure saying both libraries answered the same questions alike.
    add_agree = sum(a == b for a, b in zip(rows[0][3], rows[3][3], strict=False))
    between_agree = sum(a == b for a, b in zip(rows[2][3], rows[4][3], strict=False))
    print()
    print(table(["computation", "calls", "calls/s"], [row[:3] for row in rows],
                title=f"Working-day arithmetic (starts {FIRST} … {LAST}, n = 1–60, single thread)"))
    print(f"agreement with chinese_calendar on {len(reference):,} inputs: add {add_agree:,}, "
          f"between {between_agree:,}")
    return {
        "rates": {label: {"calls": calls, "per_second": rate} for label, calls, rate, _ in rows},
        "agreement": {"inputs": len(reference), "add": add_agree, "between": between_agree},
    }
