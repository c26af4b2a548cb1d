"""Who is signed in on the public site: an applicant whose mobile is verified, or nobody."""

from __future__ import annotations

import functools

from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from .models import Applicant


def current_applicant(request) -> Applicant | None:
    user = request.user
    if not (user.is_authenticated and user.is_active):
        return None
    applicant = getattr(user, "applicant", None)
    return applicant if applicant is not None and applicant.verified else None


def applicant_required(view):
    """Applicant pages: anyone else (staff included) is sent to the applicant login."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        applicant = current_applicant(request)
        if applicant is None:
            return redirect_to_login(request.get_full_path(), reverse("applicants:login"))
        request.applicant = applicant
        return view(request, *args, **kwargs)

    return wrapper
