"""The address recorded with an action and used by the rate limits: the connection's, never a header."""

from django.test import RequestFactory

from shenpi.web import client_address


def test_the_address_is_the_connections_and_not_the_forwarded_header():
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_address(request) == "10.1.2.3"


def test_no_address_is_none_rather_than_an_empty_string():
    assert client_address(RequestFactory().get("/", REMOTE_ADDR="")) is None
