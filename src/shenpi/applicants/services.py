"""Applicant accounts: register, verify the mobile by a one-time code, reset the password, find one's cases.

Views call these; each call is one transaction. A refused code still counts as an attempt: the
attempt is committed, and the refusal raised after the transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac as std_hmac
import math
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, hmac
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from shenpi import clock
from shenpi.accounts import identifiers, passwords
from shenpi.accounts.models import User
from shenpi.cases.models import ApplicantKind, Case
from shenpi.crypto import blind_index
from shenpi.errors import InvalidInput
from shenpi.notifications.services import notify

from .models import Applicant, MobileCode

Purpose = MobileCode.Purpose

CODE_DIGITS = 6
CODE_MINUTES = 10
# Wrong codes allowed per code: 5 guesses of a million leave a 1 in 200,000 chance.
CODE_ATTEMPTS = 5
RESEND_SECONDS = 60
# Codes per mobile number per day, whatever the account: an SMS bomb stops here.
DAILY_CODES = 10
NAME_MAX = 100


# -- finding ---------------------------------------------------------------------------------------

def find_applicant(identifier: str) -> Applicant | None:
    """The account registered with this ID number or unified social credit code."""
    number = identifiers.normalise(identifier)
    if not number:
        return None
    return Applicant.objects.select_related("user").filter(id_index=blind_index(number)).first()


def my_cases(applicant: Applicant) -> QuerySet[Case]:
    """Cases whose applicant is this account's identifier: online or at a window, through the blind index."""
    return (Case.objects.filter(applicant_id_index=applicant.id_index)
            .select_related("version", "department").order_by("-received_at", "-id"))


# -- registering ---------------------------------------------------------------------------------

@dataclass
class Registration:
    kind: str
    name: str
    id_number: str
    mobile: str
    password: str
    contact_name: str = ""


def _validated(registration: Registration) -> tuple[str, str, str, str]:
    """(name, identifier, mobile, contact) normalised, or InvalidInput naming every wrong field."""
    errors: dict[str, list[str]] = {}
    person = registration.kind == ApplicantKind.PERSON
    if registration.kind not in ApplicantKind.values:
        errors["kind"] = ["请选择个人或法人。"]
    name = " ".join((registration.name or "").split())
    if not name:
        errors["name"] = ["请填写姓名。" if person else "请填写单位名称。"]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"名称不能超过{NAME_MAX}个字。"]
    check = identifiers.validate_id_number if person else identifiers.validate_uscc
    number = ""
    try:
        number = check(registration.id_number)
    except identifiers.IdentifierError as error:
        errors["id_number"] = [str(error)]
    contact = " ".join((registration.contact_name or "").split())
    if person:
        contact = name
    elif not contact:
        errors["contact_name"] = ["请填写联系人姓名。"]
    elif len(contact) > 50:
        errors["contact_name"] = ["联系人姓名不能超过50个字。"]
    mobile = ""
    try:
        mobile = identifiers.validate_mobile(registration.mobile)
    except identifiers.IdentifierError as error:
        errors["mobile"] = [str(error)]
    try:
        validate_password(registration.password or "", User(username=number, full_name=name))
    except ValidationError as error:
        errors["password"] = list(error.messages)
    if errors:
        raise InvalidInput("注册信息有误，请核对。", errors)
    return name, number, mobile, contact


@transaction.atomic
def register(registration: Registration) -> Applicant:
    """A new account, not yet usable: the code sent to the mobile must be entered first.

    An unfinished registration (mobile never verified) does not hold the identifier: registering
    again replaces it, so nobody can block a person's ID number by typing it with a wrong phone.
    """
    name, number, mobile, contact = _validated(registration)
    index = blind_index(number)
    existing = Applicant.objects.select_for_update().select_related("user").filter(id_index=index).first()
    if existing is not None:
        if existing.verified:
            message = "该证件号码已注册，请直接登录；忘记密码可通过手机验证码重设。"
            raise InvalidInput(message, {"id_number": [message]})
        user = existing.user
        existing.delete()
        user.delete()
    now = clock.now()
    user = User.objects.create_user(username=f"applicant-{secrets.token_hex(8)}", password=registration.password,
                                    full_name=name)
    applicant = Applicant.objects.create(
        user=user, kind=registration.kind, name=name, id_number=number, id_index=index,
        id_masked=identifiers.mask_id(number), contact_name=contact, mobile=mobile,
        mobile_index=blind_index(mobile), mobile_masked=identifiers.mask_phone(mobile), created_at=now)
    send_code(applicant, Purpose.REGISTER)
    return applicant


def verify_registration(applicant: Applicant, code: str) -> Applicant:
    """The code from the SMS proves the mobile: the account can now sign in."""
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().get(pk=applicant.pk)
        if applicant.verified:
            return applicant
        problem = _consume(applicant, Purpose.REGISTER, code)
        if problem is None:
            applicant.mobile_verified_at = clock.now()
            applicant.save(update_fields=["mobile_verified_at"])
    if problem:
        raise InvalidInput(problem, {"code": [problem]})
    return applicant


# -- one-time codes --------------------------------------------------------------------------------

