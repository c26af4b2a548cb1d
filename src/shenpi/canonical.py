"""The canonical forms that hash chains digest (case events, the security audit log).

A digest must come out the same whichever database stored the row and after a dump and restore, so
moments, addresses and JSON data are written in one form before they are hashed.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import json


def utc_moment(moment: dt.datetime) -> str:
    """2026-09-24T01:30:00.000000Z: UTC with microseconds, what both databases store exactly."""
    if moment.tzinfo is None:
        raise ValueError("审计链上记录的时间必须带时区。")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")[:-6] + "Z"


@functools.lru_cache(maxsize=4096)  # a centre's staff work from a few hundred addresses
def canonical_ip(ip: str | None) -> str | None:
    """IPv4 dotted; IPv6 fully expanded (8 × 4 lowercase hex digits), whatever form a database returns."""
    if not ip:
        return None
    text = str(ip)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if address.version == 4:
        return str(address)
    digits = address.packed.hex()
    return ":".join(digits[i:i + 4] for i in range(0, 32, 4))


def plain_data(data, *, default=None) -> dict:
    """Data as it reads back from either database: JSON types, string keys, whole floats as integers.

    PostgreSQL's jsonb writes 2.0 as 2 and 1e20 in full; storing the plain form keeps the digest of a row
    the same on both databases and after a dump and restore. `default` turns values JSON cannot hold
    into something it can (json.dumps' own argument); without it they are refused.
    """
    return _plain(json.loads(json.dumps(data or {}, default=default)))


def _plain(value):
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
