"""Sandbox of the courier (EMS-style 邮政速递) behind 邮寄送达; wire format in shenpi/delivery/courier.py.

It issues S10 waybill numbers (two letters, eight digits, check digit, "CN"; the same number again
for the same order_no) and walks each parcel through 揽收 → 运输 → 派送 → 签收: on request
(`POST /v1/_test/advance {"waybill_no", "to": "next" | "signed" | "returned"}`) or by time, one stage
every `stage_seconds` when a test sets it (`POST /v1/_test/config {"stage_seconds": N,
"push_attempts": N, "push_retry_seconds": S}`). Each new event is pushed, signed, to the order's
callback_url; a push that fails (not a 2xx) is tried again up to `push_attempts` times, then kept
in `undelivered`. `POST /v1/_test/repush {"waybill_no"}` sends the parcel's events once more, as a
courier that lost our answer would. Requests with a wrong key, timestamp or signature get 401.

`requests`, `pushes` and `parcels` record what happened, for tests to assert.
"""

from __future__ import annotations

import datetime as dt
import hmac as std_hmac
import itertools
import json
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import hashes, hmac

from .server import Request, Response, Sandbox

CLOCK_SKEW_SECONDS = 300
CHINA = dt.timezone(dt.timedelta(hours=8))

# The platform's credentials at the courier (SHENPI_COURIER_APP_KEY / _SECRET default to them).
APPS = {"shenpi-sandbox": "courier-sandbox-secret"}

STAGES = (
    ("collected", "已揽收", "示范市邮政速递营业部"),
    ("in_transit", "运输中，离开示范市处理中心", "示范市邮件处理中心"),
    ("out_for_delivery", "派送中，投递员正在派送", "示范市投递部"),
    ("signed", "已签收，本人签收", "示范市投递部"),
)
RETURNED = ("returned", "收件人拒收，已退回寄件人", "示范市投递部")
WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.HMAC(secret.encode(), hashes.SM3())
    mac.update(timestamp.encode() + b"\n" + body)
    return mac.finalize().hex()


def _check_digit(serial: str) -> str:
    remainder = 11 - sum(int(d) * w for d, w in zip(serial, WEIGHTS, strict=True)) % 11
    return "0" if remainder == 10 else "5" if remainder == 11 else str(remainder)


