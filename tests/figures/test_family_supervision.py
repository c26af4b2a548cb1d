"""The supervision families' aggregates equal direct counts over the alerts and the orders.

Planted on the performance tests' small city (tests/performance/conftest.py: seven warnings, a yellow
and a red card of department A in October), with alerts and orders around midnight in Asia/Shanghai
and at a month's end.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

import pytest

from shenpi import clock
from shenpi.figures import family_supervision as supervision
from shenpi.figures import upkeep
from shenpi.figures.models import AlertDay
from shenpi.supervision.models import Alert, Level, Order, OrderEntry
from tests.performance.conftest import alert as plant_alert
from tests.performance.conftest import at, make_case

OCT_1, OCT_31, NOV_1 = dt.date(2026, 10, 1), dt.date(2026, 10, 31), dt.date(2026, 11, 1)
SPANS = [(OCT_1, OCT_31), (dt.date(2026, 9, 20), dt.date(2026, 10, 12)), (OCT_31, NOV_1), (NOV_1, NOV_1),
         (dt.date(2026, 1, 1), dt.date(2026, 12, 31))]
_numbers = itertools.count(1)


def order(world, dept, issued: dt.datetime, reply_due: dt.date, *, cases=(), alerts=(), replies=(),
          accepted: dt.datetime | None = None) -> Order:
    supervisor = world.people_a["reviewer"]
    status = Order.Status.ACCEPTED if accepted else Order.Status.ANSWERED if replies else Order.Status.OPEN
    o = Order.objects.create(number=f"DB{next(_numbers):06d}", title="督办", demand="限期整改", department=dept,
                             issued_by=supervisor, issued_at=issued, reply_due=reply_due, status=status,
                             closed_at=accepted)
    o.cases.set(cases)
    o.alerts.set(alerts)
    OrderEntry.objects.create(order=o, kind=OrderEntry.Kind.ISSUE, text="限期整改", by=supervisor, at=issued,
                              reply_due=reply_due)
    for moment in replies:
        OrderEntry.objects.create(order=o, kind=OrderEntry.Kind.REPLY, text="已整改", by=supervisor, at=moment)
    if accepted:
        OrderEntry.objects.create(order=o, kind=OrderEntry.Kind.ACCEPT, text="", by=supervisor, at=accepted)
    return o


@pytest.fixture
def planted(world):
    c, a, b = world.cases, world.a, world.b
    handler = world.people_a["handler"]
    red = Alert.objects.get(level=Level.RED, case=c["late"])
    plant_alert("time.case", Level.RED, a, at(2026, 10, 31, 23, 40), case=c["on_time"], responsible=handler)
    plant_alert("proc.no_reason", Level.YELLOW, a, at(2026, 11, 1, 0, 15), case=c["denied"])  # UTC: 10-31
    plant_alert("time.step", Level.YELLOW, a, at(2026, 10, 25), subject="step:77", answered=True)  # no case
    b_case = make_case(b, world.item_b, world.people_b["clerk"], received=at(2026, 10, 10),
                       completed=at(2026, 10, 20), due=dt.date(2026, 10, 24), limit=5, used=4)
    closed = plant_alert("fee.off_standard", Level.YELLOW, b, at(2026, 10, 20), case=b_case)
    Alert.objects.filter(pk=closed.pk).update(status=Alert.Status.CLOSED, closed_at=at(2026, 10, 22))
    order(world, a, at(2026, 10, 13), dt.date(2026, 10, 20), cases=[c["late"]], alerts=[red],
          replies=[at(2026, 10, 19)], accepted=at(2026, 10, 21))
    order(world, a, at(2026, 10, 31, 23, 30), dt.date(2026, 11, 3), cases=[c["on_time"]])  # overdue by 11-05
    order(world, a, at(2026, 11, 1, 0, 30), dt.date(2026, 11, 10), cases=[c["denied"]])      # UTC: 10-31
    order(world, b, at(2026, 10, 15), dt.date(2026, 10, 22), alerts=[closed],
          replies=[at(2026, 10, 16), at(2026, 10, 18)])
    return world


# -- direct counts, written independently of the family ------------------------------------------------------
def direct_alerts(first, last, department) -> Counter:
    out: Counter = Counter()
    for alert in Alert.objects.filter(department=department).select_related("rule"):
        if first <= clock.local_date(alert.detected_at) <= last:
            key = (alert.rule.category, alert.level)
            out[(*key, "raised")] += 1
            out[(*key, "answered")] += alert.answered_at is not None
            out[(*key, "still_open")] += alert.status == Alert.Status.OPEN
            out[(*key, "on_cases")] += alert.case_id is not None
    return +out


def figure_alerts(first, last, department) -> Counter:
    out: Counter = Counter()
    for row in supervision.alert_totals(first, last, by=("category", "level"), departments=(department.pk,)):
        for name in ("raised", "answered", "still_open", "on_cases"):
            out[(row["category"], row["level"], name)] += row[name]
    return +out


def direct_orders(first, last, department) -> Counter:
    inside = lambda moment: moment is not None and first <= clock.local_date(moment) <= last  # noqa: E731
    out: Counter = Counter()
    for o in Order.objects.filter(department=department):
        replies = sorted(e.at for e in o.entries.all() if e.kind == OrderEntry.Kind.REPLY)
        if inside(o.issued_at):
            out.update(issued=1, still_open=o.status != Order.Status.ACCEPTED,
                       overdue=o.status == Order.Status.OPEN and o.reply_due < clock.today())
        out["answered"] += bool(replies) and inside(replies[0])
        out["closed"] += o.status == Order.Status.ACCEPTED and inside(o.closed_at)
    return +out


def figure_orders(first, last, department) -> Counter:
    rows = supervision.order_totals(first, last, departments=(department.pk,))
    return +Counter(rows[0]) if rows else Counter()


def test_october_of_department_a(planted):
    upkeep.rebuild()
    got = figure_alerts(OCT_1, OCT_31, planted.a)
    assert got[("time", Level.WARNING, "raised")] == 7
    assert got[("time", Level.RED, "raised")] == 2          # `late` 10-12 18:00 and `on_time` 10-31 23:40
    assert got[("procedure", Level.YELLOW, "raised")] == 1  # the one at 00:15 on 11-01 is November's
    assert got[("time", Level.YELLOW, "on_cases")] == 0      # the step's card has no case
    assert figure_orders(OCT_1, OCT_31, planted.a) == Counter(issued=2, answered=1, closed=1, still_open=1,
                                                              overdue=1)
    assert figure_orders(NOV_1, NOV_1, planted.a) == Counter(issued=1, still_open=1)


def test_every_figure_equals_a_direct_count_for_any_span(planted):
    upkeep.rebuild()
    for first, last in SPANS:
        for department in (planted.a, planted.b):
            assert figure_alerts(first, last, department) == direct_alerts(first, last, department), (first, last)
            assert figure_orders(first, last, department) == direct_orders(first, last, department), (first, last)


def test_drill_down_gives_the_counted_alerts_and_their_cases(planted):
    upkeep.rebuild()
    c = planted.cases
    reds = supervision.alerts_behind("raised", OCT_1, OCT_31).filter(level=Level.RED, department=planted.a)
    assert {a.case for a in reds} == {c["late"], c["on_time"]}
    assert set(supervision.cases_of_alerts(reds)) == {c["late"], c["on_time"]}
    answered = supervision.alerts_behind("answered", OCT_1, OCT_31).filter(department=planted.a)
    assert answered.count() == 2  # the yellow card on `late` and the step's card
    assert set(supervision.cases_of_alerts(answered)) == {c["late"]}  # the step's card has no case
    overdue = supervision.orders_behind("overdue", OCT_1, OCT_31).filter(department=planted.a)
    assert set(supervision.cases_of_orders(overdue)) == {c["on_time"]}
    issued_b = supervision.orders_behind("issued", OCT_1, OCT_31).filter(department=planted.b)
    assert len(supervision.cases_of_orders(issued_b)) == 1  # through its alert's case


def test_upkeep_picks_up_new_alerts_answers_replies_and_deadlines(planted):
    upkeep.rebuild()
    a, today = planted.a, clock.today()
    new = plant_alert("time.case", Level.YELLOW, a, clock.now(), case=planted.cases["online"])
    Alert.objects.filter(level=Level.RED, case=planted.cases["late"]).update(answer="已整改", answered_at=clock.now())
    waiting = Order.objects.get(issued_at=at(2026, 11, 1, 0, 30))
    OrderEntry.objects.create(order=waiting, kind=OrderEntry.Kind.REPLY, text="整改中", by=planted.people_a["clerk"],
                              at=clock.now())
    Order.objects.filter(pk=waiting.pk).update(status=Order.Status.ANSWERED)
    upkeep.keep_up()
    assert figure_alerts(today, today, a) == Counter({("time", Level.YELLOW, "raised"): 1,
                                                      ("time", Level.YELLOW, "still_open"): 1,
                                                      ("time", Level.YELLOW, "on_cases"): 1})
    assert figure_alerts(dt.date(2026, 10, 12), dt.date(2026, 10, 12), a)[("time", Level.RED, "answered")] == 1
    assert figure_orders(today, today, a) == Counter(answered=1)
    assert set(supervision.cases_of_alerts(supervision.alerts_behind("raised", today, today))) == {new.case}
    for first, last in SPANS:
        assert figure_alerts(first, last, a) == direct_alerts(first, last, a)
        assert figure_orders(first, last, a) == direct_orders(first, last, a)


def test_a_reopened_alert_leaves_its_old_day(planted):
    upkeep.rebuild()
    a = planted.a
    old = Alert.objects.get(level=Level.RED, case=planted.cases["on_time"])
    Alert.objects.filter(pk=old.pk).update(status=Alert.Status.CLOSED, closed_at=clock.now())
    upkeep.keep_up()
    # The scan finds the violation again: the same alert reopens, detected now.
    Alert.objects.filter(pk=old.pk).update(status=Alert.Status.OPEN, closed_at=None, detected_at=clock.now(),
                                           reopened=1)
    upkeep.keep_up()
    assert figure_alerts(OCT_31, OCT_31, a)[("time", Level.RED, "raised")] == 0
    assert figure_alerts(clock.today(), clock.today(), a)[("time", Level.RED, "raised")] == 1


def test_an_order_turns_overdue_without_any_action(planted):
    upkeep.rebuild()
    assert figure_orders(NOV_1, NOV_1, planted.a)["overdue"] == 0
    clock.set_now(at(2026, 11, 11, 9))  # its reply deadline (11-10) has passed
    upkeep.keep_up()
    assert figure_orders(NOV_1, NOV_1, planted.a)["overdue"] == 1


def test_a_full_rebuild_covers_the_families(planted):
    upkeep.rebuild()
    assert upkeep.as_of(supervision.ALERTS_FAMILY) and upkeep.as_of(supervision.ORDERS_FAMILY)
    assert AlertDay.objects.filter(department=planted.a).exists()
