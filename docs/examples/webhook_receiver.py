"""Receiving Shenpi's webhook events: check the signature, drop repeats, answer 2xx (docs/webhooks.md).

Standard library and `cryptography` only (HMAC-SM3 needs OpenSSL's SM3, which `cryptography`'s
wheels include). Run it as a small server:

    SHENPI_WEBHOOK_SECRET=whsec_... python webhook_receiver.py 8080

or import `check` into your own web framework: call it with the secret, the request's headers and
its raw body (the bytes as received, before any JSON parsing) and handle the events it returns.
"""

from __future__ import annotations

import hmac as std_hmac
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, hmac

ALGORITHMS = {"hmac-sm3": hashes.SM3, "hmac-sha256": hashes.SHA256}
REPLAY_WINDOW = 300  # seconds: a request signed longer ago (or ahead) than this is refused


class Refused(Exception):
    """The request is not a genuine, fresh delivery: answer 401 and do not process it."""


def _header(headers: Mapping[str, str], name: str) -> str:
    # Header names are case-insensitive; some frameworks give a plain dict.
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value.strip()
    return ""


def check(secret: str, headers: Mapping[str, str], body: bytes, *, algorithm: str | None = None,
          now: float | None = None, window: int = REPLAY_WINDOW) -> list[dict]:
    """The events of a genuine delivery; raises Refused otherwise.

    secret: the subscription's secret, exactly as the API returned it (prefix included);
    algorithm: the subscription's algorithm; given, a request signed with another one is refused;
    now: the receiver's clock in Unix seconds (tests pass their own).
    """
    used = _header(headers, "X-Shenpi-Algorithm")
    if used not in ALGORITHMS or (algorithm is not None and used != algorithm):
        raise Refused(f"unexpected algorithm {used!r}")
    timestamp = _header(headers, "X-Shenpi-Timestamp")
    if not timestamp.isdigit():
        raise Refused("missing timestamp")
    if abs((time.time() if now is None else now) - int(timestamp)) > window:
        raise Refused("timestamp outside the replay window")
    # The MAC input: the timestamp's digits, one newline (0x0A), then the body's bytes unchanged.
    signer = hmac.HMAC(secret.encode("utf-8"), ALGORITHMS[used]())
    signer.update(timestamp.encode("ascii") + b"\n" + body)
    expected = signer.finalize().hex()
    if not std_hmac.compare_digest(expected, _header(headers, "X-Shenpi-Signature").lower()):
        raise Refused("bad signature")
    return json.loads(body)["events"]


class Inbox:
    """What a receiver keeps: the ids it has processed, so a retry or a replay is dropped, not redone.
    (Keep them in your database, in the transaction that processes the event.)"""

    def __init__(self, handle: Callable[[dict], None]):
        self.handle = handle
        self.seen: set[str] = set()
        self.repeats = 0
        self.lock = threading.Lock()

    def take(self, events: list[dict]) -> None:
        with self.lock:
            for event in events:
                if event["id"] in self.seen:
                    self.repeats += 1
                    continue
                self.handle(event)
                self.seen.add(event["id"])


def serve(secret: str, inbox: Inbox, *, port: int = 0, algorithm: str | None = None,
          now: Callable[[], float] = time.time) -> ThreadingHTTPServer:
    """A server on 127.0.0.1 answering 204 to a genuine delivery and 401 to anything else; started
    in a thread (`server.server_address[1]` is the port, `server.shutdown()` stops it)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                events = check(secret, dict(self.headers), body, algorithm=algorithm, now=now())
            except Refused as refusal:
                server.refusals.append(str(refusal))
                self.send_response(401)
            else:
                inbox.take(events)
                self.send_response(204)  # any 2xx: anything else is retried later
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.refusals = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


if __name__ == "__main__":
    printed = Inbox(lambda event: print(json.dumps(event, ensure_ascii=False)))
    running = serve(os.environ["SHENPI_WEBHOOK_SECRET"], printed, port=int(sys.argv[1]) if len(sys.argv) > 1 else 8080)
    print(f"listening on 127.0.0.1:{running.server_address[1]}", file=sys.stderr)
    threading.Event().wait()
