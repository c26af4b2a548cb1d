"""窗口办公时间: a window's week, the centre's default, dated exceptions, and the calendar's days.

Around 国庆 2026: 25 September (中秋) and 1–7 October are holidays, Saturday 10 October is a make-up
working day (调休上班), Saturday 26 September and Saturday 17 October are ordinary weekends.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shenpi.catalog.hours import HoursBook, Kind, day_hours, describe_week, open_on, window_hours
from shenpi.catalog.models import HoursException, WeeklyHours, Window
from shenpi.workdays import services as workdays
from tests import factories as f

T = dt.time
LUNCH = ((T(9, 0), T(12, 0)), (T(13, 30), T(17, 30)))  # the settings' default day
WEDNESDAY, FRIDAY = dt.date(2026, 9, 30), dt.date(2026, 10, 9)
SATURDAY, HOLIDAY_SATURDAY, MAKEUP_SATURDAY = dt.date(2026, 10, 17), dt.date(2026, 10, 3), dt.date(2026, 10, 10)


@pytest.fixture
def calendar(db):
    workdays.seed_from_chinesecalendar()
    workdays.forget_calendar()
    return workdays.get_calendar()


@pytest.fixture
def windows(db):
    dept = f.department("市公安局")
    return (Window.objects.create(department=dept, number="H01", name="户籍窗口"),
            Window.objects.create(department=dept, number="H02", name="出入境窗口"))


def week(window, rows: dict[int, tuple], extra: dict[int, dict] | None = None) -> None:
    extra = extra or {}
    for weekday, (mo, mc, ao, ac) in rows.items():
        row = WeeklyHours(window=window, weekday=weekday, morning_opens=mo, morning_closes=mc, afternoon_opens=ao,
                          afternoon_closes=ac, **extra.get(weekday, {}))
        row.full_clean()
        row.save()


WORKWEEK = {d: (T(9, 0), T(12, 0), T(13, 30), T(17, 0)) for d in range(1, 6)}


def test_the_settings_give_the_default_week_with_the_noon_break(calendar, windows):
    hours = day_hours(windows[0].pk, WEDNESDAY, calendar)
    assert hours.sessions == LUNCH and hours.kind == Kind.REGULAR
    assert not day_hours(windows[0].pk, SATURDAY, calendar).open
    assert day_hours(windows[0].pk, MAKEUP_SATURDAY, calendar).sessions == LUNCH


def test_the_centre_rows_replace_the_settings_and_a_window_week_replaces_the_centre(calendar, windows):
    week(None, WORKWEEK)
    first, second = windows
    week(second, {d: (T(8, 30), T(12, 0), None, None) for d in range(1, 6)})
    assert day_hours(first.pk, WEDNESDAY, calendar).sessions == ((T(9, 0), T(12, 0)), (T(13, 30), T(17, 0)))
    assert day_hours(second.pk, WEDNESDAY, calendar).sessions == ((T(8, 30), T(12, 0)),)
    # A case received online has no window: the centre's default.
    assert day_hours(None, WEDNESDAY, calendar).closes == T(17, 0)


def test_weekend_service_and_extended_evenings_are_the_windows_own(calendar, windows):
    first, second = windows
    week(first, {**WORKWEEK, 6: (T(9, 0), T(12, 0), None, None)}, {
        3: {"extended_until": T(19, 0)}, 6: {"note": "周六上午预约服务"}})
    wednesday = day_hours(first.pk, WEDNESDAY, calendar)
    assert wednesday.sessions == ((T(9, 0), T(12, 0)), (T(13, 30), T(19, 0))) and wednesday.kind == Kind.EXTENDED
    saturday = day_hours(first.pk, SATURDAY, calendar)
    assert saturday.sessions == ((T(9, 0), T(12, 0)),) and saturday.kind == Kind.WEEKEND
    assert saturday.note == "周六上午预约服务"
    # Weekend service is not holiday service: Saturday 3 October (国庆) stays closed.
    assert not day_hours(first.pk, HOLIDAY_SATURDAY, calendar).open
    # The make-up Saturday is an ordinary working day, with Monday's hours.
    assert day_hours(first.pk, MAKEUP_SATURDAY, calendar).sessions == ((T(9, 0), T(12, 0)), (T(13, 30), T(17, 0)))
    # The other window keeps the centre's default: no Saturday, no evening.
    assert not day_hours(second.pk, SATURDAY, calendar).open
    assert day_hours(second.pk, WEDNESDAY, calendar).closes == T(17, 30)
    # And none of it moves the calendar: Saturday stays a rest day for every time limit.
    assert not calendar.is_workday(SATURDAY)


def test_dated_exceptions_win_the_windows_before_the_centres(calendar, windows):
    first, second = windows
    HoursException.objects.create(window=first, day=FRIDAY, kind=HoursException.Kind.EXTENDED,
                                  extended_until=T(20, 0), note="开学季延时服务")
    HoursException.objects.create(window=None, day=dt.date(2026, 10, 2), kind=HoursException.Kind.CLOSED)
    HoursException.objects.create(window=first, day=dt.date(2026, 10, 5), kind=HoursException.Kind.SERVICE,
                                  morning_opens=T(9, 0), morning_closes=T(11, 30), note="国庆假期预约服务")
    HoursException.objects.create(window=None, day=WEDNESDAY, kind=HoursException.Kind.CLOSED, note="系统升级")
    friday = day_hours(first.pk, FRIDAY, calendar)
    assert friday.sessions == ((T(9, 0), T(12, 0)), (T(13, 30), T(20, 0))) and friday.kind == Kind.EXTENDED
    assert day_hours(second.pk, FRIDAY, calendar).closes == T(17, 30)
    holiday = day_hours(first.pk, dt.date(2026, 10, 5), calendar)
    assert holiday.sessions == ((T(9, 0), T(11, 30)),) and holiday.kind == Kind.SERVICE
    closed = day_hours(second.pk, WEDNESDAY, calendar)
    assert not closed.open and closed.note == "系统升级"


def test_open_on_counts_the_noon_break_and_the_evening(calendar, windows):
    first, _ = windows
    week(first, WORKWEEK, {3: {"extended_until": T(19, 0)}})

    def moment(day, hh, mm):
        return timezone.make_aware(dt.datetime.combine(day, T(hh, mm)))

    assert open_on(first.pk, moment(WEDNESDAY, 12, 40), calendar)  # noon break: the afternoon is still to come
    assert open_on(first.pk, moment(WEDNESDAY, 18, 59), calendar)
    assert not open_on(first.pk, moment(WEDNESDAY, 19, 1), calendar)
    assert not open_on(first.pk, moment(FRIDAY, 17, 1), calendar)
    assert not open_on(first.pk, moment(SATURDAY, 10, 0), calendar)
    # Asia/Shanghai: 10:00 UTC is 18:00 local, within the Wednesday evening.
    assert open_on(first.pk, dt.datetime(2026, 9, 30, 10, 0, tzinfo=dt.UTC), calendar)


def test_the_week_reads_as_lines_and_the_arrangements_ahead_by_day(calendar, windows):
    first, second = windows
    week(first, {**WORKWEEK, 6: (T(9, 0), T(12, 0), None, None)}, {
        3: {"extended_until": T(19, 0)}, 6: {"note": "预约服务"}})
    HoursException.objects.create(window=first, day=FRIDAY, kind=HoursException.Kind.CLOSED, note="设备检修")
    assert describe_week(HoursBook.load([first.pk]), first.pk) == [
        "周一至周二 9:00–12:00，13:30–17:00", "周三 9:00–12:00，13:30–17:00，延时服务至19:00",
        "周四至周五 9:00–12:00，13:30–17:00", "周六 9:00–12:00（预约服务）"]
    shown = window_hours([first.pk, second.pk], calendar, WEDNESDAY, FRIDAY)
    assert shown[first.pk].coming == ["10月9日 周五 暂停服务：设备检修"]
    assert shown[second.pk].week == ["周一至周五 9:00–12:00，13:30–17:30"] and shown[second.pk].coming == []


@pytest.mark.parametrize(("fields", "field"), [
    ({"morning_opens": T(9, 0)}, "morning_closes"),
    ({"morning_opens": T(12, 0), "morning_closes": T(9, 0)}, "morning_closes"),
    ({"morning_opens": T(9, 0), "morning_closes": T(12, 30), "afternoon_opens": T(12, 0),
      "afternoon_closes": T(17, 0)}, "afternoon_opens"),
    ({"morning_opens": T(9, 0), "morning_closes": T(12, 0), "extended_until": T(11, 0)}, "extended_until"),
    ({}, "morning_opens"),
])
def test_bad_weekly_rows_are_refused_with_the_field(db, windows, fields, field):
    with pytest.raises(ValidationError) as refused:
        WeeklyHours(window=windows[0], weekday=1, **fields).full_clean()
    assert field in refused.value.message_dict


def test_one_row_per_window_and_weekday_and_one_centre_row(db, windows):
    week(windows[0], {1: (T(9, 0), T(12, 0), None, None)})
    with pytest.raises(ValidationError):
        WeeklyHours(window=windows[0], weekday=1, morning_opens=T(8, 0), morning_closes=T(11, 0)).full_clean()
    week(None, {1: (T(9, 0), T(12, 0), None, None)})
    with pytest.raises(ValidationError):
        WeeklyHours(window=None, weekday=1, morning_opens=T(8, 0), morning_closes=T(11, 0)).full_clean()


@pytest.mark.parametrize(("kind", "fields", "field"), [
    (HoursException.Kind.CLOSED, {"morning_opens": T(9, 0), "morning_closes": T(12, 0)}, "kind"),
    (HoursException.Kind.SERVICE, {}, "morning_opens"),
    (HoursException.Kind.EXTENDED, {}, "extended_until"),
])
def test_bad_exceptions_are_refused_with_the_field(db, windows, kind, fields, field):
    with pytest.raises(ValidationError) as refused:
        HoursException(window=windows[0], day=FRIDAY, kind=kind, **fields).full_clean()
    assert field in refused.value.message_dict


def test_a_bad_noon_break_setting_is_named(calendar, windows, settings):
    settings.OFFICE_NOON_BREAK = "18:00-19:00"
    with pytest.raises(ValueError, match="OFFICE_NOON_BREAK"):
        day_hours(windows[0].pk, WEDNESDAY, calendar)
