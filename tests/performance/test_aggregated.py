"""Departments and windows are assessed from the case aggregates: the same figures as the cases give."""

import datetime as dt

from shenpi import clock
from shenpi.cases.models import Case, CaseEvent, State
from shenpi.figures import query, upkeep
from shenpi.figures.models import CaseDay, CaseMonth, Upkeep
from shenpi.performance import indicators, services
from shenpi.performance.indicators import AGGREGATED, compute
from shenpi.performance.periods import Period

OCTOBER = Period.parse("2026-10")
PERIODS = [OCTOBER, Period.parse("2026-09"), Period.parse("2026-Q4"), Period.parse("2026")]


def figures_of(rows) -> dict:
    return {key: {name: getattr(ind, name) for name in AGGREGATED} for key, ind in rows.items()
            if any(getattr(ind, name) for name in AGGREGATED)}


def direct(period: Period, level: str) -> dict:
    """The figures counted over the cases by the assessment's own query (its path before any build)."""
    start, end = period.moments()
    key = {"department": "department_id", "window": "window_id"}[level]
    rows = {}
    for row in indicators._case_counts(key, start, end, with_completion=True):
        rows[row.pop("key")] = {name: row[name] or 0 for name in AGGREGATED}
    return {k: v for k, v in rows.items() if any(v.values())}


def test_the_assessment_figures_are_the_aggregates_figures(world):
    for period in PERIODS:
        for level in ("department", "window"):
            assessed = figures_of(compute(period, level))
            totals = {row.pop(level): row for row in query.totals(period.first, period.last, by=(level,),
                                                                 names=AGGREGATED)}
            assert assessed == {k: v for k, v in totals.items() if k is not None and any(v.values())}
            assert assessed == direct(period, level), (period.code, level)
    a = compute(OCTOBER, "department")[world.a.pk]
    assert (a.received, a.completed, a.on_time, a.used_days, a.procedure_flagged) == (7, 5, 4, 22, 1)


def test_a_case_action_after_the_last_upkeep_is_counted(world):
    """The assessment brings the aggregates up to date first: a case voided a minute ago no longer counts."""
    case = world.cases["early"]
    Case.objects.filter(pk=case.pk).update(state=State.VOIDED)
    CaseEvent.objects.create(case=case, action="void", at=clock.now(), to_state=State.VOIDED)
    a = services.assess(OCTOBER).computed[world.a.pk]
    assert (a.completed, a.early, a.used_days) == (4, 1, 18)
    assert upkeep.as_of() == clock.now()


def test_nothing_new_leaves_the_upkeep_alone(world):
    Upkeep.objects.filter(family=upkeep.CASES).update(days_built=0)
    clock.set_now(clock.now() + dt.timedelta(hours=1))
    assert upkeep.cases_pending() is False
    compute(OCTOBER, "department")
    assert Upkeep.objects.get(family=upkeep.CASES).days_built == 0


def test_never_built_counts_over_the_cases(world):
    CaseDay.objects.all().delete()
    CaseMonth.objects.all().delete()
    Upkeep.objects.all().delete()
    assert upkeep.cases_pending() is None
    a = compute(OCTOBER, "department")[world.a.pk]
    assert (a.received, a.online, a.accepted, a.completed, a.on_time, a.early) == (7, 1, 6, 5, 4, 2)
    assert not CaseDay.objects.exists()  # the full build is the job's, not a page's
