"""The address recorded with an action (the connection's, never a header) and the public address."""

import os
import subprocess
import sys
from pathlib import Path

from django.test import RequestFactory

from shenpi.env import served_url
from shenpi.web import client_address, public_base_url


def test_the_address_is_the_connections_and_not_the_forwarded_header():
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_address(request) == "10.1.2.3"


def test_no_address_is_none_rather_than_an_empty_string():
    assert client_address(RequestFactory().get("/", REMOTE_ADDR="")) is None


def _from(remote: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_saw(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "192.0.2.7"]
    # nginx appends its peer: whatever the client wrote first is left of it and never believed.
    assert _from("10.0.0.5", "6.6.6.6, 203.0.113.9") == "203.0.113.9"
    assert _from("192.0.2.7", "203.0.113.9, 10.0.0.8") == "203.0.113.9"  # two proxies in a row
    assert _from("10.0.0.5", "203.0.113.9:51234") == "203.0.113.9"
    assert _from("10.0.0.5", "[2001:db8::1]:443") == "2001:db8::1"


def test_a_forwarded_header_from_an_untrusted_peer_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert _from("203.0.113.9", "10.0.0.1, 198.51.100.1") == "203.0.113.9"


def test_a_client_cannot_pose_as_another_by_spoofing_the_header_through_the_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    # The client sends "X-Forwarded-For: 10.0.0.5" to look like the proxy itself: the rightmost
    # untrusted entry, the one nginx wrote, still names it.
    assert _from("10.0.0.5", "198.51.100.1, 10.0.0.5, 203.0.113.9") == "203.0.113.9"
    # Junk left of the proxy's entry is not reached; junk in its place gives the proxy's address.
    assert _from("10.0.0.5", "not-an-address, 203.0.113.9") == "203.0.113.9"
    assert _from("10.0.0.5", "not-an-address") == "10.0.0.5"


def test_a_request_from_the_proxy_itself_or_without_header_is_the_proxys(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert _from("10.0.0.5") == "10.0.0.5"
    assert _from("10.0.0.5", "10.0.0.9") == "10.0.0.9"


def test_a_bad_trusted_proxy_entry_is_named():
    import pytest

    from shenpi.web import trusted_networks

    with pytest.raises(ValueError, match="nginx.local"):
        trusted_networks(("10.0.0.1", "nginx.local"))


# --- the public address (QR codes on notices, links in SMS) -------------------------------------

def test_unconfigured_pages_use_the_address_they_were_requested_at(settings):
    settings.PUBLIC_URL_FROM_REQUEST = True
    settings.ALLOWED_HOSTS = ["zwfw.local"]
    request = RequestFactory().get("/workbench/", HTTP_HOST="zwfw.local:8123")
    assert public_base_url(request) == "http://zwfw.local:8123"


def test_a_configured_address_wins_over_the_request(settings):
    settings.PUBLIC_URL_FROM_REQUEST = False
    settings.PUBLIC_BASE_URL = "https://zwfw.example.gov.cn/"
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    assert public_base_url(request) == "https://zwfw.example.gov.cn"
    assert public_base_url() == "https://zwfw.example.gov.cn"


def test_the_listening_address_makes_the_url_a_wildcard_the_machines_name():
    import socket

    assert served_url("10.0.0.5:8080") == "http://10.0.0.5:8080"
    assert served_url("0.0.0.0:9000") == f"http://{socket.gethostname()}:9000"
    assert served_url("localhost") == "http://localhost"


def settings_value(name: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("SHENPI_PUBLIC_URL", "SHENPI_SERVE_ADDRESS",
                                                                 "SHENPI_ALLOWED_HOSTS")}
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    result = subprocess.run([sys.executable, "-c", code], env={**environ, **env, "DJANGO_SETTINGS_MODULE":
                            "shenpi.settings"}, capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[1])
    return result.stdout.strip()


def test_outside_a_request_the_address_is_where_make_run_serves_unless_configured():
    assert settings_value("PUBLIC_BASE_URL", SHENPI_SERVE_ADDRESS="127.0.0.1:8123") == "http://127.0.0.1:8123"
    assert settings_value("PUBLIC_BASE_URL", SHENPI_SERVE_ADDRESS="127.0.0.1:8123",
                          SHENPI_PUBLIC_URL="https://zwfw.example.gov.cn/") == "https://zwfw.example.gov.cn"
    # The host it names is one the site answers to.
    assert "10.8.0.5" in settings_value("ALLOWED_HOSTS", SHENPI_SERVE_ADDRESS="10.8.0.5:8080")
