"""What every web entry point (pages, API, public site) reads from a request the same way."""

from __future__ import annotations

import functools
import ipaddress


def public_base_url(request=None) -> str:
    """The address printed in QR codes and links: SHENPI_PUBLIC_URL when configured, else the one
    this request came to (the host is checked against ALLOWED_HOSTS), else where the server listens."""
    from django.conf import settings

    if request is not None and settings.PUBLIC_URL_FROM_REQUEST:
        return request.build_absolute_uri("/").rstrip("/")
    return settings.PUBLIC_BASE_URL.rstrip("/")


def client_address(request) -> str | None:
    """The address recorded with an action and used to limit repeated tries.

    The connection's address (REMOTE_ADDR), unless it is one of SHENPI_TRUSTED_PROXIES: then
    X-Forwarded-For is read from the right, each trusted proxy's entry skipped, and the first
    address no trusted proxy stands for is the client's. Entries left of it were written by the
    client itself and are never believed. No trusted proxy configured: REMOTE_ADDR alone.
    """
    from django.conf import settings

    remote = request.META.get("REMOTE_ADDR") or None
    proxies = trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if remote is None or not proxies or not _trusted(_address(remote), proxies):
        return remote
    nearest = remote
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(entry)
        if address is None:
            # A trusted proxy appends only real peer addresses: junk was written further out,
            # so the last address a trusted proxy vouched for is all that is known.
            return nearest
        if not _trusted(address, proxies):
            return str(address)
        nearest = str(address)
    return nearest


@functools.lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """SHENPI_TRUSTED_PROXIES as networks (a single address is a /32 or /128); ValueError names a bad entry."""
    networks = []
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"SHENPI_TRUSTED_PROXIES: {entry!r} is neither an address nor a CIDR network") from None
    return tuple(networks)


def _trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks
                                       if network.version == address.version)


def _address(entry: str):
    """An address as X-Forwarded-For may carry it (`1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443`), or None."""
    text = entry.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


UNAVAILABLE_DETAIL = "系统暂时无法连接数据库，请稍后重试。"
SERVER_ERROR_DETAIL = "服务器内部错误，请稍后重试或联系中心管理员。"
_PAGE = ('<!doctype html><html lang="zh-hans"><head><meta charset="utf-8"><title>{title}</title></head>'
         '<body><h1>{title}</h1><p>{detail}</p></body></html>')


def server_error(request):
    """Django's last resort (handler500): a failure no view answered, e.g. in a middleware.

    The database out of reach (PostgreSQL restarting) is a 503 with Retry-After, the page or the API's
    JSON; the broken connection is closed at the end of the request and the next one reconnects
    (CONN_HEALTH_CHECKS). The page is plain: rendering a template may need the database."""
    import sys

    from django.db import InterfaceError, OperationalError
    from django.http import HttpResponse, JsonResponse

    unavailable = isinstance(sys.exc_info()[1], OperationalError | InterfaceError)
    status, code, detail = ((503, "unavailable", UNAVAILABLE_DETAIL) if unavailable
                            else (500, "server_error", SERVER_ERROR_DETAIL))
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": code, "detail": detail}, status=status,
                                json_dumps_params={"ensure_ascii": False})
    else:
        title = "服务暂时不可用" if unavailable else "服务器错误"
        response = HttpResponse(_PAGE.format(title=title, detail=detail), status=status,
                                content_type="text/html; charset=utf-8")
    if unavailable:
        response["Retry-After"] = "5"
    return response
