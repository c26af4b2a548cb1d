"""Every environment variable Shenpi reads, declared once with its documentation.

`shenpi settings-doc` prints the table in docs/settings.md from these declarations.
"""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Var:
    name: str
    default: str
    doc: str


DECLARED: dict[str, Var] = {}


def declare(name: str, default: str, doc: str) -> str:
    DECLARED[name] = Var(name, default, doc)
    return os.environ.get(name, default)


def flag(name: str, default: bool, doc: str) -> bool:
    value = declare(name, "1" if default else "0", doc)
    return value.strip().lower() in {"1", "true", "yes", "on"}


def served_url(address: str) -> str:
    """http://host:port for a listening address; a wildcard host becomes this machine's name."""
    host, _, port = address.strip().rpartition(":")
    if not host:
        host, port = port, ""
    if _unspecified(host):
        import socket

        host = socket.gethostname()
    return f"http://{host}:{port}" if port else f"http://{host}"


def _unspecified(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return not host


def markdown_table() -> str:
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for var in sorted(DECLARED.values(), key=lambda v: v.name):
        rows.append(f"| `{var.name}` | `{var.default or '—'}` | {var.doc} |")
    return "\n".join(rows) + "\n"
