"""Assessment periods: how they are written, their local-day bounds, their months."""

import datetime as dt

import pytest
from django.utils import timezone

from shenpi.performance.periods import Period, PeriodError, recent


@pytest.mark.parametrize(("text", "kind", "first", "end", "label"), [
    ("2026-10", "month", dt.date(2026, 10, 1), dt.date(2026, 11, 1), "2026年10月"),
    ("2026-2", "month", dt.date(2026, 2, 1), dt.date(2026, 3, 1), "2026年2月"),
    ("2026-12", "month", dt.date(2026, 12, 1), dt.date(2027, 1, 1), "2026年12月"),
    ("2026-Q4", "quarter", dt.date(2026, 10, 1), dt.date(2027, 1, 1), "2026年第4季度"),
    ("2026q1", "quarter", dt.date(2026, 1, 1), dt.date(2026, 4, 1), "2026年第1季度"),
    ("2026-H1", "half", dt.date(2026, 1, 1), dt.date(2026, 7, 1), "2026年上半年"),
    ("2026H2", "half", dt.date(2026, 7, 1), dt.date(2027, 1, 1), "2026年下半年"),
    ("2026", "year", dt.date(2026, 1, 1), dt.date(2027, 1, 1), "2026年"),
])
def test_parse(text, kind, first, end, label):
    period = Period.parse(text)
    assert (period.kind, period.first, period.end, period.label) == (kind, first, end, label)
    assert Period.parse(period.code) == period


@pytest.mark.parametrize(("text", "message"), [
    ("2026-13", "月份不存在"), ("2026-0", "月份不存在"), ("2026-Q5", "格式不对"), ("1999-01", "超出范围"),
    ("", "格式不对"), ("十月", "格式不对"),
])
def test_parse_refuses(text, message):
    with pytest.raises(PeriodError, match=message):
        Period.parse(text)


def test_bounds_are_local_midnights():
    start, end = Period.parse("2026-10").moments()
    assert timezone.localtime(start) == timezone.make_aware(dt.datetime(2026, 10, 1))
    assert start.utcoffset() == dt.timedelta(hours=8)
    assert timezone.localtime(end) == timezone.make_aware(dt.datetime(2026, 11, 1))


def test_months_stop_at_today():
    year = Period.parse("2026")
    assert len(year.months()) == 12
    assert [m.code for m in year.months(dt.date(2026, 3, 1))] == ["2026-01", "2026-02", "2026-03"]
    assert Period.parse("2027").months(dt.date(2026, 12, 31)) == []


def test_recent_periods_to_choose_from():
    periods = recent(dt.date(2026, 1, 15))
    codes = [p.code for p in periods]
    assert codes[:3] == ["2026-01", "2025-12", "2025-11"] and len([c for c in codes if len(c) == 7 and "-" in c
                                                                   and c[5] not in "QH"]) == 12
    assert "2025-Q4" in codes and "2025-H2" in codes and "2025" in codes
