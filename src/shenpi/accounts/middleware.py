"""Sessions: idleness and age end them, and those that need a second factor reach nothing before it.

A session ends after SHENPI_SESSION_SECONDS of idleness (a page refreshing itself is not activity) and
SHENPI_SESSION_MAX_HOURS after the login whatever the activity (shenpi.accounts.sessions).

Django renews the session's expiry on every request when SESSION_SAVE_EVERY_REQUEST is set, so
the supervision board, which polls every minute, would keep an unattended screen logged in for
ever. Polling elements send the X-Shenpi-Poll header; every other request renews the session as
before. When a poll finds the session over, htmx is told to load the login page as a whole page
rather than swapping it into the board.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.request import split_domain_port, validate_host
from django.shortcuts import resolve_url
from django.urls import reverse

from . import second_factor, sessions

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


# The session remembers whether it must pass a second factor, so that staff who need none pay no query.
NEEDS_SECOND_FACTOR = "shenpi_second_factor"


def reckon_at_sign_in(sender, request, user, **kwargs):
    """Each sign-in decides afresh (Django keeps a re-signing user's session data)."""
    if request is not None and hasattr(request, "session"):
        request.session.pop(NEEDS_SECOND_FACTOR, None)


class SecondFactorMiddleware:
    """The one place that keeps staff who need a second factor out until they have passed it.

    Runs after django-otp's OTPMiddleware (`request.user.is_verified()`). A session that must pass one
    and has not reaches only the sign-in pages; anything else sends it to enter its code, or to enrol
    when it has no factor yet. The API answers 403, htmx is told to load the page whole.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self.refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def refusal(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or _exempt(request.path_info):
            return None
        if request.session.get(NEEDS_SECOND_FACTOR) is False:
            return None
        if user.is_verified():
            return None
        # Reckoned again while unverified: a reset or a new role changes the answer mid-session.
        needed = second_factor.is_needed(user)
        request.session[NEEDS_SECOND_FACTOR] = needed
        if not needed:
            return None
        destination = second_factor_url(user, request.get_full_path())
        if request.path_info.startswith("/api/"):
            return JsonResponse({"code": "second_factor", "detail": "请先在网页上完成二次验证。"}, status=403)
        if request.headers.get("HX-Request") == "true":
            whole_page = HttpResponse(status=204)
            whole_page["HX-Redirect"] = destination
            return whole_page
        return HttpResponseRedirect(destination)


def second_factor_url(user, next_url: str) -> str:
    """Where a session that must pass its second factor goes: to enter it, or to enrol one."""
    name = "second_factor:verify" if second_factor.factor_devices(user) else "second_factor:enrol"
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _exempt(path: str) -> bool:
    """The sign-in pages themselves, signing out, and static files."""
    return path.startswith((reverse("login"), reverse("logout"), settings.STATIC_URL))


# The staff side of the platform: pages, sign-in, the admin, the API and its documentation.
INTERNAL_PREFIXES = ("/workbench/", "/supervision/", "/performance/", "/admin/", "/login/", "/logout/", "/api/",
                     "/wall/")


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
