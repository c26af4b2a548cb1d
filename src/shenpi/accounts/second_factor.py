"""Two factors for staff (GB/T 22239-2019 level 3, 双因素认证): who needs one, the factors, and their upkeep.

After the password a staff member proves a second factor: a code of their authenticator app (TOTP),
a signature of their UKey (certificate), or a one-time recovery code. The roles in
SHENPI_SECOND_FACTOR_ROLES, superusers and admin-site accounts must have one and enrol at their first
sign-in; other staff may enrol of their own accord and are then asked for it too. The devices are
django-otp's; django-otp's OTPMiddleware marks a session that has passed one (`user.is_verified()`),
and shenpi.accounts.middleware keeps every other page from a session that should have and has not.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shenpi.errors import Forbidden, InvalidInput
from shenpi.security import audit

from . import ukey
from .models import CertificateDevice, Role, User

RECOVERY_CODES = 10
TOTP_DEVICE_NAME = "手机验证器"
RECOVERY_DEVICE_NAME = "备用恢复码"


# -- who ----------------------------------------------------------------------------------------------

def is_staff_member(user) -> bool:
    """Staff sign in at /login/ or /admin/; applicants (no role) are not asked for a second factor."""
    return bool(user.is_authenticated and (user.is_superuser or user.is_staff or user.role_codes()))


def is_required(user) -> bool:
    """Whether the user must have a second factor: an administrator, a supervisor, or anyone by setting."""
    if not is_staff_member(user):
        return False
    if user.is_superuser or user.is_staff or settings.SECOND_FACTOR_ALL_STAFF:
        return True
    return bool(user.role_codes() & settings.SECOND_FACTOR_ROLES)


def is_needed(user) -> bool:
    """Whether a session of the user must pass a second factor: required, or enrolled of their own accord."""
    return is_required(user) or (is_staff_member(user) and bool(factor_devices(user)))


def may_reset(actor) -> bool:
    return bool(actor.is_authenticated and (actor.is_superuser or actor.has_role(Role.SECURITY_ADMIN)))


# -- the factors --------------------------------------------------------------------------------------

class SecondFactor(abc.ABC):
    """One kind of second factor a centre may offer (SHENPI_SECOND_FACTORS)."""

    name: str  # as listed in SHENPI_SECOND_FACTORS
    label: str  # what the sign-in page calls it
    device_model: type[Device]

    def devices(self, user) -> list[Device]:
        return list(self.device_model.objects.devices_for_user(user, confirmed=True))

    def challenge(self, device: Device) -> str:
        """What the factor must answer, shown on the sign-in page; empty when it needs none (a clock)."""
        return ""

    def verify(self, device: Device, answer: str) -> bool:
        """Whether the answer proves the factor; the device throttles repeated failures itself."""
        return device.verify_token(answer.strip())


class TotpFactor(SecondFactor):
    name = "totp"
    label = "动态口令（手机验证器）"
    device_model = TOTPDevice

    def verify(self, device, answer):
        return device.verify_token("".join(answer.split()))


class CertificateFactor(SecondFactor):
    name = "certificate"
    label = "UKey数字证书"
    device_model = CertificateDevice

    def challenge(self, device):
        return device.issue_challenge(settings.SECOND_FACTOR_CHALLENGE_SECONDS)


FACTORS: dict[str, SecondFactor] = {factor.name: factor for factor in (TotpFactor(), CertificateFactor())}


def offered() -> list[SecondFactor]:
    """The factors this centre offers, in the order of the setting."""
    return [FACTORS[name] for name in settings.SECOND_FACTORS if name in FACTORS]


def factor_devices(user) -> list[tuple[SecondFactor, Device]]:
    """The user's confirmed devices of the offered factors (recovery codes are not a factor of their own)."""
    return [(factor, device) for factor in offered() for device in factor.devices(user)]


def check_answer(device: Device, answer: str, factor: SecondFactor | None = None) -> bool:
    """The answer checked with the device row locked, as django_otp.verify_token does: two sign-ins
    racing with one code (or one recovery code) cannot both pass, nor slip past the throttle."""
    with transaction.atomic():
        locked = type(device).objects.select_for_update().filter(pk=device.pk).first()
        if locked is None:
            return False
        return factor.verify(locked, answer) if factor is not None else locked.verify_token(answer)


