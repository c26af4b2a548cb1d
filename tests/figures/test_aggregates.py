"""The case aggregates equal direct counts over the cases, by local day, and stay so as cases change."""

import datetime as dt

from shenpi import clock
from shenpi.cases.models import Case, State
from shenpi.figures import counters, query, upkeep
from shenpi.figures.models import CaseDay, CaseMonth
from shenpi.figures.query import Scope
from tests.performance.conftest import make_case

OCT_1, OCT_31 = dt.date(2026, 10, 1), dt.date(2026, 10, 31)


def direct(counter: str, first: dt.date, last: dt.date, **keys) -> int:
    start, end = clock.days_range(first, last)
    c = counters.COUNTERS[counter]
    cases = counters.cases_behind(counter, start, end).filter(**keys)
    if c.total:
        return sum(cases.values_list(c.total, flat=True))
    return cases.count()


def test_a_month_of_department_a_matches_the_assessment_figures(world):
    upkeep.rebuild()
    a = query.total(OCT_1, OCT_31, scope=Scope(departments=(world.a.pk,)))
    assert (a["received"], a["online"], a["accepted"], a["completed"]) == (7, 1, 6, 5)
    assert (a["on_time"], a["early"], a["on_the_spot"], a["denied"], a["refused"]) == (4, 2, 1, 1, 1)
    assert (a["used_days"], a["promised_days"], a["procedure_flagged"]) == (22, 30, 1)


def test_every_counter_equals_a_direct_count_for_any_span(world):
    upkeep.rebuild()
    spans = [(OCT_1, OCT_31), (dt.date(2026, 9, 15), dt.date(2026, 10, 12)),
             (dt.date(2026, 10, 13), dt.date(2026, 10, 13)),
             (dt.date(2026, 1, 1), dt.date(2026, 12, 31))]
    for first, last in spans:
        for dept in (world.a, world.b):
            got = query.total(first, last, scope=Scope(departments=(dept.pk,)))
            for name in counters.COUNTERS:
                assert got[name] == direct(name, first, last, department=dept), (name, first, last, dept.name)


def test_a_completion_at_00_30_counts_on_its_local_day(world):
    upkeep.rebuild()
    rows = query.totals(dt.date(2026, 10, 12), dt.date(2026, 10, 13), by=("day",),
                        scope=Scope(departments=(world.a.pk,)), names=["completed"])
    assert {r["day"]: r["completed"] for r in rows}.get(dt.date(2026, 10, 13)) == 1  # `late`, 00:30 local
    assert {r["day"]: r["completed"] for r in rows}.get(dt.date(2026, 10, 12), 0) == 0


def test_month_rows_are_the_sums_of_their_days(world):
    upkeep.rebuild()
    month = CaseMonth.objects.filter(month=OCT_1, department=world.a)
    days = CaseDay.objects.filter(day__gte=OCT_1, day__lte=OCT_31, department=world.a)
    assert sum(m.received for m in month) == sum(d.received for d in days) == 7


def test_upkeep_follows_a_voided_case_and_a_new_one(world):
    upkeep.rebuild()
    case = Case.objects.filter(department=world.a, state=State.COMPLETED).first()
    received_on = clock.local_date(case.received_at)
    before = query.total(received_on, received_on, scope=Scope(departments=(world.a.pk,)))["received"]
    # A change without an action's trail is only seen by a rebuild; the trail is what upkeep reads.
    from shenpi.cases.models import CaseEvent
    Case.objects.filter(pk=case.pk).update(state=State.VOIDED)
    CaseEvent.objects.create(case=case, action="void", at=clock.now(), to_state=State.VOIDED)
    make_case(world.a, world.item_a, world.people_a["clerk"], received=clock.now(), state=State.IN_PROGRESS)
    new = Case.objects.latest("pk")
    CaseEvent.objects.create(case=new, action="receive", at=clock.now(), to_state=State.RECEIVED)
    upkeep.keep_up()
    assert query.total(received_on, received_on, scope=Scope(departments=(world.a.pk,)))["received"] == before - 1
    assert query.total(clock.today(), clock.today())["received"] == 1


