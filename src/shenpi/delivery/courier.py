"""The courier (EMS-style 邮政速递) behind 邮寄送达: waybills, tracking, and its signed push of tracking events.

`Courier` is the interface; `HttpCourier` is the production backend, posting JSON to
SHENPI_COURIER_URL (in development and tests: the "courier" sandbox). Wire format:

    POST /v1/waybills        {"order_no", "sender": {...}, "receiver": {"name", "phone", "address"},
                              "callback_url"}          → {"waybill_no"}  (the same order_no: the same waybill)
    POST /v1/tracking/query  {"waybill_no"}            → {"waybill_no", "events": [event, …]}

An event is {"id", "code", "description", "location", "at"} with code one of collected (揽收),
in_transit (运输), out_for_delivery (派送), signed (签收), returned (退回); `at` in ISO 8601 with
offset. Every request carries X-App-Key, X-Timestamp (Unix seconds) and X-Signature: hex HMAC-SM3
with the shared secret over "<timestamp>\\n<body>". The courier pushes tracking events to our
callback (POST {"waybill_no", "events": […]}) signed the same way; `verify_push` checks it.

The courier being unreachable, slow or refusing us raises CourierUnavailable: nothing is recorded,
and the clerk is asked to try again.
"""

from __future__ import annotations

import datetime as dt
import hmac as std_hmac
import json
import logging
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives import hashes, hmac
from django.conf import settings

from shenpi import sandboxes

logger = logging.getLogger(__name__)

CLOCK_SKEW_SECONDS = 300

# Tracking codes and how a clerk reads them.
COLLECTED, IN_TRANSIT, OUT_FOR_DELIVERY, SIGNED, RETURNED = (
    "collected", "in_transit", "out_for_delivery", "signed", "returned")
CODES = {COLLECTED: "已揽收", IN_TRANSIT: "运输中", OUT_FOR_DELIVERY: "派送中", SIGNED: "已签收", RETURNED: "已退回"}

# UPU S10 item identifiers, the form of EMS waybill numbers: two letters, eight digits, a check digit, "CN".
_S10 = re.compile(r"^[A-Z]{2}(\d{8})(\d)CN$")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: str) -> str:
    """The S10 check digit of eight serial digits: 11 − (weighted sum mod 11), 10 → 0, 11 → 5."""
    remainder = 11 - sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    return "0" if remainder == 10 else "5" if remainder == 11 else str(remainder)


def valid_waybill(number: str) -> bool:
    match = _S10.match(number or "")
    return bool(match) and s10_check_digit(match.group(1)) == match.group(2)


class CourierUnavailable(Exception):
    """The courier could not be reached or refused the request; nothing was recorded."""


class BadPush(Exception):
    """A push that is not the courier's (unknown key, stale timestamp, wrong signature) or is malformed."""


@dataclass(frozen=True)
class TrackingEvent:
    id: str
    code: str
    description: str
    location: str
    at: dt.datetime

    def as_json(self) -> dict:
        return {"id": self.id, "code": self.code, "description": self.description, "location": self.location,
                "at": self.at.isoformat()}

    @classmethod
    def parse(cls, data: dict) -> TrackingEvent:
        code = str(data["code"])
        if code not in CODES:
            raise ValueError(f"unknown tracking code {code!r}")
        at = dt.datetime.fromisoformat(str(data["at"]))
        if at.tzinfo is None:
            raise ValueError("tracking time without offset")
        return cls(str(data["id"])[:64], code, str(data.get("description", ""))[:200],
                   str(data.get("location", ""))[:100], at)


