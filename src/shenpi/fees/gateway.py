"""The payment gateway (非税统一公共支付平台): its interface and the production backend over HTTP.

The platform works the way the provinces' non-tax payment platforms do:

- **Order** (下单): we post the order number, amount, the charge's 缴款码, a notify URL and a return
  URL; the platform answers a pay URL. The applicant is sent there (or scans a QR code of it), pays,
  and the platform sends the browser back to the return URL.
- **Notification** (异步通知): the platform POSTs the result to the notify URL, signed with the
  merchant key, until it reads the answer ``SUCCESS``. It may send one twice, late, or never: the
  callback is idempotent (Payment.gateway_transaction is unique) and orders left waiting are queried.
- **Query** (订单查询): an order's status, for notifications that never came.
- **Statement** (对账单): a CSV file of every payment of a period, for the weekly reconciliation.

Every message either way carries X-Merchant-Id, X-Timestamp (Unix seconds, within five minutes) and
X-Signature: hex HMAC-SM3 with the merchant key over ``timestamp \\n METHOD path \\n body``; so the
query's path, which has no body, is signed too. This module only speaks the wire format; what a paid
order means for a charge is in fees/online.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import hmac as std_hmac
import io
import json
import logging
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import hashes, hmac
from django.conf import settings

from shenpi import sandboxes

logger = logging.getLogger("shenpi.fees")

CLOCK_SKEW_SECONDS = 300
SUCCESS = "SUCCESS"
# Columns of the statement file, in this order (UTF-8, one header row).
STATEMENT_COLUMNS = ["order_no", "transaction", "payment_code", "amount", "paid_at", "status"]


class GatewayError(Exception):
    """The gateway could not be reached or refused the request; the caller tells the user to try later."""


class BadSignature(Exception):
    """A message claiming to come from the gateway whose signature, merchant or timestamp does not hold."""


def signature(key: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    mac = hmac.HMAC(key.encode(), hashes.SM3())
    mac.update(f"{timestamp}\n{method.upper()} {path}\n".encode() + body)
    return mac.finalize().hex()


def signed_headers(merchant: str, key: str, method: str, path: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {"X-Merchant-Id": merchant, "X-Timestamp": timestamp,
            "X-Signature": signature(key, timestamp, method, path, body)}


def verify(merchant: str, key: str, headers, method: str, path: str, body: bytes) -> None:
    """Raise BadSignature unless the headers sign this message with our merchant key, recently."""
    if headers.get("X-Merchant-Id", "") != merchant:
        raise BadSignature("unknown merchant")
    timestamp = headers.get("X-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > CLOCK_SKEW_SECONDS:
        raise BadSignature("timestamp missing or out of range")
    expected = signature(key, timestamp, method, path, body)
    if not std_hmac.compare_digest(expected, headers.get("X-Signature", "")):
        raise BadSignature("bad signature")


def money(text) -> Decimal:
    try:
        value = Decimal(str(text)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as error:
        raise ValueError(f"not an amount: {text!r}") from error
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    return value


def moment(text: str) -> dt.datetime:
    """The gateway's times are ISO 8601 with their offset (+08:00)."""
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"a time without its offset: {text!r}")
    return value


@dataclass(frozen=True)
class PlacedOrder:
    order_no: str
    pay_url: str


@dataclass(frozen=True)
class OrderResult:
    """The gateway's word on an order: from a notification or a query."""

    order_no: str
    status: str  # "paid" | "created" | "closed" | "unknown"
    transaction: str = ""
    amount: Decimal | None = None
    paid_at: dt.datetime | None = None

    @property
    def paid(self) -> bool:
        return self.status == "paid"


@dataclass(frozen=True)
class StatementLine:
    order_no: str
    transaction: str
    payment_code: str
    amount: Decimal
    paid_at: dt.datetime


def _result(data: dict) -> OrderResult:
    status = str(data.get("status", ""))
    if status != "paid":
        return OrderResult(str(data.get("order_no", "")), status or "unknown")
    return OrderResult(str(data["order_no"]), status, str(data["transaction"]), money(data["amount"]),
                       moment(str(data["paid_at"])))


def parse_statement(content: bytes) -> list[StatementLine]:
    """The lines of a statement file; ValueError naming the line when one is malformed."""
    text = content.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or [name.strip() for name in reader.fieldnames][:len(STATEMENT_COLUMNS)] \
            != STATEMENT_COLUMNS:
        raise ValueError(f"对账单表头应为：{','.join(STATEMENT_COLUMNS)}")
    lines = []
    for number, row in enumerate(reader, start=2):
        if (row.get("status") or "").strip() != "paid":
            continue
        try:
            lines.append(StatementLine(row["order_no"].strip(), row["transaction"].strip(),
                                       row["payment_code"].strip(), money(row["amount"]),
                                       moment(row["paid_at"].strip())))
        except (KeyError, ValueError, AttributeError) as error:
            raise ValueError(f"对账单第{number}行格式有误：{error}") from error
    return lines


