"""Sign-in throttling in front of the password check, for the staff and the applicants' logins alike.

django-axes locks an account for the address its failures came from (AXES_LOCKOUT_PARAMETERS), so
nobody can lock another person's account from elsewhere. What that leaves open is closed here,
with counters in the shared cache (shenpi.limits):

- one account guessed from many addresses: after SHENPI_LOGIN_CAPTCHA_AFTER failures of the
  account, from anywhere, every login to it needs the picture code (shenpi.security.captcha) until
  the lockout period has passed; its owner can still sign in, a guessing script cannot go on blind;
- many accounts tried from one address (password spraying): after SHENPI_LOGIN_ADDRESS_CAPTCHA_AFTER
  failures in an hour every login from that address needs the picture code, and after
  SHENPI_LOGIN_ADDRESS_FAILURES the address may not try again that hour.

A login page calls `refusal()` before checking the password and `failed()` after a wrong one;
`picture()` gives the form its picture when one is needed.
"""

from __future__ import annotations

from typing import NamedTuple

from django.conf import settings

from shenpi import limits
from shenpi.web import client_address

from . import audit, captcha

ADDRESS_WINDOW = 3600
TOO_MANY = "该网络地址登录失败次数过多，请一小时后再试；如需帮助请联系中心管理员。"
CAPTCHA_NEEDED = "近期登录失败次数较多，请输入图中的验证码后再登录。"
CAPTCHA_WRONG = "验证码不正确，请输入新图片中的验证码。"


class Refusal(NamedTuple):
    message: str
    status: int  # 429 when the address must wait, 400 when only the picture code is missing or wrong


def _account_key(username: str) -> str:
    return limits.key("login-account", (username or "").strip())


def _address_key(address: str | None) -> str:
    return limits.key("login-address", address)


def _account_window() -> int:
    return max(60, round(float(settings.AXES_COOLOFF_TIME or 0) * 3600))


def captcha_needed(request, username: str = "") -> bool:
    """Whether a login to `username` (or, without one, any login) from this request needs the picture code."""
    if limits.reached(_address_key(client_address(request)), settings.LOGIN_ADDRESS_CAPTCHA_AFTER):
        return True
    return bool(username) and limits.reached(_account_key(username), settings.LOGIN_CAPTCHA_AFTER)


def picture(request, username: str = "") -> str:
    """A fresh picture code (data URI) when the next try needs one, else ""."""
    return captcha.challenge(request) if captcha_needed(request, username) else ""


def refusal(request, username: str, answer: str | None) -> Refusal | None:
    """None when the password may be checked now; else why not. Recorded in the security audit."""
    address = client_address(request)
    target = f"username:{(username or '').strip()[:64]}"
    if limits.reached(_address_key(address), settings.LOGIN_ADDRESS_FAILURES):
        audit.record("login.throttled", request=request, target=target, outcome="denied", reason="address",
                     ip=address)
        return Refusal(TOO_MANY, 429)
    if captcha_needed(request, username) and not captcha.solved(request, answer or ""):
        audit.record("login.captcha_failed", request=request, target=target, outcome="denied",
                     missing=not answer, ip=address)
        return Refusal(CAPTCHA_WRONG if answer else CAPTCHA_NEEDED, 400)
    return None


def failed(request, username: str) -> None:
    """A wrong password (or unknown account): counted for the account and for the address."""
    limits.hit(_account_key(username), _account_window())
    limits.hit(_address_key(client_address(request)), ADDRESS_WINDOW)
