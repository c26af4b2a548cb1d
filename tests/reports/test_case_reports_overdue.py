"""The overdue list is exactly the running cases past their promised due date, today in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt

from shenpi.cases.models import Case, State
from shenpi.figures.query import Scope
from shenpi.reports import case_overdue
from shenpi.reports.registry import REPORTS, Ask
from shenpi.workdays.services import get_calendar
from tests.reports.test_case_reports import city, frozen, world  # noqa: F401

TODAY = dt.date(2026, 11, 5)  # the performance city's frozen clock: 2026-11-05 10:00
RUNNING = (State.IN_PROGRESS, State.DECIDING, State.DECIDED)


def past_due(scope_filter=lambda c: True) -> list[Case]:
    cases = [c for c in Case.objects.all() if c.state in RUNNING and c.promised_due and c.promised_due < TODAY]
    return sorted((c for c in cases if scope_filter(c)), key=lambda c: (c.promised_due, c.pk))


def workdays_after(due: dt.date) -> int:
    calendar = get_calendar()
    return sum(calendar.is_workday(due + dt.timedelta(days=n)) for n in range(1, (TODAY - due).days + 1))


def ask(scope: Scope | None = None) -> Ask:
    return Ask(dt.date(2026, 11, 1), TODAY, scope=scope or Scope())


def test_the_list_is_the_open_cases_past_their_promised_due_date(city):  # noqa: F811
    report = REPORTS["overdue-list"]
    rows = report.rows(ask())
    expected = past_due()
    assert [r["number"] for r in rows] == [c.number for c in expected]
    names = {c.number for c in expected}
    planted = city.cases
    # Running past due: the performance city's online case (due 30 Oct), `deciding` (29 Oct), `running` (2 Nov).
    assert names == {planted["online"].number, planted["deciding"].number, planted["running"].number}
    # Not listed: a suspended case (its clock is stopped), a case due today.
    assert planted["suspended"].number not in names and planted["due_today"].number not in names
    for row, case in zip(rows, expected, strict=True):
        assert row["promised_due"] == case.promised_due
        assert row["overdue_days"] == workdays_after(case.promised_due)
        assert row["department"] == case.department.name and row["item"] == case.version.name
    by_number = {r["number"]: r for r in rows}
    assert by_number[planted["running"].number]["step"] == "审查"       # its active step
    assert by_number[planted["deciding"].number]["step"] == "待决定"     # no active step: its state
    assert by_number[planted["running"].number]["overdue_days"] == 3   # 3, 4, 5 November
    drilled = report.cases(ask(), {}, "number")
    assert sorted(drilled.values_list("pk", flat=True)) == sorted(c.pk for c in expected)
    one = report.cases(ask(), {"case": rows[0]["case"]}, "number")
    assert list(one.values_list("number", flat=True)) == [rows[0]["number"]]


def test_filters_apply(city):  # noqa: F811
    rows = REPORTS["overdue-list"].rows(ask(Scope(departments=(city.b.pk,))))
    assert [r["number"] for r in rows] == [c.number for c in past_due(lambda c: c.department_id == city.b.pk)]
    rows = REPORTS["overdue-list"].rows(ask(Scope(channels=("online",))))
    assert [r["number"] for r in rows] == [c.number for c in past_due(lambda c: c.channel == "online")]


def test_a_long_list_stops_with_a_note_saying_how_many_more(city, monkeypatch):  # noqa: F811
    monkeypatch.setattr(case_overdue, "LIMIT", 2)
    rows = REPORTS["overdue-list"].rows(ask())
    assert len(rows) == 3 and rows[-1]["case"] is None
    assert rows[-1]["number"].startswith("另有1件超期办件未列出")
    assert [r["number"] for r in rows[:2]] == [c.number for c in past_due()[:2]]
