"""Planning a demo year is deterministic and keeps each person's actions in time order."""

import datetime as dt

import pytest
from django.utils import timezone

from shenpi.demo import people
from shenpi.demo.catalogue import ALL_ITEMS
from shenpi.demo.timeline import Planner
from shenpi.workdays.calendar import WorkCalendar

# Estimated holidays only: planning needs no database.
CALENDAR = WorkCalendar(exceptions={}, official_years=frozenset())
END = timezone.make_aware(dt.datetime(2026, 11, 24, 15, 30))


def snapshot(plans):
    return [(p.item, p.clerk, p.channel, p.applicant, p.title, p.materials, p.purpose,
             [(e.at, e.action, sorted(e.params.items(), key=str)) for e in p.events]) for p in plans]


def test_same_seed_same_year_other_seed_other_year():
    first = Planner(seed=7, calendar=CALENDAR, end=END).plan(150)
    again = Planner(seed=7, calendar=CALENDAR, end=END).plan(150)
    other = Planner(seed=8, calendar=CALENDAR, end=END).plan(150)
    assert snapshot(first) == snapshot(again)
    assert snapshot(first) != snapshot(other)


def test_each_plan_moves_forward_in_office_hours_of_working_days_and_never_past_the_end():
    plans = Planner(seed=1, calendar=CALENDAR, end=END).plan(400)
    assert len(plans) == 400
    for plan in plans:
        assert plan.events[0].action == "receive"
        moments = [e.at for e in plan.events]
        assert moments == sorted(moments) and len(set(moments)) == len(moments)
        assert moments[-1] <= END and moments[0] > END - dt.timedelta(days=366)
        received = timezone.localtime(moments[0])
        assert CALENDAR.is_workday(received.date()) and dt.time(9) <= received.time() <= dt.time(17, 30)
        assert len(plan.materials) == len(ALL_ITEMS[plan.item].materials)


def test_a_small_year_still_plans_every_picture_today_needs():
    purposes = {p.purpose for p in Planner(seed=3, calendar=CALENDAR, end=END).plan(60)}
    assert {"received", "correcting", "suspended_procedure", "suspended_supplement", "deciding", "decided",
            "due_today", "due_tomorrow", "overdue", "long_overdue", "refused", "withdrawn", "voided",
            "on_the_spot", "denied"} <= purposes


def test_generated_identifiers_pass_the_check_digit_rules():
    import random

    from shenpi.accounts import identifiers

    rng = random.Random(5)
    for _ in range(500):
        number = people.id_number(rng, home=rng.random() < 0.5)
        assert identifiers.validate_id_number(number) == number
        code = people.uscc(rng, rng.choice(("91", "92", "52")))
        assert identifiers.validate_uscc(code) == code
        assert identifiers.validate_mobile(people.mobile(rng))


def test_usernames_are_unique_ascii_and_include_the_short_personas():
    names = [a.username for a in people.accounts()]
    assert len(names) == len(set(names))
    assert all(n.isascii() and n.replace("_", "").isalnum() for n in names)
    assert {"clerk", "handler", "reviewer", "approver", "supervisor", "admin", "zhujian_clerk"} <= set(names)


@pytest.mark.parametrize("end", [
    dt.datetime(2026, 11, 24, 15, 30),  # a Tuesday afternoon
    dt.datetime(2026, 11, 29, 11, 0),  # a Sunday
    dt.datetime(2026, 11, 30, 8, 0),  # a Monday before the office opens
    dt.datetime(2026, 10, 3, 10, 0),  # inside the National Day holiday
])
def test_deadlines_planned_for_today_hold_on_any_day_the_demo_is_generated(end):
    end = timezone.make_aware(end)
    today = timezone.localdate(end)
    first = CALENDAR.next_workday(today)
    plans = Planner(seed=11, calendar=CALENDAR, end=end).plan(80)
    checked = set()
    for plan in plans:
        if plan.purpose not in ("due_today", "due_tomorrow", "overdue", "long_overdue"):
            continue
        accepted = next(e.at for e in plan.events if e.action == "accept")
        assert timezone.localdate(accepted) == timezone.localdate(plan.received_at)
        due = CALENDAR.add(timezone.localdate(accepted), ALL_ITEMS[plan.item].promised)
        late = CALENDAR.between(due, today)
        expected = {"due_today": due == first, "due_tomorrow": due == CALENDAR.add(first, 1),
                    "overdue": 1 <= late <= 2, "long_overdue": late >= 3}
        assert expected[plan.purpose], (plan.purpose, due, today)
        # It is left lying: nothing is planned after its last step was passed.
        assert plan.events[-1].action in ("accept", "pass") and plan.events[-1].at <= end
        checked.add(plan.purpose)
    assert checked == {"due_today", "due_tomorrow", "overdue", "long_overdue"}
