"""Sandbox of the payment gateway (非税统一公共支付平台).

Wire format, as the platform's HttpPaymentGateway speaks it (docs/fees-gateway.md). Every request
and every notification carries X-Merchant-Id, X-Timestamp (Unix seconds, within five minutes) and
X-Signature: hex HMAC-SM3 with the merchant key over "<timestamp>\\n<METHOD> <path>\\n<body>".

    POST /v1/orders            {"order_no", "amount", "payment_code", "subject", "notify_url", "return_url"}
                               -> {"order_no", "pay_url", "status": "created"}
    GET  /v1/orders/<no>       -> {"order_no", "status", "transaction", "amount", "paid_at"}
    GET  /v1/statements?from=YYYY-MM-DD&to=YYYY-MM-DD
                               -> CSV: order_no,transaction,payment_code,amount,paid_at,status
    GET  /pay/<no>             the payer's page (the pay URL, also behind the QR code)
    POST /pay/<no>             确认支付: the order is paid, the notification POSTed to notify_url
                               (JSON {"order_no", "status": "paid", "transaction", "amount", "paid_at"},
                               answered "SUCCESS"; retried after `retry_delays` seconds while it is
                               not), then 302 to return_url?order_no=…

Test controls (unsigned, like /_control):

    POST /control/drop       {"count": 1}   the next notification(s) are never sent (lost)
    POST /control/duplicate  {"count": 1}   the next notification(s) are sent twice
    POST /control/amount     {"order_no", "amount"}  the statement shows another amount for the order
    POST /control/unknown    {"amount", "payment_code"?, "paid_at"?}  a payment unknown to the merchant
                             appears in the statement
    POST /control/retry      {"delays": [seconds, …]}  the waits between notification retries

`notifications` records every notification attempt (order, attempt, HTTP status, answer).
"""

from __future__ import annotations

import datetime as dt
import hmac as std_hmac
import html
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import hashes, hmac

from .server import Request, Response, Sandbox

# The merchants registered with the platform: merchant number -> key.
MERCHANTS = {"SHENPI-SANDBOX": "payment-sandbox-merchant-key"}
CLOCK_SKEW_SECONDS = 300
ZONE = ZoneInfo("Asia/Shanghai")
NOTIFY_TIMEOUT = 10