def _code_key() -> bytes:
    return hashlib.sha256(("shenpi-mobile-code:" + settings.SECRET_KEY).encode()).digest()[:16]


def code_digest(salt: str, code: str) -> str:
    """Keyed SM3 of the code: a copy of the table does not give the codes away."""
    mac = hmac.HMAC(_code_key(), hashes.SM3())
    mac.update(f"{salt}:{code}".encode())
    return mac.finalize().hex()


def _check_sending_limits(mobile_index: str, now: dt.datetime) -> None:
    sent = MobileCode.objects.filter(mobile_index=mobile_index)
    last = sent.order_by("-sent_at").values_list("sent_at", flat=True).first()
    if last is not None and now - last < dt.timedelta(seconds=RESEND_SECONDS):
        wait = math.ceil(RESEND_SECONDS - (now - last).total_seconds())
        message = f"验证码已发送，请{wait}秒后再重新获取。"
        raise InvalidInput(message, {"mobile": [message]})
    day_start = timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time.min))
    if sent.filter(sent_at__gte=day_start).count() >= DAILY_CODES:
        message = f"该手机号码今日获取验证码已达{DAILY_CODES}次，请明天再试。"
        raise InvalidInput(message, {"mobile": [message]})


def send_code(applicant: Applicant, purpose: str) -> MobileCode:
    """A new code by SMS through the notification outbox; it replaces any earlier code of this purpose."""
    with transaction.atomic():
        # One sender at a time per account, so two quick clicks cannot both pass the resend limit.
        Applicant.objects.select_for_update().filter(pk=applicant.pk).exists()
        now = clock.now()
        _check_sending_limits(applicant.mobile_index, now)
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        salt = secrets.token_hex(16)
        row = MobileCode.objects.create(
            applicant=applicant, purpose=purpose, mobile_index=applicant.mobile_index, salt=salt,
            code_hash=code_digest(salt, code), sent_at=now, expires_at=now + dt.timedelta(minutes=CODE_MINUTES))
        notify("mobile_code", user=applicant.user, mobile=applicant.mobile, topic=f"applicant:{applicant.pk}",
               context={"code": code, "minutes": CODE_MINUTES, "purpose": Purpose(purpose).label})
    return row


def _consume(applicant: Applicant, purpose: str, code: str) -> str | None:
    """Use the latest code of this purpose; None when it matches, else why not. Call inside a transaction."""
    code = (code or "").strip()
    if len(code) != CODE_DIGITS or not code.isdigit():
        return f"请输入短信中的{CODE_DIGITS}位数字验证码。"
    row = (MobileCode.objects.select_for_update().filter(applicant=applicant, purpose=purpose)
           .order_by("-pk").first())
    now = clock.now()
    if row is None:
        return "请先获取验证码。"
    if row.used_at is not None:
        return "该验证码已使用，请重新获取。"
    if now >= row.expires_at:
        return "验证码已过期，请重新获取。"
    if row.attempts >= CODE_ATTEMPTS:
        return "验证码错误次数过多，请重新获取。"
    if not std_hmac.compare_digest(row.code_hash, code_digest(row.salt, code)):
        row.attempts += 1
        row.save(update_fields=["attempts"])
        left = CODE_ATTEMPTS - row.attempts
        return f"验证码不正确，还可尝试{left}次。" if left else "验证码不正确，错误次数过多，请重新获取。"
    row.used_at = now
    row.save(update_fields=["used_at"])
    return None


# -- resetting the password ------------------------------------------------------------------------

def start_password_reset(identifier: str, mobile: str) -> Applicant | None:
    """Send a reset code when the identifier and the verified mobile belong together; else None, silently."""
    applicant = find_applicant(identifier)
    number = identifiers.normalise(mobile).replace("-", "")
    if applicant is None or not applicant.verified or applicant.mobile_index != blind_index(number):
        return None
    send_code(applicant, Purpose.RESET_PASSWORD)
    return applicant


def reset_password(applicant: Applicant | None, code: str, password: str) -> Applicant:
    """A new password against the code; the login lockout of the account is lifted with it."""
    try:
        passwords.validate_except_history(password or "", applicant.user if applicant else None)
    except ValidationError as error:
        raise InvalidInput("新密码不符合要求。", {"password": list(error.messages)}) from None
    if applicant is None:
        message = "验证码不正确，请重新获取。"
        raise InvalidInput(message, {"code": [message]})
    with transaction.atomic():
        problem = _consume(applicant, Purpose.RESET_PASSWORD, code)
        if problem is None:
            user = applicant.user
            try:  # only now that the code is right: the answer says something about the account's past
                passwords.validate_history(password, user)
            except ValidationError as error:  # the code stays valid: the transaction is rolled back
                raise InvalidInput("新密码不符合要求。", {"password": list(error.messages)}) from None
            user.set_password(password)
            user.save(update_fields=["password"])
            _unlock(user.username)
    if problem:
        raise InvalidInput(problem, {"code": [problem]})
    return applicant


def _unlock(username: str) -> None:
    """Whoever proves the mobile may sign in again at once: the failed attempts are forgotten."""
    from axes.utils import reset

    reset(username=username)
