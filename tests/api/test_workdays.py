"""The working-day calendar over the API, checked against the official 2026 holidays."""

import pytest

from .conftest import session_client

pytestmark = pytest.mark.django_db
BASE = "/api/v1/workdays/"


@pytest.fixture
def client(org):
    return session_client(org.people["handler"])


def test_add_working_days_across_national_day_2026(client):
    response = client.get(f"{BASE}add?start=2026-09-24&days=5")
    assert response.status_code == 200
    assert response.json() == {"start": "2026-09-24", "days": 5, "due": "2026-10-09", "provisional": False}
    assert client.get(f"{BASE}add?start=2026-09-24&days=0").json()["due"] == "2026-09-24"


def test_a_year_without_a_notice_is_provisional(client):
    body = client.get(f"{BASE}add?start=2030-09-24&days=10").json()
    assert body["provisional"] is True
    assert client.get(f"{BASE}add?start=2029-12-20&days=20").json()["provisional"] is True


def test_between(client):
    response = client.get(f"{BASE}between?start=2026-09-24&end=2026-10-09")
    assert response.json() == {"start": "2026-09-24", "end": "2026-10-09", "working_days": 5, "provisional": False}
    assert client.get(f"{BASE}between?start=2026-10-09&end=2026-09-24").json()["working_days"] == -5


def test_calendar_of_an_official_year(client):
    body = client.get(f"{BASE}calendar/2026/").json()
    assert body["year"] == 2026 and body["official"] is True
    holidays = {d["date"]: d["name"] for d in body["holidays"]}
    assert holidays["2026-10-01"] == "国庆节"
    assert holidays["2026-09-25"] == "中秋节"
    assert "2026-10-08" not in holidays
    assert {d["date"] for d in body["workdays"]} >= {"2026-10-10"}  # the make-up Saturday


def test_calendar_of_an_estimated_year(client):
    body = client.get(f"{BASE}calendar/2031/").json()
    assert body["official"] is False
    assert "估算" in body["source"]
    assert body["workdays"] == []
    assert "2031-10-01" in {d["date"] for d in body["holidays"]}


@pytest.mark.parametrize(("url", "fields"), [
    ("add?start=2026-13-01&days=5", {"start"}),
    ("add?start=2026-09-24&days=-1", {"days"}),
    ("add?start=2026-09-24&days=five", {"days"}),
    ("add?days=5", {"start"}),
    ("add?start=1900-01-01&days=5", {"start"}),
    ("between?start=2026-09-24", {"end"}),
    ("between?start=1995-01-01&end=2026-01-01", {"end"}),
])
def test_bad_input_answers_field_errors_in_chinese(client, url, fields):
    response = client.get(BASE + url, HTTP_ACCEPT_LANGUAGE="en-US")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == fields
    message = next(iter(body["fields"].values()))[0]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_calendar_year_out_of_range(client):
    response = client.get(f"{BASE}calendar/1850/")
    assert response.status_code == 400
    assert response.json()["fields"] == {"year": ["日期应在1990年至2199年之间。"]}