def verify_is_allowed(device: Device) -> tuple[bool, str]:
    """django-otp's throttle: after a wrong answer the device waits 1, 2, 4 … seconds before the next."""
    allowed, data = device.verify_is_allowed()
    if allowed:
        return True, ""
    until = data.get("locked_until") if data else None
    wait = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1
    return False, f"尝试过于频繁，请{wait}秒后再试。"


# -- enrolment ----------------------------------------------------------------------------------------

def may_enrol(user) -> bool:
    """A session may enrol an authenticator when it has passed its second factor, or when the user has
    none yet: otherwise a stolen password alone could enrol the thief's own phone."""
    return is_staff_member(user) and (user.is_verified() or not factor_devices(user))


def start_totp(user) -> TOTPDevice:
    """A new, unconfirmed authenticator with a fresh key; earlier unconfirmed ones are dropped."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    recovery_codes: list[str]


@transaction.atomic
def confirm_totp(user, device_id: int, code: str, *, request=None) -> Enrolment:
    """The code the app shows confirms the new authenticator; it replaces the old one, with new recovery codes."""
    device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        raise InvalidInput("设置已过期，请重新扫描二维码。")
    if not device.verify_token("".join(code.split())):
        raise InvalidInput("验证码不正确：请输入验证器当前显示的6位数字，并确认手机时间准确。",
                           {"code": ["验证码不正确"]})
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    audit.record("otp.enrolled", request=request, user=user, target=f"user:{user.pk}", factor="totp")
    return Enrolment(device, codes)


# -- recovery codes -----------------------------------------------------------------------------------

def _new_recovery_codes(user) -> list[str]:
    # The device stays (a session that signed in with a recovery code keeps it); its codes do not.
    device = StaticDevice.objects.filter(user=user).first() \
        or StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def regenerate_recovery_codes(user, *, request=None) -> list[str]:
    """Ten new one-time codes; the old ones stop working. Only for a user with a second factor."""
    if not factor_devices(user):
        raise InvalidInput("请先设置二次验证，再生成恢复码。")
    codes = _new_recovery_codes(user)
    audit.record("otp.recovery_regenerated", request=request, user=user, target=f"user:{user.pk}")
    return codes


def recovery_device(user) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def normalise_recovery_code(text: str) -> str:
    return "".join(text.split()).replace("-", "").lower()


# -- the security administrator's part ----------------------------------------------------------------

def _check_actor(actor, user) -> None:
    if not may_reset(actor):
        raise Forbidden("只有安全管理员可以管理他人的二次验证。")
    if actor.pk == user.pk:
        raise Forbidden("不能管理本人的二次验证，请由另一位安全管理员办理。")


@transaction.atomic
def reset(actor, user: User, reason: str, *, request=None) -> int:
    """Delete every second-factor device of the user: they enrol again at their next sign-in."""
    _check_actor(actor, user)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("请填写重置原因。", {"reason": ["请填写重置原因"]})
    removed = 0
    for model in (TOTPDevice, StaticDevice, CertificateDevice):
        removed += model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
    audit.record("otp.reset", request=request, user=actor, target=f"user:{user.pk}", reason=reason,
                 devices=removed)
    return removed


@transaction.atomic
def register_certificate(actor, user: User, pem: str, name: str = "", *, request=None) -> CertificateDevice:
    """Register the public key (or certificate) of the user's UKey as a second factor."""
    _check_actor(actor, user)
    key = ukey.public_key_of(pem)
    fingerprint = ukey.fingerprint(key)
    if CertificateDevice.objects.filter(fingerprint=fingerprint).exists():
        raise InvalidInput("该公钥已登记过，不能重复登记。", {"public_key": ["该公钥已登记过"]})
    device = CertificateDevice.objects.create(user=user, name=name.strip() or "UKey", confirmed=True,
                                              public_key=ukey.public_pem(key), fingerprint=fingerprint,
                                              registered_by=actor)
    audit.record("otp.enrolled", request=request, user=actor, target=f"user:{user.pk}", factor="certificate",
                 fingerprint=fingerprint)
    return device
