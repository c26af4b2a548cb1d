"""放号: slots on the days a window serves (国庆 2026, weekends, 调休, its own Saturdays and evenings), within its
sessions (never in the noon break), never twice."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from shenpi import clock
from shenpi.appointments import services
from shenpi.appointments.management.commands.appointments import Command
from shenpi.appointments.models import Slot
from shenpi.catalog.models import HoursException, WeeklyHours
from shenpi.errors import Forbidden, InvalidInput

from .conftest import at


def days_with_slots(window) -> dict[dt.date, int]:
    found: dict[dt.date, int] = {}
    for start in Slot.objects.filter(window=window).values_list("start", flat=True):
        day = timezone.localdate(start)
        found[day] = found.get(day, 0) + 1
    return found


def test_no_slots_on_guoqing_2026_weekends_or_mid_autumn(world):
    result = services.publish(window=world.window, first=dt.date(2026, 9, 24), last=dt.date(2026, 10, 11),
                              every=30, capacity=2, actor=world.clerk)
    days = days_with_slots(world.window)
    for holiday in [dt.date(2026, 9, 25), dt.date(2026, 9, 26), dt.date(2026, 9, 27), dt.date(2026, 10, 11),
                    *(dt.date(2026, 10, d) for d in range(1, 8))]:
        assert holiday not in days
        assert holiday in result.skipped_days
    # 10 October 2026 is a Saturday worked in exchange (调休): it takes appointments.
    assert dt.date(2026, 10, 10) in days
    assert {dt.date(2026, 9, 28), dt.date(2026, 9, 29), dt.date(2026, 9, 30), dt.date(2026, 10, 8),
            dt.date(2026, 10, 9)} <= set(days)
    # The centre's default 09:00–12:00 and 13:30–17:30 in 30-minute slots: 6 + 8 a day, none in the
    # noon break; on the 24th only those after 15:00 (now) are left.
    assert days[dt.date(2026, 9, 28)] == 14
    assert days[dt.date(2026, 9, 24)] == 4
    assert result.created == sum(days.values())
    slots = Slot.objects.filter(window=world.window, start__date=dt.date(2026, 9, 28)).order_by("start")
    first, last = slots.first(), slots.last()
    assert timezone.localtime(first.start).time() == dt.time(9, 0)
    assert timezone.localtime(last.end).time() == dt.time(17, 30)
    assert first.capacity == 2 and first.booked == 0 and first.item is None and first.published_by == world.clerk


def test_slots_follow_the_configured_office_hours(world, settings):
    settings.OFFICE_OPENS_AT, settings.OFFICE_CLOSES_AT, settings.OFFICE_NOON_BREAK = "08:30", "12:00", ""
    services.publish(window=world.window, item=world.item, first=dt.date(2026, 9, 28), last=dt.date(2026, 9, 28),
                     every=60, capacity=3, actor=world.clerk)
    starts = [timezone.localtime(s).time() for s in Slot.objects.order_by("start").values_list("start", flat=True)]
    assert starts == [dt.time(8, 30), dt.time(9, 30), dt.time(10, 30)]  # 11:30 would end after 12:00
    assert set(Slot.objects.values_list("item", flat=True)) == {world.item.pk}


def test_publishing_again_only_fills_gaps(world):
    services.publish(window=world.window, first=dt.date(2026, 9, 28), last=dt.date(2026, 9, 28), every=30,
                     capacity=2, actor=world.clerk)
    again = services.publish(window=world.window, first=dt.date(2026, 9, 28), last=dt.date(2026, 9, 29), every=30,
                             capacity=5, actor=world.clerk)
    assert (again.created, again.existing) == (14, 14)
    assert Slot.objects.count() == 28
    assert set(Slot.objects.filter(start__date=dt.date(2026, 9, 28)).values_list("capacity", flat=True)) == {2}


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"first": dt.date(2026, 9, 29), "last": dt.date(2026, 9, 28)}, "last"),
    ({"first": dt.date(2026, 9, 1), "last": dt.date(2026, 9, 10)}, "last"),
    ({"last": dt.date(2027, 3, 1)}, "last"),
    ({"capacity": 0}, "capacity"),
    ({"every": 2}, "every"),
])
def test_bad_ranges_are_refused_with_the_field(world, kwargs, field):
    values = {"first": dt.date(2026, 9, 28), "last": dt.date(2026, 9, 30), "every": 30, "capacity": 2, **kwargs}
    with pytest.raises(InvalidInput) as refused:
        services.publish(window=world.window, actor=world.clerk, **values)
    assert field in refused.value.fields
    assert not Slot.objects.exists()


def test_an_item_of_another_department_and_another_departments_clerk_are_refused(world):
    with pytest.raises(InvalidInput) as refused:
        services.publish(window=world.window, item=world.other_item, first=dt.date(2026, 9, 28),
                         last=dt.date(2026, 9, 28), every=30, capacity=2, actor=world.clerk)
    assert "item" in refused.value.fields
    with pytest.raises(Forbidden):
        services.publish(window=world.window, first=dt.date(2026, 9, 28), last=dt.date(2026, 9, 28), every=30,
                         capacity=2, actor=world.other_clerk)
    with pytest.raises(Forbidden):
        services.publish(window=world.window, first=dt.date(2026, 9, 28), last=dt.date(2026, 9, 28), every=30,
                         capacity=2, actor=world.handler)
    services.publish(window=world.window, first=dt.date(2026, 9, 28), last=dt.date(2026, 9, 28), every=30,
                     capacity=2, actor=world.admin)
    assert Slot.objects.count() == 14


def test_the_publish_command(world, capsys):
    call_command("appointments", "publish", "--window", "A08", "--from", "2026-09-30", "--to", "2026-10-08",
                 "--every", "30", "--capacity", "2", "--item", world.item.code)
    out = capsys.readouterr().out
    assert "新发布 28 个时段" in out and "跳过不办公的日子 7 天" in out
    assert set(days_with_slots(world.window)) == {dt.date(2026, 9, 30), dt.date(2026, 10, 8)}


@pytest.mark.parametrize(("args", "message"), [
    (["--window", "Z99", "--from", "2026-09-28", "--to", "2026-09-28"], "没有窗口号"),
    (["--window", "A08", "--from", "2026-09-31", "--to", "2026-10-01"], "不是有效日期"),
    (["--window", "A08", "--from", "2026-09-28", "--to", "2026-09-28", "--capacity", "0"], "可预约人数"),
    (["--window", "A08", "--from", "2026-09-28", "--to", "2026-09-28", "--item", "NOPE"], "没有编码"),
])
def test_the_command_refuses_bad_input(world, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("appointments", "publish", *args)
    assert not Slot.objects.exists()


def test_the_command_exits_non_zero_with_one_line(world, monkeypatch):
    # run_from_argv closes the connections at the end; the test's transaction must survive it.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        Command(stdout=out, stderr=err).run_from_argv(
            ["shenpi", "appointments", "publish", "--window", "Z99", "--from", "2026-09-28", "--to", "2026-09-28"])
    assert exited.value.code == 1
    assert err.getvalue().strip() == "没有窗口号为“Z99”的窗口。"
    with pytest.raises(SystemExit) as exited:
        Command(stdout=out, stderr=err).run_from_argv(["shenpi", "appointments", "publish", "--window", "A08"])
    assert exited.value.code == 2


def test_slots_that_already_started_are_not_published(world):
    clock.set_now(at(2026, 9, 28, 10, 10))
    services.publish(window=world.window, first=dt.date(2026, 9, 28), last=dt.date(2026, 9, 28), every=30,
                     capacity=2, actor=world.clerk)
    first = Slot.objects.order_by("start").first()
    assert timezone.localtime(first.start).time() == dt.time(10, 30)


# -- the window's own hours (docs/hours.md) ----------------------------------------------------------

def _window_week(window, extended_wednesday=False, saturday=False):
    T = dt.time
    for weekday in range(1, 6):
        WeeklyHours.objects.create(window=window, weekday=weekday, morning_opens=T(9, 0), morning_closes=T(12, 0),
                                   afternoon_opens=T(13, 30), afternoon_closes=T(17, 0),
                                   extended_until=T(19, 0) if extended_wednesday and weekday == 3 else None)
    if saturday:
        WeeklyHours.objects.create(window=window, weekday=6, morning_opens=T(9, 0), morning_closes=T(12, 0),
                                   note="周六上午预约服务")


def _local_starts(window, day) -> list[dt.time]:
    return [timezone.localtime(s).time() for s in Slot.objects.filter(window=window).order_by("start")
            .values_list("start", flat=True) if timezone.localdate(s) == day]


def test_slots_follow_the_windows_sessions_evenings_and_saturday_service(world):
    _window_week(world.window, extended_wednesday=True, saturday=True)
    result = services.publish(window=world.window, first=dt.date(2026, 10, 12), last=dt.date(2026, 10, 18),
                              every=60, capacity=2, actor=world.clerk)
    T = dt.time
    tuesday = _local_starts(world.window, dt.date(2026, 10, 13))
    # 9–12 and 13:30–17:00 in hours: nothing starts or runs into 12:00–13:30.
    assert tuesday == [T(9, 0), T(10, 0), T(11, 0), T(13, 30), T(14, 30), T(15, 30)]
    # Wednesday's 延时服务 to 19:00 offers the evening.
    assert _local_starts(world.window, dt.date(2026, 10, 14))[-3:] == [T(15, 30), T(16, 30), T(17, 30)]
    # Saturday morning service; no Sunday.
    assert _local_starts(world.window, dt.date(2026, 10, 17)) == [T(9, 0), T(10, 0), T(11, 0)]
    assert dt.date(2026, 10, 17) in result.service_days and result.skipped_days == [dt.date(2026, 10, 18)]
    # The other window keeps the centre's default: nothing on Saturday.
    other = services.publish(window=world.other_window, first=dt.date(2026, 10, 17), last=dt.date(2026, 10, 17),
                             every=60, capacity=2, actor=world.other_clerk)
    assert other.created == 0 and other.skipped_days == [dt.date(2026, 10, 17)]


def test_no_saturday_service_on_a_holiday_and_none_on_a_closed_day(world):
    _window_week(world.window, saturday=True)
    HoursException.objects.create(window=world.window, day=dt.date(2026, 10, 9), kind=HoursException.Kind.CLOSED,
                                  note="设备检修")
    HoursException.objects.create(window=world.window, day=dt.date(2026, 10, 4), kind=HoursException.Kind.SERVICE,
                                  morning_opens=dt.time(9, 0), morning_closes=dt.time(11, 0), note="国庆预约服务")
    result = services.publish(window=world.window, first=dt.date(2026, 10, 1), last=dt.date(2026, 10, 10),
                              every=60, capacity=2, actor=world.clerk)
    days = days_with_slots(world.window)
    assert dt.date(2026, 10, 3) not in days  # Saturday inside 国庆: no weekend service
    assert days[dt.date(2026, 10, 4)] == 2  # the dated holiday service
    assert dt.date(2026, 10, 9) not in days and dt.date(2026, 10, 9) in result.skipped_days
    assert days[dt.date(2026, 10, 8)] == 6 and days[dt.date(2026, 10, 10)] == 6  # 调休 Saturday: a working day
