"""The process family's aggregates equal direct counts over the stops, corrections and refusals.

Planted on the performance tests' small city (tests/performance/conftest.py), with moments around
midnight in Asia/Shanghai (00:20 local is still the day before in UTC) and at a month's end.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict

import pytest

from shenpi import clock
from shenpi.cases.models import Case, CaseEvent, ClockStop, Notice, State
from shenpi.figures import family_process as process
from shenpi.figures import upkeep
from shenpi.figures.models import SuspensionDay, SuspensionMonth
from shenpi.workdays.services import get_calendar
from tests.performance.conftest import at, make_case, stop

OCT_1, OCT_31 = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
NOV_1 = dt.date(2026, 11, 1)
SPANS = [(OCT_1, OCT_31), (dt.date(2026, 9, 15), dt.date(2026, 10, 12)), (OCT_31, NOV_1), (NOV_1, NOV_1),
         (dt.date(2026, 1, 1), dt.date(2026, 12, 31))]
_notices = itertools.count(1)


def end(s: ClockStop, ended: dt.datetime, days: int, kind: str | None = None) -> ClockStop:
    s.ended_at, s.stopped_days = ended, days
    s.kind_name = kind or s.kind_name
    s.save()
    return s


def correction(case: Case, requested: dt.datetime, corrected: dt.datetime | None = None) -> Case:
    case.correction_requested_at, case.corrected_at, case.correction_count = requested, corrected, 1
    case.save(update_fields=["correction_requested_at", "corrected_at", "correction_count"])
    Notice.objects.create(case=case, kind=Notice.Kind.CORRECTION, number=f"{case.number}-B{next(_notices)}",
                          issued_at=requested)
    return case


def refused(world, dept, item, clerk, closed: dt.datetime, reason: str) -> Case:
    case = make_case(dept, item, clerk, received=closed - dt.timedelta(hours=2), state=State.REFUSED, closed=closed)
    Case.objects.filter(pk=case.pk).update(closing_reason=reason)
    return case


@pytest.fixture
def planted(world):
    """Stops, corrections and refusals of departments A and B in September–November 2026."""
    c, a, b, item_a = world.cases, world.a, world.b, world.item_a
    clerk_a, clerk_b = world.people_a["clerk"], world.people_b["clerk"]
    # `online` has a 补件 started 10-22 and still running; `september` one started 09-15: it ends 10-09.
    end(ClockStop.objects.get(case=c["september"]), at(2026, 10, 9), 18)
    end(stop(c["early"], at(2026, 10, 10)), at(2026, 10, 14), 2, "专家评审")
    end(stop(c["on_time"], at(2026, 10, 12)), at(2026, 10, 31, 23, 50), 14)   # ends on the month's last evening
    end(stop(c["denied"], at(2026, 10, 13)), at(2026, 11, 1, 0, 20), 13)      # 00:20 local: November (UTC: 10-31)
    end(stop(c["late"], at(2026, 9, 1)), at(2026, 10, 5), 25, "听证")
    end(stop(c["spot"], at(2026, 10, 16, 0, 10)), at(2026, 10, 19), 1, "听证")  # starts 00:10 local (UTC: 10-15)
    stop(c["voided"], at(2026, 10, 23))                                      # a voided case's stop: never counted
    b_case = make_case(b, world.item_b, clerk_b, received=at(2026, 10, 13), completed=at(2026, 10, 28),
                       due=dt.date(2026, 10, 30), limit=10, used=8)
    end(stop(b_case, at(2026, 10, 14)), at(2026, 10, 20), 4)
    # Corrections (补正).
    correction(c["on_time"], at(2026, 10, 9, 15), at(2026, 10, 12, 9))
    correction(c["refused"], at(2026, 10, 22, 9))                            # never corrected
    correction(c["denied"], at(2026, 10, 12, 0, 10), at(2026, 10, 31, 23, 59))
    correction(c["voided"], at(2026, 10, 23, 11), at(2026, 10, 24))
    late = make_case(a, item_a, clerk_a, received=at(2026, 10, 30), state=State.IN_PROGRESS)
    correction(late, at(2026, 10, 30, 16), at(2026, 11, 2, 0, 5))
    # Refusals: world's `refused` (10-22, 材料不符合法定形式), and these.
    refused(world, a, item_a, clerk_a, at(2026, 10, 31, 23, 50), "材料不符合法定形式")
    refused(world, a, item_a, clerk_a, at(2026, 11, 1, 0, 10), "不属于本机关职权范围")
    refused(world, a, item_a, clerk_a, at(2026, 10, 5), "不属于本机关职权范围")
    refused(world, b, world.item_b, clerk_b, at(2026, 10, 15), "申请人不具备资格")
    return world


# -- direct counts over the source rows, written independently of the family's querysets -----------------
def _bin(days: int) -> str:
    return "len_5" if days <= 5 else "len_10" if days <= 10 else "len_20" if days <= 20 else "len_over"


def direct_suspensions(first: dt.date, last: dt.date, department) -> dict[str, Counter]:
    out: dict[str, Counter] = defaultdict(Counter)
    inside = lambda moment: moment is not None and first <= clock.local_date(moment) <= last  # noqa: E731
    for s in ClockStop.objects.select_related("case"):
        if s.case.state == State.VOIDED or s.case.department_id != department.pk:
            continue
        out[s.kind_name]["started"] += inside(s.started_at)
        if inside(s.ended_at):
            out[s.kind_name].update(ended=1, days=s.stopped_days, **{_bin(s.stopped_days): 1})
    calendar = get_calendar()
    for case in Case.objects.filter(department=department).exclude(state=State.VOIDED):
        out["补正"]["started"] += inside(case.correction_requested_at)
        if case.correction_requested_at and inside(case.corrected_at):
            days = calendar.between(clock.local_date(case.correction_requested_at), clock.local_date(case.corrected_at))
            out["补正"].update(ended=1, days=days, **{_bin(days): 1})
    for notice in Notice.objects.filter(kind=Notice.Kind.CORRECTION, case__department=department).exclude(
            case__state=State.VOIDED):
        out["补正"]["notices"] += inside(notice.issued_at)
    return {kind: counts for kind, counts in out.items() if any(counts.values())}


def figures_by_kind(first, last, department) -> dict[str, Counter]:
    rows = process.suspension_totals(first, last, by=("kind",), departments=(department.pk,))
    return {row.pop("kind"): Counter({k: v for k, v in row.items() if v}) for row in rows}


def direct_refusals(first, last, department) -> Counter:
    return Counter(case.closing_reason for case in Case.objects.filter(department=department, state=State.REFUSED)
                   if first <= clock.local_date(case.closed_at) <= last)


def test_october_of_department_a(planted):
    upkeep.rebuild()
    got = figures_by_kind(OCT_1, OCT_31, planted.a)
    # 补件: `online` 10-22 and `on_time` 10-12 started; `september` (18 days) and `on_time` (14) ended.
    assert got["补件"] == Counter(started=3, ended=2, days=32, len_20=2)  # + `denied` started 10-13
    assert got["专家评审"] == Counter(started=1, ended=1, days=2, len_5=1)
    assert got["听证"] == Counter(started=1, ended=2, days=26, len_over=1, len_5=1)
    # 补正: requested on_time, refused, denied, late; completed on_time (10-09 → 10-12) and denied (→ 10-31).
    calendar = get_calendar()
    quick, slow = (calendar.between(dt.date(2026, 10, 9), dt.date(2026, 10, 12)),
                   calendar.between(dt.date(2026, 10, 12), dt.date(2026, 10, 31)))
    assert (quick, slow) in ((1, 14), (2, 14), (2, 15))  # depends on the year's make-up working days
    assert got["补正"] == Counter(started=4, notices=4, ended=2, days=quick + slow, **{_bin(quick): 1}) + Counter(
        **{_bin(slow): 1})
    refusals = process.refusal_totals(OCT_1, OCT_31, by=("reason",), departments=(planted.a.pk,))
    assert {r["reason"]: r["refused"] for r in refusals} == {"材料不符合法定形式": 2, "不属于本机关职权范围": 1}


def test_every_figure_equals_a_direct_count_for_any_span(planted):
    upkeep.rebuild()
    for first, last in SPANS:
        for department in (planted.a, planted.b):
            assert figures_by_kind(first, last, department) == direct_suspensions(first, last, department), \
                (first, last, department.name)
            rows = process.refusal_totals(first, last, by=("reason",), departments=(department.pk,))
            assert Counter({r["reason"]: r["refused"] for r in rows}) == direct_refusals(first, last, department)


def test_moments_after_midnight_count_on_their_local_day(planted):
    upkeep.rebuild()
    november = figures_by_kind(NOV_1, NOV_1, planted.a)
    assert november["补件"] == Counter(ended=1, days=13, len_20=1)  # `denied`'s stop, 00:20 local
    oct_15 = figures_by_kind(dt.date(2026, 10, 15), dt.date(2026, 10, 15), planted.a)
    assert "听证" not in oct_15  # `spot`'s stop began 00:10 on 10-16 local
    assert process.refusal_totals(NOV_1, NOV_1, departments=(planted.a.pk,))[0]["refused"] == 1


def test_month_rows_are_the_sums_of_their_days(planted):
    upkeep.rebuild()
    for kind in ("补件", "补正"):
        days = SuspensionDay.objects.filter(day__gte=OCT_1, day__lte=OCT_31, department=planted.a, kind=kind)
        month = SuspensionMonth.objects.filter(month=OCT_1, department=planted.a, kind=kind)
        for column in ("started", "ended", "days"):
            assert sum(getattr(r, column) for r in days) == sum(getattr(r, column) for r in month) > 0
    notices = SuspensionMonth.objects.get(month=OCT_1, department=planted.a, item=planted.item_a, kind="补正").notices
    assert notices == 4


def test_drill_down_returns_exactly_the_counted_cases(planted):
    upkeep.rebuild()
    a = planted.a
    for kind in ("补件", "听证", "补正"):
        for column in ("started", "ended", "len_5", "len_20", "len_over", "notices"):
            cases = set(process.cases_behind(column, OCT_1, OCT_31, kind=kind).filter(department=a))
            expected = _direct_cases(column, kind, a)
            assert cases == expected, (kind, column)
            counted = figures_by_kind(OCT_1, OCT_31, a).get(kind, Counter())[column]
            assert len(cases) == counted, (kind, column)  # one stop per case here: cases = stops
    refused_cases = set(process.refusals_behind(OCT_1, OCT_31, reason="材料不符合法定形式").filter(department=a))
    assert len(refused_cases) == 2
    assert all(c.state == State.REFUSED and c.closing_reason == "材料不符合法定形式" for c in refused_cases)


def _direct_cases(column: str, kind: str, department) -> set[Case]:
    inside = lambda moment: moment is not None and OCT_1 <= clock.local_date(moment) <= OCT_31  # noqa: E731
    out = set()
    if kind == "补正":
        calendar = get_calendar()
        for case in Case.objects.filter(department=department).exclude(state=State.VOIDED):
            requested, corrected = case.correction_requested_at, case.corrected_at
            asked = column in ("started", "notices") and inside(requested)
            done = requested and inside(corrected) and column in ("ended", _bin(calendar.between(
                clock.local_date(requested), clock.local_date(corrected))))
            if asked or done:
                out.add(case)
        return out
    if column == "notices":
        return out
    for s in ClockStop.objects.filter(kind_name=kind, case__department=department).exclude(case__state=State.VOIDED):
        if column == "started" and inside(s.started_at) or column in ("ended", _bin(s.stopped_days)) and inside(
                s.ended_at):
            out.add(s.case)
    return out


def test_upkeep_picks_up_a_new_suspension_an_ended_one_and_a_refusal(planted):
    upkeep.rebuild()
    today = clock.today()
    c = planted.cases
    # A new 补件 through an action's trail event, and a stop ended through its case's resume event.
    new = stop(c["spot"], clock.now())
    CaseEvent.objects.create(case=c["spot"], action="request_supplement", at=clock.now(), to_state=State.SUSPENDED)
    running = ClockStop.objects.get(case=c["online"])
    end(running, clock.now(), 9)
    CaseEvent.objects.create(case=c["online"], action="resume", at=clock.now(), to_state=State.IN_PROGRESS)
    gone = refused(planted, planted.a, planted.item_a, planted.people_a["clerk"], clock.now(), "重复申请")
    CaseEvent.objects.create(case=gone, action="refuse", at=clock.now(), to_state=State.REFUSED)
    before = figures_by_kind(today, today, planted.a)
    assert before == {}
    upkeep.keep_up()
    assert figures_by_kind(today, today, planted.a)["补件"] == Counter(started=1, ended=1, days=9, len_10=1)
    assert process.refusal_totals(today, today, by=("reason",))[0] == {"reason": "重复申请", "refused": 1}
    assert set(process.cases_behind("started", today, today)) == {new.case}
    # Voiding a case (an event on it) takes its figures out of every day they were on.
    Case.objects.filter(pk=c["online"].pk).update(state=State.VOIDED)
    CaseEvent.objects.create(case=c["online"], action="void", at=clock.now(), to_state=State.VOIDED)
    upkeep.keep_up()
    assert figures_by_kind(today, today, planted.a)["补件"] == Counter(started=1)
    assert figures_by_kind(dt.date(2026, 10, 22), dt.date(2026, 10, 22), planted.a).get("补件") is None


def test_a_full_rebuild_covers_the_family(planted):
    result = upkeep.rebuild()
    assert result.rebuilt and upkeep.as_of(process.FAMILY) is not None
    assert SuspensionDay.objects.exists()
