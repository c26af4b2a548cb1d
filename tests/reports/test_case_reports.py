"""The case reports' figures equal direct counts over the planted cases, and a drill-down gives exactly
the cases counted: around midnight in Asia/Shanghai, across 31 October / 1 November, per grouping.

The expected figures are computed here from the Case rows in Python (local dates of each moment,
the case's own due dates and limits), not through shenpi.figures, so that a wrong counter, a wrong
grouping or a wrong day boundary in the reports makes these tests fail.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.cases.models import Case, Channel, State
from shenpi.catalog.models import ItemVersion
from shenpi.figures import upkeep
from shenpi.figures.query import Scope
from shenpi.reports import catalogue  # noqa: F401 - registers the reports
from shenpi.reports.registry import REPORTS, Ask
from tests import factories as f
from tests.performance.conftest import at, frozen, make_case, step, world  # noqa: F401

# -- the planted cases (besides the performance tests' October in department A) -----------------------


@pytest.fixture
def city(world):  # noqa: F811
    b, clerk_b = world.b, world.people_b["clerk"]
    full = f.item(b, name="个体工商户登记", promised=1)
    ItemVersion.objects.filter(item=full).update(online_depth=ItemVersion.OnlineDepth.FULL)
    ItemVersion.objects.filter(item=world.item_b).update(max_visits=2)
    plant = {
        # received 31 Oct 23:30 (an October receipt), completed 1 Nov 00:30 (a November completion)
        "midnight": make_case(b, full, clerk_b, received=at(2026, 10, 31, 23, 30), channel=Channel.ONLINE,
                              completed=at(2026, 11, 1, 0, 30), due=dt.date(2026, 11, 2), limit=1, used=1),
        # received 1 Nov 00:30 (still 31 Oct in UTC), done on the spot
        "after_midnight": make_case(b, world.item_b, clerk_b, received=at(2026, 11, 1, 0, 30),
                                    completed=at(2026, 11, 1, 10), due=dt.date(2026, 11, 1), limit=0, used=0),
        # received 31 Oct 00:30 (30 Oct in UTC), completed 31 Oct 23:30 past its due date of 30 Oct
        "late_october": make_case(b, world.item_b, clerk_b, received=at(2026, 10, 31, 0, 30),
                                  completed=at(2026, 10, 31, 23, 30), due=dt.date(2026, 10, 30), limit=3, used=4),
        "no_due": make_case(b, world.item_b, clerk_b, received=at(2026, 10, 30, 9), completed=at(2026, 10, 31, 12),
                            limit=8, used=2),
        "running": make_case(b, full, clerk_b, received=at(2026, 10, 30, 23, 30), channel=Channel.ONLINE,
                             state=State.IN_PROGRESS, due=dt.date(2026, 11, 2), limit=1),
        "deciding": make_case(b, world.item_b, clerk_b, received=at(2026, 10, 28), state=State.DECIDING,
                              due=dt.date(2026, 10, 29), limit=1),
        "suspended": make_case(b, world.item_b, clerk_b, received=at(2026, 10, 10), state=State.SUSPENDED,
                               due=dt.date(2026, 10, 20), limit=5),
        "due_today": make_case(b, world.item_b, clerk_b, received=at(2026, 11, 2), state=State.IN_PROGRESS,
                               due=dt.date(2026, 11, 5), limit=3),
        "voided": make_case(b, full, clerk_b, received=at(2026, 10, 31, 23, 30), state=State.VOIDED,
                            closed=at(2026, 11, 1, 0, 30)),
        "last_year": make_case(world.a, world.item_a, world.people_a["clerk"], received=at(2025, 10, 8),
                               completed=at(2025, 10, 31, 23, 30), due=dt.date(2025, 11, 3), limit=0, used=0),
    }
    step(plant["running"], world.people_b["handler"], 1)
    Case.objects.filter(pk=plant["running"].pk).update(window=None)
    for case in Case.objects.exclude(promised_due=None):  # statutory due three days after the promised one
        Case.objects.filter(pk=case.pk).update(statutory_due=case.promised_due + dt.timedelta(days=3))
    Case.objects.filter(pk=plant["late_october"].pk).update(statutory_due=dt.date(2026, 10, 30))
    world.cases.update(plant)
    upkeep.rebuild()
    return world


# -- what each figure counts, written out over the Case rows ----------------------------------------


def _local(moment):
    return clock.local_date(moment) if moment else None


def _in(moment, first, last):
    day = _local(moment)
    return day is not None and first <= day <= last


def _received(c, first, last):
    return _in(c.received_at, first, last)


def _completed(c, first, last):
    return c.state == State.COMPLETED and _in(c.completed_at, first, last)


def _on_time(c):
    return c.promised_due is not None and _local(c.completed_at) <= c.promised_due


def _statutory(c):
    return c.statutory_due is not None and _local(c.completed_at) <= c.statutory_due


def _share(c, low, high):
    """The days used as a share of the promised limit lies in (low, high]."""
    used, limit = Fraction(c.used_days or 0), c.promised_limit
    share = Fraction(0) if used == 0 else (Fraction(10**9) if limit == 0 else used / limit)
    return low < share <= high


# Each count: (moment test, condition on the case).
COUNTS = {
    "received": (_received, lambda c: True),
    "online": (_received, lambda c: c.channel == Channel.ONLINE),
    "full_online": (_received, lambda c: c.channel == Channel.ONLINE
                    and c.version.online_depth == ItemVersion.OnlineDepth.FULL),
    "at_most_once": (_received, lambda c: c.version.max_visits <= 1),
    **{f"received_h{h:02d}": (_received, lambda c, h=h: timezone.localtime(c.received_at).hour == h)
       for h in range(24)},
    "completed": (_completed, lambda c: True),
    "on_time": (_completed, _on_time),
    "early": (_completed, lambda c: c.promised_due is not None and _local(c.completed_at) < c.promised_due),
    "late": (_completed, lambda c: not _on_time(c)),
    "statutory_on_time": (_completed, _statutory),
    "statutory_late": (_completed, lambda c: not _statutory(c)),
    "on_the_spot": (_completed, lambda c: c.promised_limit == 0),
    "used_q1": (_completed, lambda c: _share(c, Fraction(-1), Fraction(1, 4))),
    "used_q2": (_completed, lambda c: _share(c, Fraction(1, 4), Fraction(1, 2))),
    "used_q3": (_completed, lambda c: _share(c, Fraction(1, 2), Fraction(3, 4))),
    "used_q4": (_completed, lambda c: _share(c, Fraction(3, 4), Fraction(1))),
    "used_over": (_completed, lambda c: _share(c, Fraction(1), Fraction(10**10))),
}
RATES = {"on_time_rate": ("on_time", "completed"), "early_rate": ("early", "completed"),
         "overdue_rate": ("late", "completed"), "statutory_on_time_rate": ("statutory_on_time", "completed"),
         "statutory_overdue_rate": ("statutory_late", "completed"), "on_the_spot_rate": ("on_the_spot", "completed"),
         "online_rate": ("online", "received"), "full_online_rate": ("full_online", "received"),
         "at_most_once_rate": ("at_most_once", "received")}
AVERAGES = {"avg_used_days": "used_days", "avg_promised_days": "promised_limit",
            "avg_statutory_days": "statutory_limit"}
SUMS = {"used_days": "used_days", "promised_days": "promised_limit", "statutory_days": "statutory_limit"}


def live() -> list[Case]:
    return list(Case.objects.exclude(state=State.VOIDED).select_related("version"))


def counted(cases, code, first, last) -> list[Case]:
    moment, condition = COUNTS[code]
    return [c for c in cases if moment(c, first, last) and condition(c)]


def expected(cases, code, first, last):
    """(value, the cases behind it) of one column over cases already narrowed to one row's key."""
    if code in COUNTS:
        behind = counted(cases, code, first, last)
        return len(behind), behind
    if code in SUMS:
        behind = counted(cases, "completed", first, last)
        return sum(getattr(c, SUMS[code]) or 0 for c in behind), behind
    if code in RATES:
        part, whole = (counted(cases, n, first, last) for n in RATES[code])
        return (Fraction(100 * len(part), len(whole)) if whole else None), part
    behind = counted(cases, "completed", first, last)
    total = sum(getattr(c, AVERAGES[code]) or 0 for c in behind)
    return (Fraction(total, len(behind)) if behind else None), behind


