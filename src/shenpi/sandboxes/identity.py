"""Sandbox of the identity service (公安身份核验 / 企业登记信息核验) behind 实名认证.

Wire format, as the platform's HttpIdentityService speaks it:

    POST /v1/person/verify      {"name": …, "id_number": …}
    POST /v1/enterprise/verify  {"name": …, "uscc": …, "legal_representative": …}

with headers X-App-Key, X-Timestamp (Unix seconds, within five minutes of now) and X-Signature:
hex HMAC-SM3 with the app's secret over "<timestamp>\\n<body>". The answer is 200
{"result": "match" | "mismatch" | "no_record", "request_id": …}; a wrong key, timestamp or
signature is 401 {"error": …}, a malformed body 400.

`requests` records every request received (path, app key, whether the signature held, the
payload, the result) for tests to assert; `people` and `companies` may be extended by a test.
"""

from __future__ import annotations

import hmac as std_hmac
import itertools
import json
import time

from cryptography.hazmat.primitives import hashes, hmac

from . import identity_records
from .server import Request, Response, Sandbox

CLOCK_SKEW_SECONDS = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.HMAC(secret.encode(), hashes.SM3())
    mac.update(timestamp.encode() + b"\n" + body)
    return mac.finalize().hex()


class IdentitySandbox(Sandbox):
    name = "identity"

    def reset(self) -> None:
        self.people: dict[str, str] = {number: name for name, number in identity_records.PEOPLE}
        self.companies: dict[str, tuple[str, str]] = {
            uscc: (name, representative) for name, uscc, representative in identity_records.COMPANIES}
        self.apps: dict[str, str] = dict(identity_records.APPS)
        self.requests: list[dict] = []
        self._ids = itertools.count(1)

    def handle(self, request: Request) -> Response:
        record = {"path": request.path, "app_key": request.headers.get("x-app-key", ""), "signed": False,
                  "payload": None, "result": None}
        self.requests.append(record)
        if request.method != "POST" or request.path not in ("/v1/person/verify", "/v1/enterprise/verify"):
            record["result"] = "not_found"
            return Response.json({"error": "no such endpoint"}, 404)
        refusal = self._refusal(request)
        if refusal:
            record["result"] = "unauthorised"
            return Response.json({"error": refusal}, 401)
        record["signed"] = True
        try:
            payload = json.loads(request.body)
            record["payload"] = payload
            if request.path == "/v1/person/verify":
                result = self._person(str(payload["name"]), str(payload["id_number"]))
            else:
                result = self._enterprise(str(payload["name"]), str(payload["uscc"]),
                                          str(payload["legal_representative"]))
        except (ValueError, KeyError, TypeError):
            record["result"] = "bad_request"
            return Response.json({"error": "expected a JSON object with the documented fields"}, 400)
        record["result"] = result
        return Response.json({"result": result, "request_id": f"SBX{next(self._ids):08d}"})

    def _refusal(self, request: Request) -> str:
        secret = self.apps.get(request.headers.get("x-app-key", ""))
        if secret is None:
            return "unknown app key"
        timestamp = request.headers.get("x-timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > CLOCK_SKEW_SECONDS:
            return "timestamp missing or out of range"
        expected = signature(secret, timestamp, request.body)
        if not std_hmac.compare_digest(expected, request.headers.get("x-signature", "")):
            return "bad signature"
        return ""

    def _person(self, name: str, number: str) -> str:
        known = self.people.get(number.upper())
        if known is None:
            return "no_record"
        return "match" if known == name.strip() else "mismatch"

    def _enterprise(self, name: str, uscc: str, representative: str) -> str:
        known = self.companies.get(uscc.upper())
        if known is None:
            return "no_record"
        return "match" if known == (name.strip(), representative.strip()) else "mismatch"