class CourierSandbox(Sandbox):
    name = "courier"

    def reset(self) -> None:
        self.apps: dict[str, str] = dict(APPS)
        self.parcels: dict[str, dict] = {}  # waybill → {order_no, receiver, callback_url, created, events, …}
        self.orders: dict[str, str] = {}  # order_no → waybill
        self.requests: list[dict] = []
        self.pushes: list[dict] = []  # every push attempt: waybill, event codes, status
        self.undelivered: list[dict] = []
        self.stage_seconds: float | None = None
        self.push_attempts = 3
        self.push_retry_seconds = 0.2
        self._serials = itertools.count(10_000_001)
        self._event_ids = itertools.count(1)

    # -- requests -------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        record = {"path": request.path, "signed": False, "payload": None}
        self.requests.append(record)
        if request.path.startswith("/v1/_test/"):
            return self._control(request)
        if request.method != "POST" or request.path not in ("/v1/waybills", "/v1/tracking/query"):
            return Response.json({"error": "no such endpoint"}, 404)
        refusal = self._refusal(request)
        if refusal:
            return Response.json({"error": refusal}, 401)
        record["signed"] = True
        try:
            payload = json.loads(request.body)
            record["payload"] = payload
            if request.path == "/v1/waybills":
                return self._create(payload)
            return self._query(str(payload["waybill_no"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            return Response.json({"error": "expected a JSON object with the documented fields"}, 400)

    def _refusal(self, request: Request) -> str:
        secret = self.apps.get(request.headers.get("x-app-key", ""))
        if secret is None:
            return "unknown app key"
        timestamp = request.headers.get("x-timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > CLOCK_SKEW_SECONDS:
            return "timestamp missing or out of range"
        if not std_hmac.compare_digest(signature(secret, timestamp, request.body),
                                       request.headers.get("x-signature", "")):
            return "bad signature"
        return ""

    def _create(self, payload: dict) -> Response:
        order_no = str(payload["order_no"])
        receiver = payload["receiver"]
        if not all(str(receiver.get(k, "")).strip() for k in ("name", "phone", "address")):
            return Response.json({"error": "receiver name, phone and address are required"}, 400)
        if order_no in self.orders:  # the caller retried: the same parcel
            return Response.json({"waybill_no": self.orders[order_no]})
        serial = f"{next(self._serials):08d}"
        waybill = f"EA{serial}{_check_digit(serial)}CN"
        self.orders[order_no] = waybill
        self.parcels[waybill] = {"order_no": order_no, "receiver": receiver, "callback_url":
                                 str(payload.get("callback_url") or ""), "created": time.time(), "events": [],
                                 "key": next(iter(self.apps))}
        return Response.json({"waybill_no": waybill})

    def _query(self, waybill: str) -> Response:
        parcel = self.parcels.get(waybill)
        if parcel is None:
            return Response.json({"error": "no such waybill"}, 404)
        self._by_time(waybill)
        return Response.json({"waybill_no": waybill, "events": parcel["events"]})

    # -- the parcel's walk ------------------------------------------------------------------------
    def _ended(self, parcel: dict) -> bool:
        return bool(parcel["events"]) and parcel["events"][-1]["code"] in ("signed", "returned")

    def _add(self, waybill: str, stage: tuple[str, str, str]) -> dict:
        code, description, location = stage
        event = {"id": f"E{next(self._event_ids):010d}", "code": code, "description": description,
                 "location": location, "at": dt.datetime.now(CHINA).isoformat(timespec="seconds")}
        self.parcels[waybill]["events"].append(event)
        return event

    def _by_time(self, waybill: str) -> list[dict]:
        """Stages the parcel has reached by now when time drives it; the new events."""
        parcel = self.parcels[waybill]
        if not self.stage_seconds or self._ended(parcel):
            return []
        reached = min(len(STAGES), int((time.time() - parcel["created"]) // self.stage_seconds))
        return [self._add(waybill, STAGES[n]) for n in range(len(parcel["events"]), reached)]

    def _advance(self, waybill: str, to: str) -> list[dict]:
        parcel = self.parcels[waybill]
        new = self._by_time(waybill)
        if self._ended(parcel):
            return new
        if to == "returned":
            return [*new, self._add(waybill, RETURNED)]
        done = len(parcel["events"])
        last = len(STAGES) if to == "signed" else done + 1
        return [*new, *(self._add(waybill, STAGES[n]) for n in range(done, last))]

    # -- pushes ---------------------------------------------------------------------------------
    def push(self, waybill: str, events: list[dict]) -> bool:
        """Push these events to the parcel's callback, retrying; True once our side answered 2xx."""
        parcel = self.parcels[waybill]
        url = parcel["callback_url"]
        if not url or not events:
            return False
        body = json.dumps({"waybill_no": waybill, "events": events}, ensure_ascii=False).encode()
        for attempt in range(1, self.push_attempts + 1):
            timestamp = str(int(time.time()))
            headers = {"Content-Type": "application/json; charset=utf-8", "X-App-Key": parcel["key"],
                       "X-Timestamp": timestamp,
                       "X-Signature": signature(self.apps[parcel["key"]], timestamp, body)}
            request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = 0
            self.pushes.append({"waybill_no": waybill, "codes": [e["code"] for e in events], "attempt": attempt,
                                "status": status})
            if 200 <= status < 300:
                return True
            if attempt < self.push_attempts:
                time.sleep(self.push_retry_seconds)
        self.undelivered.append({"waybill_no": waybill, "events": events})
        return False

    def _control(self, request: Request) -> Response:
        try:
            payload = request.json() or {}
        except ValueError:
            return Response.json({"error": "expected JSON"}, 400)
        what = request.path.removeprefix("/v1/_test/")
        if what == "config":
            if "stage_seconds" in payload:
                self.stage_seconds = float(payload["stage_seconds"]) or None
            self.push_attempts = int(payload.get("push_attempts", self.push_attempts))
            self.push_retry_seconds = float(payload.get("push_retry_seconds", self.push_retry_seconds))
            return Response.json({"stage_seconds": self.stage_seconds, "push_attempts": self.push_attempts})
        waybill = str(payload.get("waybill_no", ""))
        if waybill not in self.parcels:
            return Response.json({"error": "no such waybill"}, 404)
        if what == "advance":
            to = str(payload.get("to", "next"))
            if to not in ("next", "signed", "returned"):
                return Response.json({"error": "to is next, signed or returned"}, 400)
            new = self._advance(waybill, to)
            pushed = self.push(waybill, new) if payload.get("push", True) else False
            return Response.json({"events": new, "pushed": pushed})
        if what == "repush":
            pushed = self.push(waybill, self.parcels[waybill]["events"])
            return Response.json({"pushed": pushed})
        return Response.json({"error": "no such control"}, 404)

