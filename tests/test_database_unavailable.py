"""The database out of reach (PostgreSQL restarting): a request gets a clean 503, a page or the API's JSON,
never a traceback; the app server itself needs no restart (docs/topology.md, "Faults")."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from shenpi.api.authentication import TokenAuthentication

pytestmark = pytest.mark.django_db


def refuse(*args, **kwargs):
    raise OperationalError("connection to server at \"127.0.0.1\", port 5432 failed: Connection refused")


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def test_an_api_call_while_the_database_restarts_is_a_503_in_the_api_s_shape(client, monkeypatch):
    monkeypatch.setattr(TokenAuthentication, "authenticate", refuse)
    answer = client.get("/api/v1/items/", HTTP_AUTHORIZATION="Token shp_x")
    assert answer.status_code == 503
    assert answer.json() == {"code": "unavailable", "detail": "系统暂时无法连接数据库，请稍后重试。"}
    assert answer["Retry-After"] == "5"
    monkeypatch.undo()
    assert client.get("/api/v1/items/").status_code == 401  # the next request is answered as usual


def test_a_page_while_the_database_restarts_is_a_plain_503_page(client, monkeypatch):
    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", refuse)
    client.cookies["sessionid"] = "x" * 32  # the session is read before any view: a middleware fails
    answer = client.get("/login/")
    assert answer.status_code == 503
    assert "系统暂时无法连接数据库" in answer.content.decode()
    assert "Traceback" not in answer.content.decode()


def test_another_failure_stays_a_500(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", broken)
    client.cookies["sessionid"] = "x" * 32
    answer = client.get("/login/")
    assert answer.status_code == 500
    assert "服务器内部错误" in answer.content.decode()
