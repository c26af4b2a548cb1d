"""A session ends after SHENPI_SESSION_SECONDS of idleness (a page refreshing itself is not activity) and
SHENPI_SESSION_MAX_HOURS after the login whatever the activity (shenpi.accounts.sessions).

Django renews the session's expiry on every request when SESSION_SAVE_EVERY_REQUEST is set, so
the supervision board, which polls every minute, would keep an unattended screen logged in for
ever. Polling elements send the X-Shenpi-Poll header; every other request renews the session as
before. When a poll finds the session over, htmx is told to load the login page as a whole page
rather than swapping it into the board.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.shortcuts import resolve_url

from . import sessions

POLL_HEADER = "X-Shenpi-Poll"


class IdleSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Before AuthenticationMiddleware reads the user: an overdue login is anonymous from here on.
        sessions.end_if_overdue(request)
        response = self.get_response(request)
        polling = request.headers.get(POLL_HEADER) == "1"
        session = getattr(request, "session", None)
        if session is not None and not polling and not session.is_empty():
            session.modified = True  # SessionMiddleware then saves it with a new expiry
        if request.headers.get("HX-Request") == "true" and _to_login(response):
            whole_page = HttpResponse(status=204)
            whole_page["HX-Redirect"] = response["Location"]
            return whole_page
        return response


def _to_login(response) -> bool:
    if response.status_code not in (301, 302):
        return False
    return urlsplit(response["Location"]).path == resolve_url(settings.LOGIN_URL)


# The staff side of the platform: pages, sign-in, the admin, the API and its documentation.
INTERNAL_PREFIXES = ("/workbench/", "/supervision/", "/performance/", "/admin/", "/login/", "/logout/", "/api/")


class InternalHostsMiddleware:
    """With SHENPI_INTERNAL_HOSTS set, the staff side answers only on those host names or addresses: on
    the public site (政务服务网) its addresses are 404, as if they did not exist. Empty: served everywhere
    (the embedded demo on one address)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        hosts = settings.INTERNAL_HOSTS
        if hosts and request.path_info.startswith(INTERNAL_PREFIXES) and not internal(request, hosts):
            raise Http404("not served on this host")
        return self.get_response(request)


def internal(request, hosts) -> bool:
    domain, _port = split_domain_port(request.get_host())
    return bool(domain) and validate_host(domain, hosts)
