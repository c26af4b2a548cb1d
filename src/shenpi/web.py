"""What every web entry point (pages, API, public site) reads from a request the same way."""

from __future__ import annotations


def public_base_url(request=None) -> str:
    """The address printed in QR codes and links: SHENPI_PUBLIC_URL when configured, else the one
    this request came to (the host is checked against ALLOWED_HOSTS), else where the server listens."""
    from django.conf import settings

    if request is not None and settings.PUBLIC_URL_FROM_REQUEST:
        return request.build_absolute_uri("/").rstrip("/")
    return settings.PUBLIC_BASE_URL.rstrip("/")


def client_address(request) -> str | None:
    """The address recorded with an action and used to limit repeated tries.

    REMOTE_ADDR only: X-Forwarded-For is written by the client and cannot be trusted unless the
    reverse proxy rewrites REMOTE_ADDR itself.
    """
    return request.META.get("REMOTE_ADDR") or None
