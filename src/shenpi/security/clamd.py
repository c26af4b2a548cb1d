"""A client of ClamAV's daemon (clamd): one INSTREAM scan of a file's bytes, over TCP or a unix socket.

The protocol (clamd(8)): send `zINSTREAM\\0`, then the data in chunks each preceded by its length as
4 bytes big-endian, then a zero length; clamd answers one line ending in NUL: `stream: OK`,
`stream: <signature> FOUND`, or `… ERROR` (for instance `INSTREAM size limit exceeded. ERROR`).
The `clamd` package on PyPI does this too but is unmaintained; these few lines are all it takes.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

CHUNK = 64 * 1024
MAX_ANSWER = 4096


class Unavailable(Exception):
    """clamd could not be reached or did not give a verdict."""


@dataclass(frozen=True)
class Verdict:
    clean: bool
    signature: str = ""  # the name of what was found, e.g. Eicar-Signature


def connect(address: str, timeout: float) -> socket.socket:
    """A connection to `host:port`, `tcp://host:port`, `unix:///path` or `/path`."""
    try:
        if address.startswith("unix://") or address.startswith("/"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(address.removeprefix("unix://"))
            return sock
        host, _, port = address.removeprefix("tcp://").rpartition(":")
        return socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
    except (OSError, ValueError) as error:
        raise Unavailable(f"clamd at {address}: {error}") from error


def scan(content: bytes, address: str, timeout: float = 10.0) -> Verdict:
    """clamd's verdict on the bytes, or Unavailable."""
    with connect(address, timeout) as sock:
        try:
            sock.sendall(b"zINSTREAM\0")
            for start in range(0, len(content), CHUNK):
                chunk = content[start:start + CHUNK]
                sock.sendall(len(chunk).to_bytes(4, "big") + chunk)
            sock.sendall(b"\0\0\0\0")
            answer = _answer(sock)
        except OSError as error:
            raise Unavailable(f"clamd at {address}: {error}") from error
    return _verdict(answer, address)


def _answer(sock: socket.socket) -> str:
    data = b""
    while b"\0" not in data and len(data) < MAX_ANSWER:
        part = sock.recv(1024)
        if not part:
            break
        data += part
    return data.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def _verdict(answer: str, address: str) -> Verdict:
    result = answer.partition(": ")[2] if answer.startswith("stream") else answer
    if result == "OK":
        return Verdict(clean=True)
    if result.endswith(" FOUND"):
        return Verdict(clean=False, signature=result.removesuffix(" FOUND"))
    raise Unavailable(f"clamd at {address} answered {answer!r}")
