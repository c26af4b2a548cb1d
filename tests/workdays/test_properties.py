"""The seeded calendar against `chinesecalendar` itself, and the algebra of add/between.

chinese_calendar.find_workday(n, d) starts from the first working day on or after d (so n = 0
gives d itself only when d is a working day) and then moves n working days. The law's count
(start day not counted) is therefore find_workday(n - 1, d + 1 day) for n >= 1, and equals
find_workday(n, d) when d is a working day.
"""

import datetime as dt

import chinese_calendar
from hypothesis import assume, given, settings
from hypothesis import strategies as st

ONE_DAY = dt.timedelta(days=1)
# Results must stay inside the years the package knows (it raises outside them).
known_starts = st.dates(dt.date(2005, 1, 1), dt.date(2026, 6, 30))
known_days = st.dates(dt.date(2005, 1, 1), dt.date(2026, 12, 31))
limits = st.integers(min_value=0, max_value=100)
# The algebra holds for any calendar, so it is also checked across estimated years.
any_days = st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31))
any_limits = st.integers(min_value=0, max_value=400)

checked = settings(max_examples=300, deadline=None)


def test_every_day_of_the_package_years_agrees(package_calendar):
    day = dt.date(2004, 1, 1)
    disagreements = []
    while day <= dt.date(2026, 12, 31):
        if package_calendar.is_workday(day) != chinese_calendar.is_workday(day):
            disagreements.append(day)
        day += ONE_DAY
    assert disagreements == []
    assert not package_calendar.is_provisional(dt.date(2004, 1, 1), dt.date(2026, 12, 31))


@checked
@given(start=known_starts, n=limits)
def test_add_matches_find_workday(package_calendar, start, n):
    result = package_calendar.add(start, n)
    if n == 0:
        assert result == start
    else:
        assert result == chinese_calendar.find_workday(n - 1, start + ONE_DAY)
    if chinese_calendar.is_workday(start):
        assert result == chinese_calendar.find_workday(n, start)


@checked
@given(start=known_starts, n=st.integers(min_value=1, max_value=100))
def test_from_a_rest_day_find_workday_counts_one_more(package_calendar, start, n):
    # From a rest day the package counts the next working day as its 0th; the law counts it as 1st.
    assume(not chinese_calendar.is_workday(start))
    assert package_calendar.add(start, n) == chinese_calendar.find_workday(n - 1, start)
    assert package_calendar.add(start, n + 1) == chinese_calendar.find_workday(n, start)


@checked
@given(start=known_days, span=st.integers(min_value=0, max_value=800))
def test_between_matches_the_package_count(package_calendar, start, span):
    end = min(start + dt.timedelta(days=span), dt.date(2026, 12, 31))
    expected = len(chinese_calendar.get_workdays(start + ONE_DAY, end)) if end > start else 0
    assert package_calendar.between(start, end) == expected
    assert package_calendar.between(end, start) == -expected


@checked
@given(start=any_days, n=any_limits)
def test_between_inverts_add(package_calendar, start, n):
    end = package_calendar.add(start, n)
    assert package_calendar.between(start, end) == n
    if n >= 1:
        assert end > start
        assert package_calendar.is_workday(end)
        # No working day is skipped: the day before the result still lacks one.
        assert package_calendar.between(start, end - ONE_DAY) == n - 1


@checked
@given(start=any_days, end=any_days)
def test_add_inverts_between_up_to_rest_days(package_calendar, start, end):
    if end < start:
        start, end = end, start
    landed = package_calendar.add(start, package_calendar.between(start, end))
    assert start <= landed <= end
    assert package_calendar.between(landed, end) == 0
    if package_calendar.is_workday(end) and end > start:
        assert landed == end


@checked
@given(a=any_days, b=any_days, n=any_limits)
def test_add_is_monotonic_in_the_start(package_calendar, a, b, n):
    first, second = min(a, b), max(a, b)
    assert package_calendar.add(first, n) <= package_calendar.add(second, n)


@checked
@given(start=any_days, n=any_limits, more=st.integers(min_value=1, max_value=50))
def test_add_is_strictly_monotonic_in_the_count(package_calendar, start, n, more):
    assert package_calendar.add(start, n) < package_calendar.add(start, n + more)
    # Adding in two steps is adding once.
    assert package_calendar.add(package_calendar.add(start, n), more) == package_calendar.add(start, n + more)


@checked
@given(start=any_days, a=any_days, b=any_days)
def test_between_is_monotonic_in_the_end(package_calendar, start, a, b):
    near, far = min(a, b), max(a, b)
    assert package_calendar.between(start, near) <= package_calendar.between(start, far)


@checked
@given(day=any_days)
def test_next_workday_is_the_first_working_day_on_or_after(package_calendar, day):
    found = package_calendar.next_workday(day)
    assert found >= day
    assert package_calendar.is_workday(found)
    assert all(not package_calendar.is_workday(day + ONE_DAY * k) for k in range((found - day).days))
