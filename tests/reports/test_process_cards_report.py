"""The report 黄牌红牌与督办: figures from the supervision aggregates, drill-down from a red card to its cases."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from shenpi.figures import upkeep
from shenpi.figures.query import Scope
from shenpi.reports import registry, supervision_reports
from shenpi.reports.registry import Ask
from shenpi.supervision.models import Level
from tests.figures.test_family_supervision import planted  # noqa: F401
from tests.performance.conftest import frozen, world  # noqa: F401

OCT_1, OCT_31, NOV_30 = dt.date(2026, 10, 1), dt.date(2026, 10, 31), dt.date(2026, 11, 30)


def test_cards_and_orders_by_department(planted):  # noqa: F811
    upkeep.rebuild()
    report = registry.REPORTS["cards"]
    rows = {row["department"]: row for row in report.rows(Ask(OCT_1, OCT_31, by=("department",)))}
    a, b = rows[planted.a.pk], rows[planted.b.pk]
    assert (a["warnings"], a["yellow"], a["red"]) == (7, 2, 2)
    assert (a["cards_answered"], a["cards_open"], a["answer_rate"]) == (2, 4, Fraction(50))
    assert (a["orders_issued"], a["orders_answered"], a["orders_closed"], a["orders_overdue"]) == (2, 1, 1, 1)
    assert (b["yellow"], b["cards_open"], b["orders_issued"], b["orders_answered"]) == (1, 0, 1, 1)


def test_from_a_red_card_figure_to_its_cases(planted):  # noqa: F811
    upkeep.rebuild()
    report = registry.REPORTS["cards"]
    ask = Ask(OCT_1, OCT_31, Scope(departments=(planted.a.pk,)), by=("department",))
    key = {"department": planted.a.pk}
    assert set(report.cases(ask, key, "red")) == {planted.cases["late"], planted.cases["on_time"]}
    # The answered cards: the yellow card on `late`, and a step's card that has no case (its alert is listed).
    assert set(report.cases(ask, key, "cards_answered")) == {planted.cases["late"]}
    assert supervision_reports.alerts_behind(ask, key, "cards_answered").count() == 2
    assert set(report.cases(ask, key, "orders_overdue")) == {planted.cases["on_time"]}
    assert report.cases(ask, key, "answer_rate") is None


def test_by_category_and_level_orders_do_not_apply(planted):  # noqa: F811
    upkeep.rebuild()
    report = registry.REPORTS["cards"]
    ask = Ask(OCT_1, OCT_31, Scope(departments=(planted.a.pk,)), by=("category",))
    rows = {row["category"]: row for row in report.rows(ask)}
    assert rows["time"]["red"] == 2 and rows["procedure"]["yellow"] == 1
    assert rows["time"]["orders_issued"] is None
    assert report.cases(ask, {"category": "time"}, "orders_issued") is None
    red_only = report.rows(Ask(OCT_1, OCT_31, by=("department",), extra={"level": str(Level.RED)}))
    assert [(r["department"], r["red"], r["yellow"]) for r in red_only] == [(planted.a.pk, 2, 0)]


def test_months_across_the_month_end(planted):  # noqa: F811
    upkeep.rebuild()
    report = registry.REPORTS["cards"]
    ask = Ask(OCT_1, NOV_30, Scope(departments=(planted.a.pk,)), by=("month",))
    rows = {row["month"]: row for row in report.rows(ask)}
    november = dt.date(2026, 11, 1)
    assert rows[november]["yellow"] == 1 and rows[november]["orders_issued"] == 1  # 00:15 and 00:30 on 11-01
    assert set(report.cases(ask, {"month": november}, "yellow")) == {planted.cases["denied"]}
    assert set(report.cases(ask, {"month": OCT_1}, "red")) == {planted.cases["late"], planted.cases["on_time"]}
