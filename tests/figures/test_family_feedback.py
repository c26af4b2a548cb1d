"""The feedback families (好差评, 投诉) equal direct counts over the ratings and complaints, by local day,
with the assessment's 满意率, and follow new ratings and upheld appeals after keep_up()."""

import datetime as dt

import pytest

from shenpi import clock
from shenpi.cases.models import Case
from shenpi.feedback import services
from shenpi.feedback.models import Complaint, Rating, RatingAppeal, RatingFollowUp
from shenpi.figures import upkeep
from shenpi.figures.query import Scope
from shenpi.reports.feedback_reports import FEEDBACK
from shenpi.reports.registry import Ask
from tests.performance.conftest import at

OCT_1, OCT_31 = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
NOV_1, NOV_30 = dt.date(2026, 11, 1), dt.date(2026, 11, 30)


def rating(world, dept, level, rated, *, case=None, excluded=False, visited=None, done=None, by_default=False):
    r = Rating.objects.create(case=case, window=case.window if case else world.people_a["clerk"].window,
                              department=dept, level=level, rated_at=rated, excluded=excluded,
                              by_default=by_default, reason="态度差" if level <= 2 else "")
    if level <= 2:
        RatingFollowUp.objects.create(rating=r, department=dept, due=dt.date(2026, 11, 20), visited_at=visited,
                                      done_at=done)
    return r


def complaint(dept, number, filed, due, *, answered=None, case=None):
    return Complaint.objects.create(
        number=number, subject=Complaint.Subject.CASE if case else Complaint.Subject.WINDOW, case=case,
        department=dept, complainant="李四", mobile="13800000000", mobile_masked="138****0000", content="等太久",
        filed_at=filed, answer_due=due, status=Complaint.Status.ANSWERED if answered else Complaint.Status.OPEN,
        answer="已处理" if answered else "", answered_at=answered)


@pytest.fixture
def planted(world):
    c, a, b = world.cases, world.a, world.b
    rating(world, a, 5, at(2026, 10, 31, 23, 30), case=c["on_time"])           # October, late evening
    rating(world, a, 3, at(2026, 11, 1, 0, 30))                                # November (still 10-31 in UTC)
    rating(world, a, 1, at(2026, 10, 15), case=c["early"], visited=at(2026, 10, 16), done=at(2026, 10, 18))
    rating(world, a, 2, at(2026, 10, 16), case=c["late"], excluded=True)      # appeal upheld: apart
    rating(world, a, 2, at(2026, 10, 20), visited=at(2026, 10, 21))           # a window's, visited only
    rating(world, a, 3, at(2026, 10, 29), case=c["spot"], by_default=True)
    world.case_b = Case.objects.filter(department=b).order_by("pk").first()
    rating(world, b, 4, at(2026, 10, 21), case=world.case_b)
    complaint(a, "TS1", at(2026, 10, 31, 23, 50), dt.date(2026, 11, 2), answered=at(2026, 11, 3),
              case=c["on_time"])                                                # answered late
    complaint(a, "TS2", at(2026, 10, 10), dt.date(2026, 10, 20))                # open, past due
    complaint(a, "TS3", at(2026, 10, 12), dt.date(2026, 10, 22), answered=at(2026, 10, 22, 23, 0))  # on time
    complaint(b, "TS4", at(2026, 11, 1, 0, 10), dt.date(2026, 11, 12))          # November, open, not due
    upkeep.rebuild()
    return world


def ask(first, last, by=("department",), **scope):
    return Ask(first, last, Scope(**scope), by=by)


def direct(dept, first, last) -> dict:
    """The figures written independently, with plain filters over the ratings and complaints."""
    start, end = clock.days_range(first, last)
    ratings = Rating.objects.filter(department=dept, rated_at__gte=start, rated_at__lt=end)
    counted = ratings.filter(excluded=False)
    bad = counted.filter(level__in=(1, 2))
    good = (5, 4, 3) if services.settings.SATISFACTION_COUNTS_BASIC else (5, 4)
    complaints = Complaint.objects.filter(department=dept, filed_at__gte=start, filed_at__lt=end)
    late = [x for x in complaints if (x.answered_at and clock.local_date(x.answered_at) > x.answer_due)
            or (x.answered_at is None and x.answer_due < clock.today())]
    return {"rated": counted.count(), "satisfied": counted.filter(level__in=good).count(),
            "basic": counted.filter(level=3).count(), "bad": bad.count(),
            "visited": bad.filter(follow_up__visited_at__isnull=False).count(),
            "rectified": bad.filter(follow_up__done_at__isnull=False).count(),
            "excluded": ratings.filter(excluded=True).count(), "by_default": counted.filter(by_default=True).count(),
            "complaints": complaints.count(), "answered": complaints.filter(status="answered").count(),
            "open": complaints.filter(status="open").count(), "overdue": len(late)}


def by_department(first, last):
    return {r["department"]: r for r in FEEDBACK.rows(ask(first, last))}