def test_an_action_is_counted_by_difference_without_recounting_a_day(world):
    """Completing a case today: the window of recent moments brings it; no day is recounted whole."""
    from shenpi.cases.models import CaseEvent
    upkeep.rebuild()
    case = Case.objects.filter(department=world.a, state=State.IN_PROGRESS).first()
    Case.objects.filter(pk=case.pk).update(state=State.COMPLETED, completed_at=clock.now(), used_days=3)
    CaseEvent.objects.create(case=case, action="complete", at=clock.now(), to_state=State.COMPLETED)
    result = upkeep.keep_up_family(upkeep.FAMILIES[upkeep.CASES])
    assert result.days == 0 and result.cases == 1
    assert query.total(clock.today(), clock.today())["completed"] == 1
    # Every counter still equals the direct count (a rebuild changes nothing).
    first, last = dt.date(2026, 9, 1), clock.today()
    kept = query.total(first, last)
    upkeep.rebuild()
    assert query.total(first, last) == kept


def test_a_late_commit_within_the_margin_and_repeated_runs_count_once(world):
    """Runs overlap by MARGIN: a moment seen by two runs is counted once; one committed late is not lost."""
    from shenpi.cases.models import CaseEvent
    upkeep.rebuild()
    family = upkeep.FAMILIES[upkeep.CASES]
    clerk = world.people_a["clerk"]
    make_case(world.a, world.item_a, clerk, received=clock.now(), state=State.IN_PROGRESS)
    CaseEvent.objects.create(case=Case.objects.latest("pk"), action="receive", at=clock.now(), to_state=State.RECEIVED)
    with clock.frozen(clock.now() + dt.timedelta(seconds=30)):
        upkeep.keep_up_family(family)
    with clock.frozen(clock.now() + dt.timedelta(seconds=60)):
        # Received 45 s ago, committed only now (after the last run): still within the margin.
        make_case(world.a, world.item_a, clerk, received=clock.now() - dt.timedelta(seconds=45),
                  state=State.IN_PROGRESS)
        upkeep.keep_up_family(family)
        upkeep.keep_up_family(family)
        today = clock.today()
        assert query.total(today, today)["received"] == 2
        kept = query.total(dt.date(2026, 9, 1), today)
        upkeep.rebuild()
        assert query.total(dt.date(2026, 9, 1), today) == kept


def test_voiding_an_old_case_recounts_the_days_it_was_counted_on(world):
    from shenpi.cases.models import CaseEvent
    upkeep.rebuild()
    case = Case.objects.filter(department=world.a, state=State.COMPLETED).first()
    completed_on = clock.local_date(case.completed_at)
    before = query.total(completed_on, completed_on)["completed"]
    Case.objects.filter(pk=case.pk).update(state=State.VOIDED)
    CaseEvent.objects.create(case=case, action="void", at=clock.now(), to_state=State.VOIDED)
    result = upkeep.keep_up_family(upkeep.FAMILIES[upkeep.CASES])
    assert result.days >= 2  # its receipt, acceptance and completion days
    assert query.total(completed_on, completed_on)["completed"] == before - 1


def test_a_live_day_counts_the_last_minutes_without_a_run(world):
    """The wall screen's today: what the upkeep settled, plus the moments since its window counted now."""
    upkeep.rebuild()
    today = clock.today()
    before = upkeep.live_day(today, ["received", "completed"])
    make_case(world.a, world.item_a, world.people_a["clerk"], received=clock.now(), state=State.IN_PROGRESS)
    assert upkeep.live_day(today, ["received", "completed"]) == {**before, "received": before["received"] + 1}
    upkeep.keep_up_family(upkeep.FAMILIES[upkeep.CASES])  # settled by a run: the same figure
    assert upkeep.live_day(today, ["received"])["received"] == before["received"] + 1
