"""What every web entry point (pages, API, public site) reads from a request the same way."""

from __future__ import annotations


def client_address(request) -> str | None:
    """The address recorded with an action and used to limit repeated tries.

    REMOTE_ADDR only: X-Forwarded-For is written by the client and cannot be trusted unless the
    reverse proxy rewrites REMOTE_ADDR itself.
    """
    return request.META.get("REMOTE_ADDR") or None
