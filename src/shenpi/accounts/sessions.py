"""The absolute lifetime of a signed-in session: it ends SHENPI_SESSION_MAX_HOURS after the login,
however busy it has been (the idle timeout, SHENPI_SESSION_SECONDS, ends it sooner when left alone).

Staff and applicants sign in through django.contrib.auth's login(): its user_logged_in signal stamps
the session, and IdleSessionMiddleware ends an overdue one before anything reads the user.

Both limits count in wall-clock time (django.utils.timezone.now, as Django's own session expiry does),
not in shenpi.clock: the platform's clock is moved by tests and the demo to play out days of cases,
which says nothing about how long somebody has been signed in.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

from shenpi.security import audit

LOGIN_AT = "shenpi_login_at"


def started(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT] = timezone.now().timestamp()


def end_if_overdue(request) -> bool:
    """Flush the session of a login older than the limit; whether it was."""
    session = getattr(request, "session", None)
    if session is None or SESSION_KEY not in session:
        return False
    now = timezone.now().timestamp()
    login_at = session.get(LOGIN_AT)
    if login_at is None:  # signed in before the limit existed: counted from now on
        session[LOGIN_AT] = now
        return False
    limit = settings.SESSION_MAX_HOURS * 3600
    if not limit or now - login_at < limit:
        return False
    user_id = session.get(SESSION_KEY)
    session.flush()
    audit.record("session.expired", request=request, user=None, target=f"user:{user_id}", outcome="success",
                 reason="absolute", hours=settings.SESSION_MAX_HOURS,
                 login_at=dt.datetime.fromtimestamp(login_at, dt.UTC).isoformat())
    return True
