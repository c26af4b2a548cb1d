"""A session ends SHENPI_SESSION_MAX_HOURS after signing in, however busy it was (staff and applicants)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from shenpi import clock
from tests import factories as f
from tests.applicants.helpers import client_for, verified

pytestmark = pytest.mark.django_db


def _busy_until(client, url: str, hours: float, step_minutes: int, traveller) -> int:
    """Requests every `step_minutes` (never idle long enough for the idle timeout); the last status."""
    status = None
    for _ in range(int(hours * 60 / step_minutes)):
        traveller.shift(dt.timedelta(minutes=step_minutes))
        status = client.get(url).status_code
        if status != 200:
            break
    return status


def test_a_busy_staff_session_ends_eight_hours_after_login(settings, caplog):
    assert settings.SESSION_MAX_HOURS == 8
    user = f.staff(f.department())["handler"]
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        client = Client()
        client.force_login(user)
        assert _busy_until(client, "/workbench/", 7.75, 15, traveller) == 200  # 7 h 45 min of work
        traveller.shift(dt.timedelta(minutes=14))
        assert client.get("/workbench/").status_code == 200  # 7 h 59 min
        traveller.shift(dt.timedelta(minutes=1))
        with caplog.at_level(logging.INFO, logger="shenpi.security"):
            response = client.get("/workbench/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert any("session.expired" in r.getMessage() and f"user:{user.pk}" in r.getMessage() for r in caplog.records)
    # Signed out for good: the next request does not bring the session back.
    assert client.get("/workbench/").status_code == 302


def test_an_applicant_session_ends_too(settings):
    settings.SESSION_MAX_HOURS = 2
    applicant = verified()
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        client = client_for(applicant)
        assert _busy_until(client, "/account/", 1.9, 10, traveller) == 200  # 1 h 50 min
        traveller.shift(dt.timedelta(minutes=10))
        response = client.get("/account/")
    assert response.status_code == 302 and "/account/login/" in response["Location"]


def test_moving_the_platform_clock_does_not_end_a_session(settings):
    """Tests and the demo move shenpi.clock to play out days of cases; the limit counts wall-clock time."""
    user = f.staff(f.department())["clerk"]
    client = Client()
    client.force_login(user)
    clock.set_now(clock.now() + dt.timedelta(days=3))
    assert client.get("/workbench/").status_code == 200


def test_zero_turns_the_limit_off(settings):
    settings.SESSION_MAX_HOURS = 0
    user = f.staff(f.department())["clerk"]
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        client = Client()
        client.force_login(user)
        assert _busy_until(client, "/workbench/", 10, 20, traveller) == 200
