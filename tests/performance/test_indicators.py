"""Indicators counted from cases, steps, suspensions and alerts, against the figures in conftest.py."""

import datetime as dt
from fractions import Fraction

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shenpi.performance import services
from shenpi.performance.indicators import compute
from shenpi.performance.periods import Period

from .conftest import at, make_case

OCTOBER = Period.parse("2026-10")


def test_department_figures_of_a_month(world):
    a = compute(OCTOBER, "department")[world.a.pk]
    assert (a.received, a.online, a.accepted, a.completed) == (7, 1, 6, 5)
    assert (a.on_time, a.early, a.on_the_spot, a.denied, a.refused) == (4, 2, 1, 1, 1)
    assert a.on_time_rate == 80 and a.early_rate == 40 and a.on_the_spot_rate == 20
    assert a.online_rate == Fraction(100, 7)
    assert a.avg_used_days == Fraction(22, 5) and a.avg_promised_days == 6
    assert a.suspensions == 1
    assert (a.warnings, a.yellow_cards, a.red_cards, a.cards_answered) == (7, 1, 1, 1)
    assert a.rectification_rate == 50
    assert a.procedure_flagged == 1 and a.procedure_rate == 80
    assert a.fee_flagged == 0 and a.fee_rate == 100


def test_completion_counts_by_local_date(world):
    """Completed at 23:30 on the due day is on time; at 00:30 the day after is late, whatever UTC says."""
    a = compute(OCTOBER, "department")[world.a.pk]
    # on_time (23:30 on the due day) and spot are on time but not early; late is late.
    assert a.on_time - a.early == 2
    assert a.completed - a.on_time == 1


def test_complaints_and_ratings_count_for_departments(world):
    from shenpi.feedback.models import Complaint, Rating

    moment = timezone.make_aware(dt.datetime(2026, 10, 12, 10))
    Complaint.objects.create(number="TS20261012TEST0001", subject=Complaint.Subject.OTHER, department=world.a,
                             complainant="赵六", mobile="13912345678", content="窗口推诿", filed_at=moment,
                             answer_due=dt.date(2026, 10, 26))
    for level in (5, 4, 3, 1):  # 非常满意, 满意, 基本满意 (counted as satisfied by default), 非常不满意
        Rating.objects.create(department=world.a, level=level, rated_at=moment, reason="多次往返" if level == 1 else "")
    a = compute(OCTOBER, "department")[world.a.pk]
    assert (a.complaints, a.rated, a.satisfied) == (1, 4, 3)
    assert a.satisfaction_rate == 75
    assert (a.bad_ratings, a.bad_visited, a.bad_rectified, a.rectify_rate, a.visit_rate) == (1, 0, 0, 0, 0)
    b = compute(OCTOBER, "department")[world.b.pk]
    assert (b.complaints, b.rated, b.satisfaction_rate) == (0, 0, None)  # no rating: "—"
    assert compute(OCTOBER, "window") and all(w.complaints is None for w in compute(OCTOBER, "window").values())


def test_other_departments_and_months_are_apart(world):
    rows = compute(OCTOBER, "department")
    b = rows[world.b.pk]
    assert (b.received, b.completed, b.on_time, b.early, b.warnings) == (2, 2, 2, 0, 0)
    assert b.rectification_rate == 100  # no card: nothing to reproach
    september = compute(Period.parse("2026-09"), "department")[world.a.pk]
    assert (september.received, september.completed, september.early, september.warnings) == (1, 1, 1, 1)
    assert september.suspensions == 1


def test_a_quarter_counts_its_months_together(world):
    q3, q4 = compute(Period.parse("2026-Q3"), "department"), compute(Period.parse("2026-Q4"), "department")
    assert q3[world.a.pk].completed == 1 and q4[world.a.pk].completed == 5
    year = compute(Period.parse("2026"), "department")[world.a.pk]
    assert (year.received, year.completed, year.warnings, year.suspensions) == (8, 6, 8, 2)


def test_window_level_counts_the_cases_of_each_window(world):
    rows = compute(OCTOBER, "window")
    window_a, window_b = world.people_a["clerk"].window, world.people_b["clerk"].window
    assert set(rows) == {window_a.pk, window_b.pk}
    assert (rows[window_a.pk].received, rows[window_a.pk].completed, rows[window_a.pk].on_time) == (7, 5, 4)
    # Alerts reach a window through their case: the two cards on `late`, not the warnings without a case.
    assert (rows[window_a.pk].warnings, rows[window_a.pk].yellow_cards, rows[window_a.pk].red_cards) == (0, 1, 1)
    assert rows[window_a.pk].suspensions == 1


def test_person_level_counts_each_case_once_per_person(world):
    rows = compute(OCTOBER, "person")
    clerk, handler, reviewer = (world.people_a[r] for r in ("clerk", "handler", "reviewer"))
    # The clerk received the five completed cases (and finished a step of `denied`: still five).
    assert (rows[clerk.pk].received, rows[clerk.pk].accepted, rows[clerk.pk].completed) == (7, 6, 5)
    assert rows[clerk.pk].refused == 1 and rows[clerk.pk].yellow_cards == 1
    # The handler finished steps of on_time (twice) and early: two cases, both on time, one early.
    h = rows[handler.pk]
    assert (h.received, h.completed, h.on_time, h.early, h.used_days) == (0, 2, 2, 1, 11)
    assert (h.warnings, h.red_cards, h.suspensions) == (7, 1, 1)
    r = rows[reviewer.pk]
    assert (r.completed, r.on_time, r.early) == (1, 1, 0)


def test_indicator_table_totals_departments(world):
    table = services.indicator_table(OCTOBER, "department", world.people_a["supervisor"])
    assert [subject.name for subject, _ in table.rows] == ["住房和城乡建设局", "市场监督管理局"]
    assert (table.total.received, table.total.completed, table.total.on_time) == (9, 7, 6)
    assert table.total.complaints == 0


def test_staff_see_only_their_department(world):
    table = services.indicator_table(OCTOBER, "person", world.people_b["handler"])
    assert {subject.department_id for subject, _ in table.rows} == {world.b.pk}
    assert table.total is None
    table = services.indicator_table(OCTOBER, "department", world.people_a["liaison"])
    assert [subject.key for subject, _ in table.rows] == [world.a.pk] and table.total is None


def test_queries_do_not_grow_with_the_cases(world):
    """Set-based: a month of a level is a fixed handful of queries, however many cases there are."""
    def count(level):
        with CaptureQueriesContext(connection) as queries:
            services.assess(OCTOBER, level)
        return len(queries)

    before = {level: count(level) for level in ("department", "window", "person")}
    for day in range(1, 21):
        make_case(world.a, world.item_a, world.people_a["clerk"], received=at(2026, 10, day),
                  completed=at(2026, 10, day, 16), due=OCTOBER.first.replace(day=day), used=1)
    assert {level: count(level) for level in before} == before
    # Case figures (the aggregates: their freshness check, two queries, and one read), alerts, stops,
    # ratings, complaints; jit on PostgreSQL.
    assert before["department"] <= 18


def test_the_planner_settings_are_left_as_they_were(world):
    if connection.vendor != "postgresql":
        return
    read = "SELECT current_setting('jit'), current_setting('random_page_cost')"
    with connection.cursor() as cursor:
        cursor.execute("SET random_page_cost = 3")
        cursor.execute(read)
        before = cursor.fetchone()
        compute(OCTOBER, "person")
        cursor.execute(read)
        assert cursor.fetchone() == before == (before[0], "3")