def test_each_figure_equals_a_direct_count_across_midnight_and_the_months_end(planted):
    for first, last in ((OCT_1, OCT_31), (NOV_1, NOV_30), (dt.date(2026, 10, 16), dt.date(2026, 11, 1))):
        rows = by_department(first, last)
        for dept in (planted.a, planted.b):
            expected = direct(dept, first, last)
            got = rows.get(dept.pk)
            if not any(expected.values()):
                assert got is None
                continue
            assert {k: got[k] for k in expected} == expected, (first, last, dept.name)


def test_known_october_figures_of_department_a(planted):
    a = by_department(OCT_1, OCT_31)[planted.a.pk]
    # 4 counted (the 23:30 one on 31 October in, the 00:30 one on 1 November out, the appealed one apart).
    assert (a["rated"], a["satisfied"], a["bad"], a["excluded"], a["by_default"]) == (4, 2, 2, 1, 1)
    assert a["satisfaction_rate"] == 50
    assert (a["visited"], a["rectified"], a["visit_rate"], a["rectify_rate"]) == (2, 1, 100, 50)
    assert (a["complaints"], a["answered"], a["overdue"], a["open"]) == (3, 2, 2, 1)


def test_satisfaction_is_the_assessments_own(planted, settings):
    for counts_basic in (True, False):
        settings.SATISFACTION_COUNTS_BASIC = counts_basic
        assessed = services.satisfaction([planted.a.pk], OCT_1, OCT_31)[planted.a.pk]
        row = by_department(OCT_1, OCT_31)[planted.a.pk]
        assert (row["rated"], row["satisfied"]) == (assessed["ratings"], assessed["satisfied"])
        assert row["satisfaction_rate"] == 100 * row["satisfied"] / row["rated"]
        assert row["visited"] == assessed["visited"] and row["rectified"] == assessed["rectified"]
    assert row["satisfied"] == 1  # without 基本满意


def test_grouped_by_month_and_item(planted):
    months = {r["month"]: r for r in FEEDBACK.rows(ask(OCT_1, NOV_30, by=("month",)))}
    assert months[OCT_1]["rated"] == 5 and months[NOV_1]["rated"] == 1
    assert months[OCT_1]["complaints"] == 3 and months[NOV_1]["complaints"] == 1
    items = {r["item"]: r for r in FEEDBACK.rows(ask(OCT_1, OCT_31, by=("item",)))}
    assert items[planted.item_a.pk]["rated"] == 3       # rated cases of A's item (the appealed one apart)
    assert items[None]["rated"] == 1                    # the window's 一次一评 has no item
    assert items[planted.item_b.pk]["rated"] == 1


def test_drill_down_lists_exactly_the_rated_cases(planted):
    c = planted.cases
    key = {"department": planted.a.pk}
    oct_a = ask(OCT_1, OCT_31)
    assert set(FEEDBACK.cases(oct_a, key, "rated")) == {c["on_time"], c["early"], c["spot"]}
    assert set(FEEDBACK.cases(oct_a, key, "bad")) == {c["early"]}
    assert set(FEEDBACK.cases(oct_a, key, "excluded")) == {c["late"]}
    assert set(FEEDBACK.cases(oct_a, key, "complaints")) == {c["on_time"]}
    assert set(FEEDBACK.cases(ask(NOV_1, NOV_30), key, "rated")) == set()
    month = FEEDBACK.cases(ask(OCT_1, NOV_30, by=("month",)), {"month": OCT_1}, "satisfied")
    assert set(month) == {c["on_time"], c["spot"], planted.case_b}
    assert FEEDBACK.cases(oct_a, key, "satisfaction_rate") is None


def test_upkeep_picks_up_a_new_rating_and_an_upheld_appeal(planted):
    upkeep.keep_up()
    before = by_department(OCT_1, OCT_31)[planted.a.pk]
    rating(planted, planted.a, 4, at(2026, 10, 31, 23, 59))      # written with an October time, after the run
    bad = Rating.objects.get(case=planted.cases["early"])
    RatingAppeal.objects.create(rating=bad, by="department", reason="恶意差评", requested_at=clock.now(),
                                decision="upheld", decided_at=clock.now())
    Rating.objects.filter(pk=bad.pk).update(excluded=True)
    upkeep.keep_up()
    after = by_department(OCT_1, OCT_31)[planted.a.pk]
    assert after["rated"] == before["rated"] and after["satisfied"] == before["satisfied"] + 1
    assert (after["bad"], after["excluded"]) == (before["bad"] - 1, before["excluded"] + 1)
    assert after == {**after, **direct(planted.a, OCT_1, OCT_31)}


def test_upkeep_picks_up_an_answer(planted):
    upkeep.keep_up()
    Complaint.objects.filter(number="TS4").update(status="answered", answered_at=clock.now(), answer="已答复")
    upkeep.keep_up()
    assert by_department(NOV_1, NOV_30)[planted.b.pk]["answered"] == 1
