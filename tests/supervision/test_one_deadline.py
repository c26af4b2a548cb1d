"""即将到期 and 超期 mean the same cases on the workbench, in the API and on the supervision board,
also after an administrator edits the thresholds of the time rule (监察点 time.case).

Facts used: a 10-working-day promise accepted on a working day of November 2026 is due 10 working
days later (accepted Monday 2 November, due Monday 16 November); the look is on 16 November.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from shenpi import clock
from shenpi.api import statements
from shenpi.cases import deadlines, queries, services
from shenpi.catalog.models import Department
from shenpi.supervision.models import Alert, Level, Rule
from shenpi.supervision.scan import scan
from tests import factories as f

pytestmark = pytest.mark.django_db

LOOK = dt.date(2026, 11, 16)
# Accepted on → working days left on 16 November (negative: overdue).
ACCEPTED = {
    dt.date(2026, 10, 29): -2, dt.date(2026, 10, 30): -1, dt.date(2026, 11, 2): 0, dt.date(2026, 11, 3): 1,
    dt.date(2026, 11, 4): 2, dt.date(2026, 11, 5): 3, dt.date(2026, 11, 6): 4, dt.date(2026, 11, 9): 5,
    dt.date(2026, 11, 10): 6,
}


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    statements.clear()
    deadlines.forget()
    yield
    deadlines.forget()


@pytest.fixture
def office():
    dept = f.department()
    people = f.staff(dept)
    item = f.item(dept, promised=10, statutory=20)
    left = {}
    for day, days_left in ACCEPTED.items():
        clock.set_now(at(day))
        case = services.perform(f.receive(people["clerk"], item), "accept", actor=people["clerk"])
        left[case.number] = days_left
    # Extended by 5 working days: due 23 November (5 left) with an allotment of 15, so its horizon
    # is its own (the scan reads such cases apart from the others).
    clock.set_now(at(dt.date(2026, 11, 2)))
    case = services.perform(f.receive(people["clerk"], item), "accept", actor=people["clerk"])
    case = services.perform(case, "extend", actor=people["approver"], params={"days": 5, "reason": "现场情况复杂"})
    assert case.promised_due == dt.date(2026, 11, 23)
    left[case.number] = "extended"
    clock.set_now(at(LOOK))
    return people, left


def workbench(people, bucket: str) -> set[str]:
    return {c.number for c in queries.bucket(bucket, people["supervisor"], LOOK, clock.now())}


def api_flags(people, numbers) -> tuple[set[str], set[str]]:
    client = APIClient()
    key = f.api_token(people["supervisor"], departments=Department.objects.all(), act=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    clocks = {n: client.get(f"/api/v1/cases/{n}/").json()["clock"] for n in numbers}
    listed = {row["number"] for row in client.get("/api/v1/cases/?overdue=true&page_size=100").json()["results"]}
    assert listed == {n for n, c in clocks.items() if c["overdue"]}
    return {n for n, c in clocks.items() if c["due_soon"]}, listed


def board(levels) -> set[str]:
    scan(full=True, notify=False)
    return set(Alert.objects.filter(rule__code="time.case", status=Alert.Status.OPEN, level__in=levels)
               .values_list("case__number", flat=True))


def edit_time_rule(**params):
    rule = Rule.objects.get(code="time.case")
    rule.params = {**rule.params, **params}
    rule.full_clean()
    rule.save()


def agreed_due_soon(people, left) -> set[str]:
    soon_in_api, _ = api_flags(people, left)
    on_board = board([Level.WARNING])
    assert workbench(people, "due_soon") == soon_in_api == on_board
    return on_board


def wanted(left, days_left_up_to: int, extended: bool = False) -> set[str]:
    return {n for n, d in left.items()
            if (d == "extended" and extended) or (d != "extended" and 0 <= d <= days_left_up_to)}


def test_default_thresholds_one_day_or_a_fifth(office):
    people, left = office
    # 10 days × 20 % = 2 days; the extended case: 15 × 20 % = 3 days, and it has 5 left.
    assert agreed_due_soon(people, left) == wanted(left, 2)


def test_a_larger_share_moves_the_workbench_the_api_and_the_board_together(office):
    people, left = office
    edit_time_rule(warn_share_left=0.5)
    # 10 × 50 % = 5 days; the extended case: 15 × 50 % = 7 days ≥ its 5 left.
    assert agreed_due_soon(people, left) == wanted(left, 5, extended=True)


def test_more_days_left_moves_them_together(office):
    people, left = office
    edit_time_rule(warn_days_left=3)
    assert agreed_due_soon(people, left) == wanted(left, 3)


def test_overdue_is_the_same_cases_everywhere(office):
    people, left = office
    edit_time_rule(warn_share_left=0.5, red_overdue_days=2)
    _, overdue_in_api = api_flags(people, left)
    expected = {n for n, d in left.items() if d != "extended" and d < 0}
    assert workbench(people, "overdue") == overdue_in_api == board([Level.YELLOW, Level.RED]) == expected


def test_the_workbench_hint_quotes_the_edited_thresholds(office):
    people, _ = office
    edit_time_rule(warn_days_left=2, warn_share_left=0.3)
    client = APIClient()
    f.login_staff(client, people["supervisor"])
    assert "剩余不超过2个工作日或30%时限，且已用去一半时限" in client.get("/workbench/").content.decode()


@pytest.mark.parametrize(("days_left", "share_left"), [(1, 0.2), (2, 0.3), (3, 0.1), (0, 0.5), (5, 0.125)])
def test_the_hint_says_what_the_horizon_counts(days_left, share_left):
    """Each clause of the sentence is one condition of Horizon.days, for every allotment it covers."""
    horizon = deadlines.Horizon(days_left, share_left)
    used = "一半"
    assert horizon.rule() == f"剩余不超过{days_left}个工作日或{share_left * 100:g}%时限，且已用去{used}时限"
    for allotment in range(1, deadlines.LONGEST_ALLOTMENT + 1):
        for left in range(allotment + 1):
            said = (left <= days_left or left <= share_left * allotment) and allotment - left >= allotment / 2
            assert (left <= horizon.days(allotment)) == said, (allotment, left)