def signature(key: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    mac = hmac.HMAC(key.encode(), hashes.SM3())
    mac.update(f"{timestamp}\n{method.upper()} {path}\n".encode() + body)
    return mac.finalize().hex()


def _amount(text) -> Decimal | None:
    try:
        value = Decimal(str(text)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and value > 0 else None


class PaymentSandbox(Sandbox):
    name = "payment"

    def reset(self) -> None:
        self.orders: dict[str, dict] = {}
        self.extra_lines: list[dict] = []  # payments the merchant never ordered (control/unknown)
        self.statement_amounts: dict[str, str] = {}
        self.notifications: list[dict] = []
        self.drop = 0
        self.duplicate = 0
        self.retry_delays: list[float] = [2, 5, 15, 30, 60]
        self._transactions = itertools.count(1)

    def handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/control/") and request.method == "POST":
            return self.control(path[len("/control/"):], request)
        if path.startswith("/pay/"):
            order_no = path[len("/pay/"):]
            return self.pay_page(order_no, request) if request.method == "GET" else self.confirm(order_no, request)
        refusal, merchant = self._refusal(request)
        if refusal:
            return Response.json({"error": refusal}, 401)
        if request.method == "POST" and path == "/v1/orders":
            return self.place(merchant, request)
        if request.method == "GET" and path.startswith("/v1/orders/"):
            return self.query(merchant, path[len("/v1/orders/"):])
        if request.method == "GET" and path == "/v1/statements":
            return self.statement(merchant, request)
        return Response.json({"error": "no such endpoint"}, 404)

    def _refusal(self, request: Request) -> tuple[str, str]:
        merchant = request.headers.get("x-merchant-id", "")
        key = MERCHANTS.get(merchant)
        if key is None:
            return "unknown merchant", ""
        timestamp = request.headers.get("x-timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > CLOCK_SKEW_SECONDS:
            return "timestamp missing or out of range", ""
        prefix = urlsplit(request.base_url).path
        query = urlencode(request.query)
        target = prefix + request.path + (f"?{query}" if query else "")
        expected = signature(key, timestamp, request.method, target, request.body)
        if not std_hmac.compare_digest(expected, request.headers.get("x-signature", "")):
            return "bad signature", ""
        return "", merchant

    # -- the merchant's API --------------------------------------------------------------------------

    def place(self, merchant: str, request: Request) -> Response:
        try:
            data = json.loads(request.body)
            order_no, amount = str(data["order_no"]), _amount(data["amount"])
            fields = {key: str(data[key]) for key in ("payment_code", "notify_url", "return_url")}
            subject = str(data.get("subject", ""))
        except (ValueError, KeyError, TypeError):
            return Response.json({"error": "expected a JSON object with the documented fields"}, 400)
        if amount is None or not order_no or not fields["notify_url"].startswith(("http://", "https://")):
            return Response.json({"error": "amount, order_no or notify_url invalid"}, 400)
        known = self.orders.get(order_no)
        if known is not None:
            if known["amount"] != amount or known["merchant"] != merchant:
                return Response.json({"error": "order_no already used for another order"}, 409)
        else:
            self.orders[order_no] = known = {"order_no": order_no, "merchant": merchant, "amount": amount,
                                             "subject": subject, "status": "created", "transaction": "",
                                             "paid_at": None, **fields}
        pay_url = f"{request.base_url}/pay/{order_no}"
        return Response.json({"order_no": order_no, "pay_url": pay_url, "status": known["status"]})

    def _public(self, order: dict) -> dict:
        if order["status"] != "paid":
            return {"order_no": order["order_no"], "status": order["status"]}
        return {"order_no": order["order_no"], "status": "paid", "transaction": order["transaction"],
                "amount": f"{order['amount']:.2f}", "paid_at": order["paid_at"].isoformat()}

    def query(self, merchant: str, order_no: str) -> Response:
        order = self.orders.get(order_no)
        if order is None or order["merchant"] != merchant:
            return Response.json({"order_no": order_no, "status": "unknown"})
        return Response.json(self._public(order))

    def statement(self, merchant: str, request: Request) -> Response:
        try:
            first = dt.date.fromisoformat(request.query["from"])
            last = dt.date.fromisoformat(request.query["to"])
        except (KeyError, ValueError):
            return Response.json({"error": "from and to are dates YYYY-MM-DD"}, 400)
        rows = ["order_no,transaction,payment_code,amount,paid_at,status"]
        lines = [order for order in self.orders.values() if order["status"] == "paid" and order["merchant"] == merchant]
        lines += [line for line in self.extra_lines if line["merchant"] == merchant]
        for line in sorted(lines, key=lambda line: line["paid_at"]):
            if not first <= line["paid_at"].astimezone(ZONE).date() <= last:
                continue
            amount = self.statement_amounts.get(line["order_no"], f"{line['amount']:.2f}")
            rows.append(",".join([line["order_no"], line["transaction"], line["payment_code"], amount,
                                  line["paid_at"].isoformat(), "paid"]))
        return Response(200, ("\n".join(rows) + "\n").encode(), {"Content-Type": "text/csv; charset=utf-8"})

    # -- the payer's side ----------------------------------------------------------------------------

    def pay_page(self, order_no: str, request: Request) -> Response:
        order = self.orders.get(order_no)
        if order is None:
            return Response.html("<h1>订单不存在</h1>", 404)
        if order["status"] == "paid":
            body = (f"<p>订单 {html.escape(order_no)} 已支付。</p>"
                    f'<p><a href="{html.escape(self._return(order))}">返回商户</a></p>')
        else:
            body = (f"<p>订单号：{html.escape(order_no)}</p><p>缴款码：{html.escape(order['payment_code'])}</p>"
                    f"<p>项目：{html.escape(order['subject'])}</p>"
                    f"<p>金额：<strong>¥{order['amount']:.2f}</strong></p>"
                    f'<form method="post" action="{html.escape(request.base_url)}/pay/{html.escape(order_no)}">'
                    '<button type="submit">确认支付</button></form>')
        return Response.html('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
                             f"<title>统一公共支付平台（模拟）</title></head><body><h1>统一公共支付平台（模拟）</h1>"
                             f"{body}</body></html>")

    def _return(self, order: dict) -> str:
        separator = "&" if "?" in order["return_url"] else "?"
        return f"{order['return_url']}{separator}{urlencode({'order_no': order['order_no']})}"

    def confirm(self, order_no: str, request: Request) -> Response:
        order = self.orders.get(order_no)
        if order is None:
            return Response.html("<h1>订单不存在</h1>", 404)
        if order["status"] != "paid":
            order.update(status="paid", transaction=f"SBXT{time.strftime('%Y%m%d')}{next(self._transactions):08d}",
                         paid_at=dt.datetime.now(ZONE).replace(microsecond=0))
            if self.drop:
                self.drop -= 1
            else:
                times = 2 if self.duplicate else 1
                self.duplicate = max(0, self.duplicate - 1)
                for _ in range(times):
                    # The first attempt before the browser goes back, as the platforms do; retries later.
                    if not self.notify(order, attempt=1):
                        self._retry_later(order)
        return Response.redirect(self._return(order))

    def notify(self, order: dict, attempt: int) -> bool:
        """POST the signed notification; True when the merchant answered SUCCESS."""
        body = json.dumps(self._public(order), ensure_ascii=False, separators=(",", ":")).encode()
        key = MERCHANTS[order["merchant"]]
        timestamp = str(int(time.time()))
        target = urlsplit(order["notify_url"])
        path = target.path + (f"?{target.query}" if target.query else "")
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Merchant-Id": order["merchant"],
                   "X-Timestamp": timestamp, "X-Signature": signature(key, timestamp, "POST", path, body)}
        record = {"order_no": order["order_no"], "attempt": attempt, "status": None, "answer": ""}
        self.notifications.append(record)
        request = urllib.request.Request(order["notify_url"], data=body, method="POST", headers=headers)  # noqa: S310 - checked http(s) when ordered
        try:
            with urllib.request.urlopen(request, timeout=NOTIFY_TIMEOUT) as response:  # noqa: S310 - test address
                record["status"], record["answer"] = response.status, response.read(100).decode(errors="replace")
        except urllib.error.HTTPError as error:
            record["status"] = error.code
        except OSError as error:
            record["answer"] = str(error)
        return record["status"] == 200 and record["answer"].strip() == "SUCCESS"

    def _retry_later(self, order: dict) -> None:
        delays = list(self.retry_delays)

        def run():
            for attempt, delay in enumerate(delays, start=2):
                time.sleep(delay)
                with self.lock:
                    if self.orders.get(order["order_no"]) is not order:
                        return  # reset meanwhile
                if self.notify(order, attempt):
                    return

        threading.Thread(target=run, name=f"payment-notify-{order['order_no']}", daemon=True).start()

    # -- test controls -------------------------------------------------------------------------------

    def control(self, what: str, request: Request) -> Response:
        try:
            data = request.json() or {}
            if what == "drop":
                self.drop += int(data.get("count", 1))
            elif what == "duplicate":
                self.duplicate += int(data.get("count", 1))
            elif what == "amount":
                amount = _amount(data["amount"])
                if amount is None:
                    raise ValueError("amount")
                self.statement_amounts[str(data["order_no"])] = f"{amount:.2f}"
            elif what == "unknown":
                amount = _amount(data["amount"])
                if amount is None:
                    raise ValueError("amount")
                paid_at = (dt.datetime.fromisoformat(data["paid_at"]) if data.get("paid_at")
                           else dt.datetime.now(ZONE).replace(microsecond=0))
                merchant = str(data.get("merchant", next(iter(MERCHANTS))))
                line = {"order_no": str(data.get("order_no") or f"EXT{next(self._transactions):010d}"),
                        "transaction": f"SBXU{next(self._transactions):010d}", "merchant": merchant,
                        "payment_code": str(data.get("payment_code", "")), "amount": amount, "paid_at": paid_at}
                self.extra_lines.append(line)
                return Response.json({"order_no": line["order_no"], "transaction": line["transaction"]})
            elif what == "retry":
                self.retry_delays = [float(delay) for delay in data["delays"]]
            else:
                return Response.json({"error": "no such control"}, 404)
        except (ValueError, KeyError, TypeError, AttributeError):
            return Response.json({"error": "malformed control"}, 400)
        return Response.json({"ok": True})