class Courier(Protocol):
    name: str

    def create_waybill(self, order_no: str, receiver: dict, sender: dict, callback_url: str) -> str:
        """A waybill for this order (the same one again for the same order_no); its number."""

    def track(self, waybill_no: str) -> list[TrackingEvent]:
        """Every tracking event of the parcel so far, oldest first."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.HMAC(secret.encode(), hashes.SM3())
    mac.update(timestamp.encode() + b"\n" + body)
    return mac.finalize().hex()


def signed_headers(app_key: str, secret: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {"Content-Type": "application/json; charset=utf-8", "X-App-Key": app_key, "X-Timestamp": timestamp,
            "X-Signature": sign(secret, timestamp, body)}


class HttpCourier:
    name = "EMS"

    def __init__(self, url: str, app_key: str, app_secret: str, timeout: float):
        self.url, self.app_key, self.app_secret, self.timeout = url.rstrip("/"), app_key, app_secret, timeout

    def create_waybill(self, order_no: str, receiver: dict, sender: dict, callback_url: str) -> str:
        data = self._post("/v1/waybills", {"order_no": order_no, "receiver": receiver, "sender": sender,
                                           "callback_url": callback_url})
        number = str(data.get("waybill_no", ""))
        if not valid_waybill(number):
            logger.warning("courier answered a malformed waybill number %r", number)
            raise CourierUnavailable("快递公司返回的运单号格式不正确。")
        return number

    def track(self, waybill_no: str) -> list[TrackingEvent]:
        data = self._post("/v1/tracking/query", {"waybill_no": waybill_no})
        try:
            return sorted((TrackingEvent.parse(e) for e in data.get("events") or []), key=lambda e: e.at)
        except (KeyError, ValueError, TypeError, AttributeError) as error:
            logger.warning("courier answered malformed tracking for %s: %s", waybill_no, error)
            raise CourierUnavailable("快递公司返回的物流信息无法识别。") from error

    def _post(self, path: str, payload: dict) -> dict:
        if not self.url:
            raise CourierUnavailable("未配置快递接口地址（SHENPI_COURIER_URL）。")
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        # The address is the operator's setting, checked to be http(s) in courier().
        request = urllib.request.Request(self.url + path, data=body, method="POST",  # noqa: S310
                                         headers=signed_headers(self.app_key, self.app_secret, body))
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                data = json.loads(response.read())
        except urllib.error.HTTPError as error:
            logger.warning("courier answered %s at %s", error.code, path)
            raise CourierUnavailable("快递接口暂时无法使用，请稍后再试。") from error
        except (OSError, ValueError) as error:
            logger.warning("courier unreachable at %s: %s", path, error)
            raise CourierUnavailable("快递接口暂时无法使用，请稍后再试。") from error
        if not isinstance(data, dict):
            raise CourierUnavailable("快递接口的应答无法识别。")
        return data


def _credentials() -> tuple[str, str, str]:
    return sandboxes.endpoint("courier", settings.COURIER_URL, settings.COURIER_APP_KEY, settings.COURIER_APP_SECRET,
                              "shenpi.sandboxes.courier:APPS")


def courier() -> Courier:
    """The configured backend; read at each call so a changed setting (or a test's sandbox) applies at once."""
    url, key, secret = _credentials()
    if url and not secret:
        logger.warning("SHENPI_COURIER_APP_SECRET is not set: the courier is not called")
        url = ""
    return HttpCourier(url, key, secret, settings.COURIER_TIMEOUT)


def verify_push(headers: dict[str, str], body: bytes) -> tuple[str, list[TrackingEvent]]:
    """(waybill number, events) of a push signed by the courier; BadPush otherwise. Header names in lower case."""
    _, key, secret = _credentials()
    if not secret or not std_hmac.compare_digest(headers.get("x-app-key", ""), key):
        raise BadPush("unknown app key")
    timestamp = headers.get("x-timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > CLOCK_SKEW_SECONDS:
        raise BadPush("timestamp missing or out of range")
    if not std_hmac.compare_digest(sign(secret, timestamp, body), headers.get("x-signature", "")):
        raise BadPush("bad signature")
    try:
        data = json.loads(body)
        return str(data["waybill_no"]), [TrackingEvent.parse(e) for e in data["events"]]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BadPush(f"malformed push: {error}") from error
