"""A session ends after the idle time; the board's own minute-by-minute refresh does not renew it."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.shortcuts import resolve_url
from django.test import Client
from django.utils import timezone

from tests import factories as f

pytestmark = pytest.mark.django_db
BOARD = "/supervision/"
POLL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "board-live", "HTTP_X_SHENPI_POLL": "1"}


@pytest.fixture
def supervisor_client():
    people = f.staff(f.department())
    client = Client()
    f.login_staff(client, people["supervisor"])
    return client


def _session(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def _age_session(client, minutes: int) -> dt.datetime:
    """Pretend the last activity was `minutes` ago: the expiry is that much closer."""
    session = _session(client)
    session.expire_date = timezone.now() + dt.timedelta(minutes=30 - minutes)
    session.save()
    return session.expire_date


def test_the_boards_refresh_does_not_renew_the_session(supervisor_client):
    expiry = _age_session(supervisor_client, 20)
    assert supervisor_client.get(BOARD, **POLL).status_code == 200
    assert _session(supervisor_client).expire_date == expiry


def test_anything_the_user_does_renews_it(supervisor_client):
    expiry = _age_session(supervisor_client, 20)
    assert supervisor_client.get(BOARD).status_code == 200
    assert _session(supervisor_client).expire_date > expiry + dt.timedelta(minutes=19)


def test_a_refresh_after_the_session_ended_loads_the_login_page_whole(supervisor_client):
    _age_session(supervisor_client, 31)
    response = supervisor_client.get(BOARD, **POLL)
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(resolve_url(settings.LOGIN_URL) + "?next=")
    assert supervisor_client.get(BOARD).status_code == 302  # the session is over for every request


def test_the_poll_header_is_on_every_refreshing_element(supervisor_client):
    page = supervisor_client.get(BOARD).content.decode()
    polling = re.findall(r'hx-trigger="every [^"]+" hx-headers=\'([^\']*)\'', page)
    assert len(polling) == page.count('hx-trigger="every') >= 2
    assert all(json.loads(headers) == {"X-Shenpi-Poll": "1"} for headers in polling)