def statement_csv(lines: list[StatementLine]) -> bytes:
    """A statement file in the gateway's format (the demo's and tests' own statements)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STATEMENT_COLUMNS)
    for line in lines:
        writer.writerow([line.order_no, line.transaction, line.payment_code, f"{line.amount:.2f}",
                         line.paid_at.isoformat(), "paid"])
    return out.getvalue().encode()


class PaymentGateway(Protocol):
    merchant: str

    def place_order(self, *, order_no: str, amount: Decimal, payment_code: str, subject: str, notify_url: str,
                    return_url: str) -> PlacedOrder:
        """Place the order; GatewayError when the gateway cannot be reached or refuses it."""

    def read_notification(self, headers, body: bytes, path: str) -> OrderResult:
        """The result a notification carries; BadSignature unless the gateway signed it."""

    def query(self, order_no: str) -> OrderResult:
        """The order's status at the gateway now; GatewayError when it cannot be asked."""

    def statement(self, first_day: dt.date, last_day: dt.date) -> bytes:
        """The statement file (CSV) of the payments made on these days; GatewayError when unavailable."""


class HttpPaymentGateway:
    """The production backend: JSON requests signed with the merchant key."""

    def __init__(self, url: str, merchant: str, key: str, timeout: float):
        self.url, self.merchant, self.key, self.timeout = url.rstrip("/"), merchant, key, timeout
        self.prefix = urlsplit(self.url).path.rstrip("/")

    def _call(self, method: str, path: str, payload: dict | None = None, params: str = "") -> requests.Response:
        if not self.url:
            raise GatewayError("支付平台地址未配置（SHENPI_PAYMENT_URL）。")
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        target = path + (f"?{params}" if params else "")
        headers = {"Content-Type": "application/json; charset=utf-8",
                   **signed_headers(self.merchant, self.key, method, self.prefix + target, body)}
        try:
            response = requests.request(method, self.url + target, data=body or None, headers=headers,
                                        timeout=self.timeout)
        except requests.RequestException as error:
            logger.warning("payment gateway unreachable at %s: %s", path, error)
            raise GatewayError("支付平台暂时无法访问，请稍后再试。") from error
        if response.status_code >= 400:
            logger.warning("payment gateway answered %s at %s: %s", response.status_code, path, response.text[:200])
            raise GatewayError(f"支付平台拒绝了请求（{response.status_code}）。")
        return response

    def place_order(self, *, order_no, amount, payment_code, subject, notify_url, return_url) -> PlacedOrder:
        data = self._call("POST", "/v1/orders", {
            "order_no": order_no, "amount": f"{amount:.2f}", "payment_code": payment_code, "subject": subject,
            "notify_url": notify_url, "return_url": return_url}).json()
        try:
            return PlacedOrder(str(data["order_no"]), str(data["pay_url"]))
        except (KeyError, TypeError) as error:
            raise GatewayError("支付平台的应答无法识别。") from error

    def read_notification(self, headers, body, path) -> OrderResult:
        verify(self.merchant, self.key, headers, "POST", path, body)
        try:
            return _result(json.loads(body))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BadSignature(f"malformed notification: {error}") from error

    def query(self, order_no: str) -> OrderResult:
        response = self._call("GET", f"/v1/orders/{order_no}")
        try:
            return _result(response.json())
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise GatewayError("支付平台的应答无法识别。") from error

    def statement(self, first_day, last_day) -> bytes:
        return self._call("GET", "/v1/statements", params=f"from={first_day:%Y-%m-%d}&to={last_day:%Y-%m-%d}").content


def gateway() -> PaymentGateway:
    """The configured backend; read at each call so a changed setting (or a test's sandbox) applies at once."""
    url, merchant, key = sandboxes.endpoint("payment", settings.PAYMENT_URL, settings.PAYMENT_MERCHANT_ID,
                                            settings.PAYMENT_MERCHANT_KEY, "shenpi.sandboxes.payment:MERCHANTS")
    if url and not key:
        logger.warning("SHENPI_PAYMENT_MERCHANT_KEY is not set: the payment gateway is not called")
        url = ""
    return HttpPaymentGateway(url, merchant, key, settings.PAYMENT_TIMEOUT)
