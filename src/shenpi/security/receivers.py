"""What the security audit log hears without any feature calling it: sign-in, sign-out, lockouts
(Django's and django-axes' signals, for the staff login, the admin's and the applicants') and
every change made in the admin (ModelAdmin's log_addition, log_change and log_deletions)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.signals import request_finished

from .audit import flush_pending, record


def connect() -> None:
    from axes.signals import user_locked_out

    user_logged_in.connect(_logged_in, dispatch_uid="shenpi.security.logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="shenpi.security.logged_out")
    user_login_failed.connect(_login_failed, dispatch_uid="shenpi.security.login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="shenpi.security.locked_out")
    # Failures recorded in a transaction that rolled back are written when the request ends.
    request_finished.connect(flush_pending, dispatch_uid="shenpi.security.flush")
    _connect_celery()
    _hook_admin()


def _connect_celery() -> None:
    from celery.signals import task_postrun

    task_postrun.connect(flush_pending, weak=False, dispatch_uid="shenpi.security.flush")


def _where(request) -> str:
    """Which sign-in page: the admin's, the applicants' or the staff login."""
    path = getattr(request, "path", "") or ""
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/account/"):
        return "applicant"
    return "staff" if path else "other"


def _logged_in(sender, request, user, **kwargs):
    record("login.succeeded", request=request, user=user, target=f"account:{user.get_username()}",
           via=_where(request))


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record("logout", request=request, user=user, target=f"account:{user.get_username()}", via=_where(request))


def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    record("login.failed", request=request, user=None, target=f"account:{username}", outcome="failure",
           via=_where(request))


def _locked_out(sender, request, username, ip_address, **kwargs):
    record("login.locked_out", request=request, user=None, target=f"account:{username or ''}", outcome="denied",
           via=_where(request))


# -- the admin ------------------------------------------------------------------------------------

_ADMIN_ACTIONS = {"log_addition": "admin.added", "log_change": "admin.changed"}


def _hook_admin() -> None:
    """Wrap ModelAdmin's logging once: every admin page of every app records its changes here too."""
    model_admin = admin.ModelAdmin
    if getattr(model_admin, "_security_audited", False):
        return
    for name, action in _ADMIN_ACTIONS.items():
        setattr(model_admin, name, _audited(getattr(model_admin, name), action))
    original_deletions = model_admin.log_deletions

    def log_deletions(self, request, queryset):
        objects = list(queryset)
        for obj in objects:
            record("admin.deleted", request=request, target=_target(obj), object=str(obj)[:200])
        return original_deletions(self, request, objects)

    model_admin.log_deletions = log_deletions
    model_admin._security_audited = True


def _audited(method, action):
    def logged(self, request, obj, message):
        record(action, request=request, target=_target(obj), object=str(obj)[:200], change=_message(message))
        return method(self, request, obj, message)

    logged.__name__ = method.__name__
    return logged


def _target(obj) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}:{obj.pk}"


def _message(message):
    """Which fields changed, as the admin's own log keeps it (a list of dicts), or its text."""
    return message if isinstance(message, (list, str)) else str(message)
