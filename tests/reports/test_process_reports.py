"""The process reports (暂停计时与补正, 不予受理及理由): rows from the aggregates, drill-down to the counted cases."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from fractions import Fraction

from shenpi.figures import upkeep
from shenpi.figures.query import Scope
from shenpi.reports import registry
from shenpi.reports.registry import Ask
from tests.figures.test_family_process import _direct_cases, direct_suspensions, figures_by_kind, planted  # noqa: F401
from tests.performance.conftest import frozen, world  # noqa: F401

OCT_1, OCT_31, NOV_30 = dt.date(2026, 10, 1), dt.date(2026, 10, 31), dt.date(2026, 11, 30)


def test_both_reports_are_registered_with_their_family():
    assert registry.REPORTS["suspensions"].reads == ("process",)
    assert registry.REPORTS["refusals"] in registry.GROUPS["过程"]


def test_suspensions_by_kind_equal_the_direct_counts(planted):  # noqa: F811
    upkeep.rebuild()
    report = registry.REPORTS["suspensions"]
    ask = Ask(OCT_1, OCT_31, Scope(departments=(planted.a.pk,)), by=("kind",))
    rows = {row["kind"]: row for row in report.rows(ask)}
    direct = direct_suspensions(OCT_1, OCT_31, planted.a)
    assert set(rows) == set(direct)
    for kind, counts in direct.items():
        for column in ("started", "ended", "len_5", "len_10", "len_20", "len_over", "notices"):
            assert rows[kind][column] == counts[column], (kind, column)
        assert rows[kind]["avg_days"] == (Fraction(counts["days"], counts["ended"]) if counts["ended"] else None)
    assert rows["专家评审"]["avg_days"] == 2


def test_a_kind_filter_and_months(planted):  # noqa: F811
    upkeep.rebuild()
    report = registry.REPORTS["suspensions"]
    ask = Ask(OCT_1, NOV_30, Scope(departments=(planted.a.pk,)), by=("month",), extra={"kind": "补件"})
    rows = {row["month"]: row for row in report.rows(ask)}
    assert rows[OCT_1]["started"] == 3 and rows[OCT_1]["ended"] == 2
    assert rows[dt.date(2026, 11, 1)]["ended"] == 1  # `denied`'s stop ended 00:20 on 11-01 (local)


def test_drill_down_gives_exactly_the_counted_cases(planted):  # noqa: F811
    upkeep.rebuild()
    report = registry.REPORTS["suspensions"]
    ask = Ask(OCT_1, OCT_31, Scope(departments=(planted.a.pk,)), by=("kind",))
    for row in report.rows(ask):
        for column in ("started", "ended", "len_5", "len_20", "len_over", "notices"):
            cases = set(report.cases(ask, {"kind": row["kind"]}, column))
            assert cases == _direct_cases(column, row["kind"], planted.a), (row["kind"], column)
            assert len(cases) == row[column]
    assert report.cases(ask, {"kind": "补件"}, "avg_days") is None
    # Another department's cases never show under this one.
    other = Ask(OCT_1, OCT_31, Scope(departments=(planted.b.pk,)), by=("kind",))
    assert {c.department_id for c in report.cases(other, {"kind": "补件"}, "started")} == {planted.b.pk}


def test_refusals_by_reason_most_frequent_first_with_drill_down(planted):  # noqa: F811
    upkeep.rebuild()
    report = registry.REPORTS["refusals"]
    ask = Ask(OCT_1, NOV_30, Scope(), by=("reason",))
    rows = report.rows(ask)
    assert [r["refused"] for r in rows] == [2, 2, 1]  # the most frequent first
    assert Counter({r["reason"]: r["refused"] for r in rows}) == Counter(
        {"材料不符合法定形式": 2, "不属于本机关职权范围": 2, "申请人不具备资格": 1})
    assert sum(r["share"] for r in rows) == 100
    for row in rows:
        cases = list(report.cases(ask, {"reason": row["reason"]}, "refused"))
        assert len(cases) == row["refused"]
        assert {c.closing_reason for c in cases} == {row["reason"]}
    top = report.rows(Ask(OCT_1, NOV_30, Scope(), by=("reason",), extra={"top": "1"}))
    assert len(top) == 1
    by_month = report.rows(Ask(OCT_1, NOV_30, Scope(departments=(planted.a.pk,)), by=("month",)))
    assert [(r["month"], r["refused"]) for r in by_month] == [(OCT_1, 3), (dt.date(2026, 11, 1), 1)]
    november = report.cases(Ask(OCT_1, NOV_30, Scope(departments=(planted.a.pk,)), by=("month",)),
                            {"month": dt.date(2026, 11, 1)}, "refused")
    assert [c.closing_reason for c in november] == ["不属于本机关职权范围"]  # refused 00:10 on 11-01
