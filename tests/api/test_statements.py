"""Kept page statements (shenpi.api.statements) return exactly the rows the ORM query returns."""

import datetime as dt

import pytest

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.api import queries, statements
from shenpi.cases import services
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(mixed_cases):
    return list(mixed_cases.values())


def reference(user, criteria, *, descending=True, position=None, limit=21):
    """The plain ORM query the statement stands for."""
    rows = queries.case_summaries(queries.filter_cases(services.visible_cases(user), today=clock.today(),
                                                       **criteria))
    if position is not None:
        rows = rows.filter(id__lt=position) if descending else rows.filter(id__gt=position)
    return list(rows.order_by("-id" if descending else "id")[:limit])


FILTERS = [
    {}, {"state": "in_progress"}, {"department": "ZJJ"}, {"department": "NOPE"}, {"channel": "window"},
    {"overdue": True}, {"overdue": False}, {"due_before": dt.date(2026, 9, 30)}, {"due_after": dt.date(2026, 9, 30)},
    {"received_from": dt.date(2026, 9, 24)}, {"received_to": dt.date(2026, 9, 1)}, {"q": "李"}, {"q": "王%_"},
    {"q": "王%"}, {"q": "2026"}, {"state": "in_progress", "department": "ZJJ", "overdue": False, "q": "2026"},
]


@pytest.mark.parametrize("person", ["handler", "supervisor", "other handler", "centre clerk", "nobody's"])
@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_rows_equal_the_orm_s_for_every_filter_and_caller(org, other, cases, centre_clerk, person, filters):
    user = {"other handler": other.people["handler"], "centre clerk": centre_clerk,
            "nobody's": f.user(None, Role.HANDLER)}.get(person) or org.people[person]
    item = {"item": other.item.code} if person == "supervisor" and not filters else {}
    criteria = queries.list_criteria({**filters, **item})
    for _ in range(2):  # compiled, then kept
        rows = statements.run(user, criteria, clock.today())
        assert rows == reference(user, criteria)
    if person == "supervisor" and filters.get("q", "").startswith("王"):
        assert [row["applicant_name"] for row in rows] == ["王%_五"]  # % and _ taken literally


def test_positions_and_directions_equal_the_orm_s(org, cases):
    user, criteria = org.people["supervisor"], queries.list_criteria({"state": "in_progress"})
    middle = sorted(c.pk for c in cases)[2]
    for descending in (True, False):
        for limit in (1, 3):
            got = statements.run(user, criteria, clock.today(), descending=descending, position=middle, limit=limit)
            assert got == reference(user, criteria, descending=descending, position=middle, limit=limit)
            assert got  # the position leaves rows on both sides


def test_one_statement_per_caller_and_shape(org, other, cases, monkeypatch):
    compiled = []
    original = statements._compile
    monkeypatch.setattr(statements, "_compile", lambda *args: compiled.append(args[1:]) or original(*args))
    handler, today = org.people["handler"], clock.today()
    for state in ("in_progress", "received", "refused"):
        statements.run(handler, queries.list_criteria({"state": state}), today)
    assert len(compiled) == 1  # only the values differ
    statements.run(handler, queries.list_criteria({"state": "received", "q": "李"}), today)
    statements.run(other.people["handler"], queries.list_criteria({"state": "received"}), today)
    assert len(compiled) == 3  # another filter, another caller
