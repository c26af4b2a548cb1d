"""Legal examples on the seeded calendar: 国庆 and 春节 2026, estimated years, office hours."""

import datetime as dt

import holidays
import pytest

from shenpi.workdays import services
from shenpi.workdays.calendar import Due, WorkCalendar, estimated_holidays
from shenpi.workdays.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.usefixtures("seeded")

D = dt.date
OPENS, CLOSES = dt.time(9, 0), dt.time(17, 30)


@pytest.fixture
def cal():
    return services.get_calendar()


# -- 中秋 + 国庆 2026: 9-25..27 and 10-1..7 off, Sunday 9-20 and Saturday 10-10 worked ------------

def test_five_working_days_from_24_september_2026(cal):
    # 9-28, 9-29, 9-30, then 10-8, 10-9: the start day does not count, the holidays are skipped.
    assert cal.add(D(2026, 9, 24), 5) == D(2026, 10, 9)
    assert cal.due(D(2026, 9, 24), 5) == Due(D(2026, 10, 9), provisional=False)
    assert cal.between(D(2026, 9, 24), D(2026, 10, 9)) == 5


def test_one_working_day_from_30_september_2026_is_8_october(cal):
    assert cal.add(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert cal.add(D(2026, 9, 30), 2) == D(2026, 10, 9)


def test_the_make_up_days_of_national_day_2026(cal):
    assert D(2026, 10, 10).weekday() == 5 and cal.is_workday(D(2026, 10, 10))
    assert D(2026, 9, 20).weekday() == 6 and cal.is_workday(D(2026, 9, 20))
    assert cal.add(D(2026, 10, 9), 1) == D(2026, 10, 10)
    assert cal.add(D(2026, 9, 19), 1) == D(2026, 9, 20)
    for day in range(1, 8):
        assert not cal.is_workday(D(2026, 10, day))
    assert not cal.is_workday(D(2026, 9, 25))  # 中秋 on a Friday


def test_holidays_are_told_from_ordinary_weekends(cal):
    # 国庆 2026's Saturday 3 October is a holiday, Saturday 17 October an ordinary weekend; the
    # worked Saturday 10 October neither; a Monday of 国庆 a holiday.
    assert cal.is_holiday(D(2026, 10, 3)) and cal.is_holiday(D(2026, 10, 5)) and cal.is_holiday(D(2026, 9, 25))
    assert not cal.is_holiday(D(2026, 10, 17)) and not cal.is_holiday(D(2026, 10, 10))
    assert not cal.is_holiday(D(2026, 10, 14))
    # A year without a notice: the estimated statutory holidays (国庆 2031 falls on Wednesday).
    assert cal.is_holiday(D(2031, 10, 1)) and not cal.is_holiday(D(2031, 10, 4))


def test_twenty_days_of_article_42_across_national_day(cal):
    # Accepted on 24 September 2026: 9-28..30 (3), 10-8..10 (6), 10-12..16 (11), 10-19..23 (16),
    # 10-26..29 (20).
    assert cal.add(D(2026, 9, 24), 20) == D(2026, 10, 29)


def test_n_zero_is_the_start_day_even_on_a_holiday(cal):
    assert cal.add(D(2026, 10, 3), 0) == D(2026, 10, 3)
    assert cal.next_workday(D(2026, 10, 3)) == D(2026, 10, 8)


# -- 春节 2026: 2-15..2-23 off, Saturdays 2-14 and 2-28 worked --------------------------------------

def test_spring_festival_2026(cal):
    assert cal.is_workday(D(2026, 2, 14))
    assert all(not cal.is_workday(D(2026, 2, day)) for day in range(15, 24))
    assert cal.is_workday(D(2026, 2, 28))
    assert cal.add(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert cal.add(D(2026, 2, 14), 1) == D(2026, 2, 24)
    # 2-14, 2-24..27: five days; 2-28 makes the sixth.
    assert cal.between(D(2026, 2, 13), D(2026, 2, 27)) == 5
    assert cal.add(D(2026, 2, 13), 6) == D(2026, 2, 28)


def test_seeded_names_are_chinese(seeded):
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).name == "国庆节"
    assert CalendarDay.objects.get(date=D(2026, 2, 17)).name == "春节"
    assert CalendarDay.objects.get(date=D(2026, 2, 14)).name == "春节调休上班"
    assert CalendarDay.objects.get(date=D(2015, 9, 3)).name == "抗战胜利纪念日"
    assert CalendarDay.objects.get(date=D(2026, 4, 5)).name == "清明节"


# -- years without a notice ----------------------------------------------------------------------

def test_a_year_without_notice_is_provisional_and_skips_statutory_holidays(cal):
    assert 2027 not in cal.official_years
    assert cal.is_provisional(D(2027, 3, 1))
    assert cal.is_provisional(D(2026, 12, 1), D(2027, 1, 10))
    assert not cal.is_provisional(D(2026, 1, 1), D(2026, 12, 31))
    assert not cal.is_workday(D(2027, 10, 1))  # National Day, a Friday
    assert not cal.is_workday(D(2027, 2, 8))  # Spring Festival, a Monday
    assert not cal.is_workday(D(2030, 10, 2))
    assert cal.is_workday(D(2027, 10, 8))
    due = cal.due(D(2026, 12, 20), 10)
    assert due.provisional and due.date.year == 2027
    # 12-21..25 (5), 12-28..31 (9), 1-1 is 元旦: the tenth working day is 1-4.
    assert due.date == D(2027, 1, 4)


def test_the_estimate_owes_weekday_rest_for_holidays_on_a_weekend(cal):
    # 全国年节及纪念日放假办法 art. 4: 2027's 初一/初二 and 劳动节 fall on weekends, rest is owed after.
    for day in (D(2027, 2, 9), D(2027, 2, 10), D(2027, 5, 3), D(2027, 5, 4), D(2027, 10, 4)):
        assert not cal.is_workday(day), day
    # Thirteen statutory days cost thirteen weekdays: 261 weekdays, 248 working days.
    assert cal.between(D(2026, 12, 31), D(2027, 12, 31)) == 261 - 13


def test_the_estimate_does_not_depend_on_the_server_locale(monkeypatch):
    english = estimated_holidays(2027)
    estimated_holidays.cache_clear()
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.setenv(variable, "zh_CN.UTF-8")
    try:
        assert holidays.China(years=2027)[D(2027, 2, 9)].endswith("（补假）")  # the names did change
        assert estimated_holidays(2027) == english
    finally:
        estimated_holidays.cache_clear()


def test_an_estimated_year_ignores_stray_rows_until_marked_official():
    # Rows typed in for 2027 change nothing before the year is marked official (never half a notice).
    CalendarDay.objects.create(date=D(2027, 10, 6), is_workday=False, name="国庆节")
    assert services.get_calendar().is_workday(D(2027, 10, 6))
    CalendarYear.objects.create(year=2027, official=True, source="测试")
    calendar = services.get_calendar()
    assert not calendar.is_workday(D(2027, 10, 6))
    assert not calendar.is_provisional(D(2027, 10, 6))
    # Official now, so only the table counts: the estimate's 10-04 is a plain Monday again.
    assert calendar.is_workday(D(2027, 10, 4))


def test_editing_a_day_drops_the_cached_calendar():
    assert services.get_calendar().is_workday(D(2026, 10, 9))
    CalendarDay.objects.create(date=D(2026, 10, 9), is_workday=False, name="临时放假")
    assert not services.get_calendar().is_workday(D(2026, 10, 9))
    CalendarDay.objects.filter(date=D(2026, 10, 9)).delete()
    assert services.get_calendar().is_workday(D(2026, 10, 9))


# -- office hours ---------------------------------------------------------------------------------

def hours_after(cal, start, hours):
    return cal.add_hours(start, hours, OPENS, CLOSES)


def test_hours_across_a_night(cal):
    start = dt.datetime(2026, 11, 24, 17, 0)
    assert hours_after(cal, start, 1) == dt.datetime(2026, 11, 25, 9, 30)
    assert hours_after(cal, start, 0.5) == dt.datetime(2026, 11, 24, 17, 30)


def test_hours_across_a_weekend(cal):
    assert hours_after(cal, dt.datetime(2026, 11, 27, 16, 0), 3) == dt.datetime(2026, 11, 30, 10, 30)
    # Received on a Saturday evening: the clock starts on Monday morning.
    assert hours_after(cal, dt.datetime(2026, 11, 28, 20, 0), 2) == dt.datetime(2026, 11, 30, 11, 0)


def test_hours_across_national_day_and_onto_a_make_up_saturday(cal):
    assert hours_after(cal, dt.datetime(2026, 9, 30, 16, 0), 4) == dt.datetime(2026, 10, 8, 11, 30)
    assert hours_after(cal, dt.datetime(2026, 10, 9, 17, 0), 1) == dt.datetime(2026, 10, 10, 9, 30)
    # A whole office day (8.5 h) from the opening lands on its close, not on the next morning.
    assert hours_after(cal, dt.datetime(2026, 10, 8, 9, 0), 8.5) == dt.datetime(2026, 10, 8, 17, 30)


def test_office_hours_service_reads_settings_and_local_time(settings, cal):
    settings.OFFICE_OPENS_AT, settings.OFFICE_CLOSES_AT = "08:30", "17:00"
    # 08:00 UTC is 16:00 in Shanghai: one hour left that day, the second on 10-08 from 08:30.
    start = dt.datetime(2026, 9, 30, 8, 0, tzinfo=dt.UTC)
    end, provisional = services.add_office_hours(start, 2, cal)
    assert end.isoformat() == "2026-10-08T09:30:00+08:00"
    assert not provisional
    _, provisional = services.add_office_hours(dt.datetime(2026, 12, 31, 16, 0), 4, cal)
    assert provisional


def test_office_hours_must_open_before_they_close(settings):
    settings.OFFICE_OPENS_AT, settings.OFFICE_CLOSES_AT = "17:30", "09:00"
    with pytest.raises(ValueError, match="办公时间"):
        services.add_office_hours(dt.datetime(2026, 11, 24, 10, 0), 1)
    with pytest.raises(ValueError, match="办公时间"):
        WorkCalendar({}, frozenset()).add_hours(dt.datetime(2026, 11, 24, 10, 0), 1, CLOSES, OPENS)


def test_negative_counts_are_refused(cal):
    with pytest.raises(ValueError):
        cal.add(D(2026, 1, 5), -1)
    with pytest.raises(ValueError):
        hours_after(cal, dt.datetime(2026, 1, 5, 10, 0), -1)
