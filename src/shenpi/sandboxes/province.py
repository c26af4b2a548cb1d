"""Sandboxes of the upper platforms: the province's supervision platform (省电子监察平台, "province") and
the national rating system (好差评系统, "rating"); wire format in shenpi/exchange/sender.py.

    POST /events     {"events": [{…}, …]}  signed: X-Shenpi-Timestamp (Unix seconds, within five
                     minutes), X-Shenpi-Algorithm (hmac-sm3 | hmac-sha256) and X-Shenpi-Signature:
                     hex HMAC with the shared secret over "<timestamp>\\n<body>". Answers 200
                     {"accepted": n, "duplicates": n}; 401 on a bad signature, 400 on a bad body.

An event is known by its id ("id", or "sjbs" in the province's format): a repeat is counted and
dropped. Per case ("case" / "sblsh"), events must come in the order of their sequence number
("seq" / "sjxh"); one that comes after a later one of its case is recorded in `violations`.

Behaviour and counts, over HTTP (unsigned, like /_control):

    POST /behaviour  {"mode": "ok" | "fail" | "stall" | "slow", "seconds": n}
                     fail answers 503; stall holds the request n seconds and then drops the
                     connection (the sender's time-out fires first when shorter); slow answers after n s.
    GET  /stats      {"received", "accepted", "duplicates", "refused", "violations", "batches",
                      "mode", "seconds"}
    GET  /events     the accepted events with "received_at" (Unix time of receipt), oldest first;
                     ?after=N skips the first N.

A sandbox never imports the platform: the signature check is written again from the wire format.
"""

from __future__ import annotations

import hmac as std_hmac
import json
import time
from contextlib import contextmanager

from cryptography.hazmat.primitives import hashes, hmac

from .server import Request, Response, Sandbox

REPLAY_WINDOW = 300
ALGORITHMS = {"hmac-sm3": hashes.SM3, "hmac-sha256": hashes.SHA256}
MODES = ("ok", "fail", "stall", "slow")

# The secret shared with the platform (a destination without its own address and secret uses it).
SECRETS = {"shenpi": "province-sandbox-secret"}

# The same field under our names, the province's and the rating system's (the default mappings,
# exchange/fixtures/mapping-*.json).
ID_FIELDS = ("id", "sjbs", "evaluateId")
CASE_FIELDS = ("case", "sblsh", "projectNo")
SEQ_FIELDS = ("seq", "sjxh")


def _first(event: dict, names: tuple[str, ...]):
    return next((event[name] for name in names if name in event), None)


def signature(secret: str, algorithm: str, timestamp: str, body: bytes) -> str:
    mac = hmac.HMAC(secret.encode(), ALGORITHMS[algorithm]())
    mac.update(timestamp.encode() + b"\n" + body)
    return mac.finalize().hex()


class Dropped(ConnectionError):
    """The sandbox hangs up on the caller (stall): the server closes the connection without an answer."""


class ProvinceSandbox(Sandbox):
    name = "province"

    def reset(self) -> None:
        self.secret = next(iter(SECRETS.values()))
        self.mode, self.seconds = "ok", 0.0
        self.seen: set[str] = set()
        self.last_seq: dict[str, int] = {}  # case → the highest sequence number accepted
        self.events: list[dict] = []
        self.violations: list[dict] = []
        self.counts = {"received": 0, "accepted": 0, "duplicates": 0, "refused": 0, "batches": 0}

    @contextmanager
    def _unlocked(self):
        """Wait without the sandbox's lock (the server holds it around handle): /stats and
        /behaviour keep answering while a stalled or slow request waits."""
        self.lock.release()
        try:
            yield
        finally:
            self.lock.acquire()

    def handle(self, request: Request) -> Response:
        if request.path == "/behaviour" and request.method == "POST":
            return self._behaviour(request)
        if request.path == "/stats":
            return Response.json({**self.counts, "violations": len(self.violations), "mode": self.mode,
                                  "seconds": self.seconds})
        if request.path == "/events" and request.method == "GET":
            after = int(request.query.get("after") or 0)
            return Response.json({"events": self.events[after:]})
        if request.path != "/events" or request.method != "POST":
            return Response.json({"error": "no such endpoint"}, 404)
        return self._receive(request)

    def _behaviour(self, request: Request) -> Response:
        try:
            data = request.json() or {}
            mode, seconds = str(data.get("mode", "ok")), float(data.get("seconds", 0))
        except (ValueError, TypeError, AttributeError):
            return Response.json({"error": "expected JSON {mode, seconds}"}, 400)
        if mode not in MODES or seconds < 0:
            return Response.json({"error": "mode is one of ok, fail, stall, slow; seconds ≥ 0"}, 400)
        self.mode, self.seconds = mode, seconds
        return Response.json({"mode": mode, "seconds": seconds})

    def _receive(self, request: Request) -> Response:
        mode, seconds = self.mode, self.seconds
        if mode in ("stall", "slow"):
            with self._unlocked():
                time.sleep(seconds)
            if mode == "stall":
                raise Dropped
        if mode == "fail":
            return Response.json({"error": "told to fail"}, 503)
        refusal = self._refusal(request)
        if refusal:
            self.counts["refused"] += 1
            return Response.json({"error": refusal}, 401)
        try:
            events = json.loads(request.body)["events"]
            if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return Response.json({"error": "expected {\"events\": [objects]}"}, 400)
        return Response.json(self._take(events))

    def _refusal(self, request: Request) -> str:
        algorithm = request.headers.get("x-shenpi-algorithm", "")
        if algorithm not in ALGORITHMS:
            return "unsupported algorithm"
        timestamp = request.headers.get("x-shenpi-timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > REPLAY_WINDOW:
            return "timestamp missing or out of range"
        expected = signature(self.secret, algorithm, timestamp, request.body)
        if not std_hmac.compare_digest(expected, request.headers.get("x-shenpi-signature", "")):
            return "bad signature"
        return ""

    def _take(self, events: list[dict]) -> dict:
        now = time.time()
        accepted = duplicates = 0
        self.counts["batches"] += 1
        for event in events:
            self.counts["received"] += 1
            key = str(_first(event, ID_FIELDS))
            if key in self.seen:
                duplicates += 1
                continue
            self.seen.add(key)
            accepted += 1
            self._check_order(event)
            self.events.append({**event, "received_at": now})
        self.counts["accepted"] += accepted
        self.counts["duplicates"] += duplicates
        return {"accepted": accepted, "duplicates": duplicates}

    def _check_order(self, event: dict) -> None:
        case, seq = _first(event, CASE_FIELDS), _first(event, SEQ_FIELDS)
        if case is None or not isinstance(seq, int):
            return
        last = self.last_seq.get(case)
        if last is not None and seq < last:
            self.violations.append({"case": case, "seq": seq, "after": last})
        else:
            self.last_seq[case] = seq


class RatingSandbox(ProvinceSandbox):
    """The national rating system (好差评): the same wire format, its own counts."""

    name = "rating"
