"""Who may open a staff page: the one guard of every app's staff pages, and the page that says no."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def forbidden(request, message: str):
    return render(request, "workbench/forbidden.html", {"message": message}, status=403)


def staff_required(view):
    """Signed-in staff only: accounts without a role (applicant accounts) are kept out."""

    @functools.wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_superuser or user.role_codes()):
            return forbidden(request, "您的账号尚未分配工作角色，请联系中心管理员。")
        return view(request, *args, **kwargs)

    return wrapper
