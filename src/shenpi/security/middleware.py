"""Every refusal (HTTP 403) is recorded with who was refused, whatever page refused them.

Staff pages answer 403 themselves, the API's permission checks (DRF) answer 403, the admin raises
PermissionDenied, which Django turns into a 403 before it reaches this middleware: one place sees
them all. The middleware sits after authentication, so request.user is known.
"""

from __future__ import annotations

from .audit import record


class PermissionDeniedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            record("permission.denied", request=request, target=request.path[:200], outcome="denied",
                   method=request.method, reason=_reason(request, response))
        return response


def _reason(request, response) -> str:
    """Which kind of page refused: the API, the admin, a CSRF check or a staff page."""
    if request.path.startswith("/api/"):
        return "api"
    if not getattr(request, "csrf_processing_done", False) and request.method not in ("GET", "HEAD", "OPTIONS"):
        return "csrf"  # CsrfViewMiddleware marks every request it let through
    match = getattr(request, "resolver_match", None)
    return (match.namespace.split(":")[0] if match is not None else "") or "page"