# -- narrowing the cases to a row ------------------------------------------------------------------

_FIELDS = {"department": "department_id", "item": "item_id", "channel": "channel", "window": "window_id"}


def in_scope(c: Case, scope: Scope) -> bool:
    return all(not values or getattr(c, field) in values for values, field in (
        (scope.departments, "department_id"), (scope.items, "item_id"), (scope.channels, "channel"),
        (scope.windows, "window_id")))


def months(first, last):
    month = first.replace(day=1)
    while month <= last:
        yield month
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def row_keys(cases, by, first, last):
    keys = {()}
    for name in by:
        values = set(months(first, last)) if name == "month" else {getattr(c, _FIELDS[name]) for c in cases}
        keys = {k + (v,) for k in keys for v in values}
    return keys


def narrowed(cases, by, key, first, last):
    for name, value in zip(by, key, strict=True):
        if name == "month":
            end = (value.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
            first, last = max(first, value), min(last, end)
        else:
            cases = [c for c in cases if getattr(c, _FIELDS[name]) == value]
    return cases, first, last


def empty(value) -> bool:
    return value in (0, None)


# -- the tests -------------------------------------------------------------------------------------

PERIODS = [
    (dt.date(2026, 10, 1), dt.date(2026, 10, 31)),   # October: month rows only
    (dt.date(2026, 10, 31), dt.date(2026, 10, 31)),  # the last day of October alone
    (dt.date(2026, 11, 1), dt.date(2026, 11, 5)),    # November so far
    (dt.date(2026, 10, 31), dt.date(2026, 11, 1)),   # across the month's end
    (dt.date(2026, 9, 15), dt.date(2026, 11, 5)),    # day rows, a whole month, day rows
    (dt.date(2025, 10, 1), dt.date(2026, 12, 31)),
]
AGGREGATE_REPORTS = ("received-by-hour", "timeliness", "convenience", "used-days")


def scopes(town):
    return [Scope(), Scope(departments=(town.b.pk,)), Scope(channels=(Channel.ONLINE,)),
            Scope(items=(town.item_a.pk, town.item_b.pk))]


@pytest.mark.parametrize("code", AGGREGATE_REPORTS)
def test_each_figure_and_drill_down_equals_a_direct_count(city, code):
    report = REPORTS[code]
    cases = live()
    checked = 0
    for first, last in PERIODS:
        for scope in scopes(city):
            pool = [c for c in cases if in_scope(c, scope)]
            for by in [(g,) for g in report.groupings] + [()]:
                ask = Ask(first, last, scope=scope, by=by)
                got = {tuple(row[g] for g in by): row for row in report.rows(ask)}
                for key in row_keys(pool, by, first, last) | set(got):
                    row_cases, a, b = narrowed(pool, by, key, first, last)
                    for column in report.columns:
                        value, behind = expected(row_cases, column.code, a, b)
                        shown = got[key][column.code] if key in got else None
                        assert shown == value or (key not in got and empty(value)), \
                            (code, column.code, first, last, scope, by, key, shown, value)
                        if key in got and column.drill:
                            drilled = report.cases(ask, dict(zip(by, key, strict=True)), column.code)
                            assert sorted(drilled.values_list("pk", flat=True)) == sorted(c.pk for c in behind), \
                                (code, column.code, first, last, scope, by, key)
                        checked += 1
    assert checked > 1000


def test_planted_midnight_cases_land_on_their_local_days(city):
    """Spot checks a reader can verify by hand against the planted table."""
    b_only = Scope(departments=(city.b.pk,))
    october = REPORTS["timeliness"].rows(Ask(dt.date(2026, 10, 1), dt.date(2026, 10, 31), scope=b_only))
    november = REPORTS["timeliness"].rows(Ask(dt.date(2026, 11, 1), dt.date(2026, 11, 30), scope=b_only))
    # October in B: the two completions of the performance city, late_october (23:30, late) and no_due.
    assert (october[0]["completed"], october[0]["on_time"]) == (4, 2)
    assert october[0]["overdue_rate"] == 50
    # November in B: midnight (00:30 on 1 Nov) and after_midnight.
    assert (november[0]["completed"], november[0]["on_time"]) == (2, 2)
    hours = REPORTS["received-by-hour"].rows(Ask(dt.date(2026, 10, 31), dt.date(2026, 10, 31), scope=b_only))
    assert (hours[0]["received_h00"], hours[0]["received_h23"], hours[0]["received"]) == (1, 1, 2)
    convenience = REPORTS["convenience"].rows(Ask(dt.date(2026, 11, 1), dt.date(2026, 11, 1), scope=b_only))
    assert (convenience[0]["received"], convenience[0]["on_the_spot"], convenience[0]["on_the_spot_rate"]) == (1, 1, 50)


def _periods_compared(first, last):
    from shenpi.reports.case_compare import periods
    p = periods(first, last)
    return {"": p.current, "__year": p.year_before, "__prev": p.previous}


def test_comparison_periods():
    from shenpi.reports.case_compare import periods
    october = periods(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert october.previous == (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    assert october.year_before == (dt.date(2025, 10, 1), dt.date(2025, 10, 31))
    quarter = periods(dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter.previous == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    days = periods(dt.date(2026, 11, 1), dt.date(2026, 11, 5))
    assert days.previous == (dt.date(2026, 10, 27), dt.date(2026, 10, 31))
    assert periods(dt.date(2024, 2, 29), dt.date(2024, 2, 29)).year_before[0] == dt.date(2023, 2, 28)


@pytest.mark.parametrize("first,last", [(dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
                                        (dt.date(2026, 11, 1), dt.date(2026, 11, 5)),
                                        (dt.date(2026, 10, 31), dt.date(2026, 11, 1))])
def test_comparison_figures_equal_direct_counts(city, first, last):
    report = REPORTS["comparison"]
    cases = live()
    spans = _periods_compared(first, last)
    ask = Ask(first, last, by=("department",))
    got = {row["department"]: row for row in report.rows(ask)}
    for dept in (city.a, city.b):
        mine = [c for c in cases if c.department_id == dept.pk]
        values = {}
        for figure in ("received", "completed", "on_time_rate", "on_the_spot_rate", "online_rate"):
            for suffix, (a, b) in spans.items():
                value, behind = expected(mine, figure, a, b)
                values[figure + suffix] = value
                shown = got[dept.pk][figure + suffix] if dept.pk in got else None
                assert shown == value or (dept.pk not in got and empty(value)), (figure + suffix, dept.name)
                if dept.pk in got:
                    drilled = report.cases(ask, {"department": dept.pk}, figure + suffix)
                    assert sorted(drilled.values_list("pk", flat=True)) == sorted(c.pk for c in behind)
            if dept.pk not in got:
                continue
            now, year, before = values[figure], values[figure + "__year"], values[figure + "__prev"]
            if figure in ("received", "completed"):
                assert got[dept.pk][figure + "__yoy"] == (Fraction(100 * (now - year), year) if year else None)
                assert got[dept.pk][figure + "__mom"] == (Fraction(100 * (now - before), before) if before else None)
            else:
                assert got[dept.pk][figure + "__yoy"] == (None if None in (now, year) else now - year)
                assert got[dept.pk][figure + "__mom"] == (None if None in (now, before) else now - before)


def test_comparison_of_october_against_last_october_and_september(city):
    row = {r["department"]: r for r in REPORTS["comparison"].rows(
        Ask(dt.date(2026, 10, 1), dt.date(2026, 10, 31), by=("department",)))}[city.a.pk]
    # A: October 2026 completed 5 (see the performance city), October 2025 one (last_year, 23:30 on the 31st),
    # September 2026 one.
    assert (row["completed"], row["completed__year"], row["completed__prev"]) == (5, 1, 1)
    assert row["completed__yoy"] == 400 and row["completed__mom"] == 400
    assert row["on_the_spot_rate"] == 20 and row["on_the_spot_rate__year"] == 100
    assert row["on_the_spot_rate__yoy"] == -80
