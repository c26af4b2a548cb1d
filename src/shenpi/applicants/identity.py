"""The identity service behind 实名认证: does this name go with this ID number, this company with its USCC?

`IdentityService` is the interface; `HttpIdentityService` is the production backend, posting JSON
to SHENPI_IDENTITY_URL (in development and tests: the "identity" sandbox). Each request carries the
app key, a timestamp and an HMAC-SM3 signature over "<timestamp>\\n<body>" with the app secret; the
service refuses a request whose signature or timestamp is wrong.

Every answer is one of `Outcome`; the service being unreachable, slow, refusing us or answering
nonsense is UNAVAILABLE, never a mismatch: the applicant is asked to try again, with their input kept.
"""

from __future__ import annotations

import enum
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives import hashes, hmac
from django.conf import settings

from shenpi import sandboxes

logger = logging.getLogger(__name__)


class Outcome(enum.Enum):
    MATCH = "match"
    MISMATCH = "mismatch"
    NO_RECORD = "no_record"
    UNAVAILABLE = "unavailable"


# What the applicant is told for each answer but a match.
MESSAGES = {
    Outcome.MISMATCH: "姓名与证件号码不一致，实名认证未通过。请核对后重新提交。",
    Outcome.NO_RECORD: "未查询到该证件号码的登记信息，实名认证未通过。请核对证件号码，或携带证件到窗口现场核验。",
    Outcome.UNAVAILABLE: "身份核验服务暂时无法使用，您填写的信息已保留，请稍后再提交。",
}
ENTERPRISE_MESSAGES = {
    Outcome.MISMATCH: "单位名称、统一社会信用代码与法定代表人不一致，实名认证未通过。请核对营业执照后重新提交。",
    Outcome.NO_RECORD: "未查询到该统一社会信用代码的登记信息，实名认证未通过。请核对后重新提交。",
    Outcome.UNAVAILABLE: MESSAGES[Outcome.UNAVAILABLE],
}


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    reference: str = ""  # the service's request id, kept with the verification

    @property
    def matched(self) -> bool:
        return self.outcome is Outcome.MATCH


class IdentityService(Protocol):
    def check_person(self, name: str, id_number: str) -> Answer:
        """Whether the resident identity card `id_number` was issued to `name`."""

    def check_enterprise(self, name: str, uscc: str, representative: str) -> Answer:
        """Whether the company registered under `uscc` is `name` with `representative` as 法定代表人."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.HMAC(secret.encode(), hashes.SM3())
    mac.update(timestamp.encode() + b"\n" + body)
    return mac.finalize().hex()


class HttpIdentityService:
    def __init__(self, url: str, app_key: str, app_secret: str, timeout: float):
        self.url, self.app_key, self.app_secret, self.timeout = url.rstrip("/"), app_key, app_secret, timeout

    def check_person(self, name: str, id_number: str) -> Answer:
        return self._post("/v1/person/verify", {"name": name, "id_number": id_number})

    def check_enterprise(self, name: str, uscc: str, representative: str) -> Answer:
        return self._post("/v1/enterprise/verify", {"name": name, "uscc": uscc, "legal_representative": representative})

    def _post(self, path: str, payload: dict) -> Answer:
        if not self.url:
            logger.error("identity service: no address configured (SHENPI_IDENTITY_URL)")
            return Answer(Outcome.UNAVAILABLE)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        # The address is the operator's setting, checked to be http(s) in service().
        headers = {"Content-Type": "application/json; charset=utf-8", "X-App-Key": self.app_key,
                   "X-Timestamp": timestamp, "X-Signature": sign(self.app_secret, timestamp, body)}
        request = urllib.request.Request(self.url + path, data=body, method="POST", headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                data = json.loads(response.read())
        except urllib.error.HTTPError as error:
            logger.warning("identity service answered %s at %s", error.code, path)
            return Answer(Outcome.UNAVAILABLE)
        except (OSError, ValueError) as error:  # refused, timed out, not JSON
            logger.warning("identity service unreachable at %s: %s", path, error)
            return Answer(Outcome.UNAVAILABLE)
        try:
            outcome = Outcome(data.get("result"))
        except (ValueError, AttributeError):
            logger.warning("identity service answered an unknown result at %s: %r", path, data)
            return Answer(Outcome.UNAVAILABLE)
        if outcome is Outcome.UNAVAILABLE:
            return Answer(outcome)
        return Answer(outcome, str(data.get("request_id", ""))[:64])


def service() -> IdentityService:
    """The configured backend; read at each call so a changed setting (or a test's sandbox) applies at once."""
    url, key, secret = sandboxes.endpoint("identity", settings.IDENTITY_URL, settings.IDENTITY_APP_KEY,
                                          settings.IDENTITY_APP_SECRET, "shenpi.sandboxes.identity_records:APPS")
    if url and not secret:
        url = ""  # an unsigned request would be refused: the service counts as unavailable, and the log says why
        logger.warning("SHENPI_IDENTITY_APP_SECRET is not set: the identity service is not called")
    return HttpIdentityService(url, key, secret, settings.IDENTITY_TIMEOUT)
