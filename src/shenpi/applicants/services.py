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
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from shenpi import clock
from shenpi.accounts import identifiers, passwords
from shenpi.accounts.models import User
from shenpi.cases.models import ApplicantKind, Case
from shenpi.crypto import blind_index
from shenpi.errors import Conflict, Forbidden, InvalidInput, ServiceError
from shenpi.notifications.services import notify
from shenpi.security import audit

from . import identity
from .models import Applicant, CaseClaim, IdentityReclaim, MobileCode, RealNameSource, RealNameVerification, Role

Purpose = MobileCode.Purpose

CODE_DIGITS = 6
CODE_MINUTES = 10
# Wrong codes allowed per code: 5 guesses of a million leave a 1 in 200,000 chance.
CODE_ATTEMPTS = 5
RESEND_SECONDS = 60
# Codes per mobile number per day, whatever the account: an SMS bomb stops here.
DAILY_CODES = 10
NAME_MAX = 100
# After the mobile code, a registrant whose identifier another account holds has this long for 实名认证.
RECLAIM_MINUTES = 30
AUTHORISATION_MAX_BYTES = 5 * 1024 * 1024


# -- finding ---------------------------------------------------------------------------------------

def find_applicant(identifier: str) -> Applicant | None:
    """The account that holds this ID number or unified social credit code (an opened one before an
    unfinished registration with the same identifier); or, for a mobile number, the one account whose
    identifier was reclaimed from it (it signs in with its mobile from then on)."""
    number = identifiers.normalise(identifier)
    if not number:
        return None
    found = (Applicant.objects.select_related("user").filter(id_index=blind_index(number))
             .order_by(F("mobile_verified_at").desc(nulls_last=True), "-pk").first())
    if found is None and number.isdigit() and len(number) == 11:
        released = list(Applicant.objects.select_related("user").filter(
            mobile_index=blind_index(number), identity_released_at__isnull=False, mobile_verified_at__isnull=False)[:2])
        found = released[0] if len(released) == 1 else None
    return found


def sees_identifier_cases(applicant: Applicant) -> bool:
    """Only a real-name verified holder of the identifier sees the cases filed under it outside the account."""
    return applicant.real_name_verified and applicant.identity_released_at is None


def my_cases(applicant: Applicant) -> QuerySet[Case]:
    """The cases this account may see, rate and complain about, and whose notices it may download.

    Before 实名认证 only the cases it filed online itself and those it added with number and query
    code (添加办件): knowing someone's ID number must not open their cases. After it, also every case
    filed under its identifier (at a window or online), found through the blind index. An account
    whose identifier was reclaimed sees nothing filed in that identifier's name.
    """
    # Cases added with number and query code stay: whoever holds the query code may follow the case anyway.
    mine = Q(pk__in=CaseClaim.objects.filter(applicant=applicant).values("case"))
    if applicant.identity_released_at is None:
        mine |= Q(online_application__applicant=applicant)
    if sees_identifier_cases(applicant):
        mine |= Q(applicant_id_index=applicant.id_index)
    return (Case.objects.filter(mine).select_related("version", "department").order_by("-received_at", "-id"))


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

    The answer is the same whether or not an opened account already holds the identifier, so the
    registration page tells nobody who is registered. An unfinished registration does not hold the
    identifier: registering again replaces it, and a newcomer whose identifier an opened account
    holds goes on, after the mobile code, to 实名认证 and 证件号码找回 (`verify_real_name`).
    """
    name, number, mobile, contact = _validated(registration)
    index = blind_index(number)
    unfinished = Applicant.objects.select_for_update().filter(id_index=index, mobile_verified_at__isnull=True)
    for existing in unfinished.select_related("user"):
        if mobile_proven_at(existing) is not None:
            continue  # its registrant proved the mobile and is reclaiming the identifier: not to be undone by others
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


def _holder(applicant: Applicant, *, lock: bool = False) -> Applicant | None:
    """The other, opened account that holds this account's identifier."""
    others = Applicant.objects.filter(id_index=applicant.id_index, mobile_verified_at__isnull=False).exclude(
        pk=applicant.pk)
    return (others.select_for_update() if lock else others).select_related("user").first()


def verify_registration(applicant: Applicant, code: str) -> Applicant:
    """The code from the SMS proves the mobile: the account can now sign in.

    When an opened account already holds the identifier, the code is used but the account stays
    unopened (`verified` False): the registrant must pass 实名认证 to take the identifier back.
    """
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().get(pk=applicant.pk)
        if applicant.verified:
            return applicant
        problem = _consume(applicant, Purpose.REGISTER, code)
        if problem is None and _holder(applicant, lock=True) is None:
            applicant.mobile_verified_at = clock.now()
            applicant.save(update_fields=["mobile_verified_at"])
    if problem:
        raise InvalidInput(problem, {"code": [problem]})
    return applicant


def mobile_proven_at(applicant: Applicant) -> dt.datetime | None:
    """When the registrant of an unopened account last entered the right code (within its validity)."""
    if applicant.verified:
        return applicant.mobile_verified_at
    used = (MobileCode.objects.filter(applicant=applicant, purpose=Purpose.REGISTER, used_at__isnull=False)
            .order_by("-used_at").values_list("used_at", flat=True).first())
    if used is None or clock.now() - used > dt.timedelta(minutes=RECLAIM_MINUTES):
        return None
    return used


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
        row, messages = _new_code(applicant.mobile, applicant.mobile_index, purpose, applicant=applicant)
    _refuse_if_not_sent(messages)
    return row


def send_mobile_code(mobile: str, purpose: str) -> MobileCode:
    """A code proving a mobile without an account (a booking): the same limits as an account's codes."""
    try:
        mobile = identifiers.validate_mobile(mobile)
    except identifiers.IdentifierError as error:
        raise InvalidInput(str(error), {"mobile": [str(error)]}) from None
    with transaction.atomic():
        row, messages = _new_code(mobile, blind_index(mobile), purpose)
    _refuse_if_not_sent(messages)
    return row


def _new_code(mobile: str, mobile_index: str, purpose: str, *, applicant: Applicant | None = None):
    now = clock.now()
    _check_sending_limits(mobile_index, now)
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)
    row = MobileCode.objects.create(
        applicant=applicant, purpose=purpose, mobile_index=mobile_index, salt=salt,
        code_hash=code_digest(salt, code), sent_at=now, expires_at=now + dt.timedelta(minutes=CODE_MINUTES))
    messages = notify("mobile_code", user=applicant.user if applicant else None, mobile=mobile,
                      topic=f"applicant:{applicant.pk}" if applicant else f"mobile-code:{row.pk}",
                      context={"code": code, "minutes": CODE_MINUTES, "purpose": Purpose(purpose).label},
                      # The code leaves only by SMS: the outbox keeps it masked, and sealed until it expires.
                      secret_until=row.expires_at)
    return row, messages


def _refuse_if_not_sent(messages) -> None:
    """After the commit (the refused message is kept): say so when the daily SMS cap kept the code back."""
    if any(message.status == message.Status.REFUSED for message in messages):
        message = "该手机号码今日接收短信已达上限，验证码未能发送，请明天再试。"
        raise InvalidInput(message, {"mobile": [message]})


def _consume(applicant: Applicant, purpose: str, code: str) -> str | None:
    """Use the latest code of this purpose; None when it matches, else why not. Call inside a transaction."""
    row = (MobileCode.objects.select_for_update().filter(applicant=applicant, purpose=purpose)
           .order_by("-pk").first())
    problem = _check(row, code)
    if problem is None:
        row.used_at = clock.now()
        row.save(update_fields=["used_at"])
    return problem


def _check(row: MobileCode | None, code: str) -> str | None:
    """None when `code` is the row's and the row may still be used, else why not; a wrong code counts."""
    code = (code or "").strip()
    if len(code) != CODE_DIGITS or not code.isdigit():
        return f"请输入短信中的{CODE_DIGITS}位数字验证码。"
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
    return None


def checked_mobile_code(mobile: str, purpose: str, code: str) -> MobileCode:
    """The latest code sent to this mobile for `purpose`, when `code` matches it; else InvalidInput.

    The code is not used up here: the caller does that with `use_mobile_code` in the transaction of
    what it proves, so a booking refused for another reason leaves the code good for the next try.
    A wrong code counts as an attempt (committed before the refusal)."""
    index = blind_index(identifiers.normalise(mobile).replace("-", ""))
    with transaction.atomic():
        row = (MobileCode.objects.select_for_update().filter(applicant=None, mobile_index=index, purpose=purpose)
               .order_by("-pk").first())
        problem = _check(row, code)
    if problem:
        raise InvalidInput(problem, {"code": [problem]})
    return row


def use_mobile_code(row: MobileCode) -> None:
    """Mark a checked code used, inside the caller's transaction; refused when another request used it first."""
    if not MobileCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=clock.now()):
        message = "该验证码已使用，请重新获取。"
        raise InvalidInput(message, {"code": [message]})


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


# -- 实名认证 ---------------------------------------------------------------------------------------

class IdentityUnavailable(ServiceError):
    """The identity service did not answer: nothing was decided, the applicant tries again later."""

    http_status = 503
    code = "unavailable"


@dataclass
class RealNameInput:
    """What the applicant enters. A person: their name and ID number. An organisation: its name and
    法定代表人, and the person acting (the 法定代表人 or an 授权代理人 with the authorisation letter)."""

    name: str
    id_number: str  # the acting person's resident identity card number
    role: str = Role.SELF
    company_name: str = ""
    representative: str = ""
    authorisation: object | None = None  # an uploaded file
    declared: bool = False


@dataclass
class _Checked:
    name: str
    number: str
    role: str
    company_name: str = ""
    representative: str = ""


_LETTER_SIGNATURES = (b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def _validated_real_name(applicant: Applicant, data: RealNameInput) -> _Checked:
    errors: dict[str, list[str]] = {}

    def clean(value: str, field: str, label: str, limit: int = 50) -> str:
        text = " ".join((value or "").split())
        if not text:
            errors[field] = [f"请填写{label}。"]
        elif len(text) > limit:
            errors[field] = [f"{label}不能超过{limit}个字。"]
        return text

    name = clean(data.name, "name", "姓名")
    number = ""
    try:
        number = identifiers.validate_id_number(data.id_number)
    except identifiers.IdentifierError as error:
        errors["id_number"] = [str(error)]
    if applicant.is_person:
        if number and blind_index(number) != applicant.id_index:
            errors["id_number"] = ["证件号码须与注册账号时填写的一致。"]
        if errors:
            raise InvalidInput("实名认证信息有误，请核对。", errors)
        return _Checked(name, number, Role.SELF)
    if data.role not in (Role.LEGAL_REPRESENTATIVE, Role.AGENT):
        errors["role"] = ["请选择您是法定代表人还是授权代理人。"]
    company = clean(data.company_name, "company_name", "单位名称", NAME_MAX)
    representative = clean(data.representative, "representative", "法定代表人姓名")
    if data.role == Role.LEGAL_REPRESENTATIVE and name and representative and name != representative:
        errors["name"] = ["法定代表人本人办理时，姓名须与法定代表人一致；他人办理请选择“授权代理人”。"]
    if data.role == Role.AGENT:
        letter = data.authorisation
        if letter is None:
            errors["authorisation"] = ["授权代理人办理须上传加盖单位公章的授权委托书。"]
        elif letter.size > AUTHORISATION_MAX_BYTES or letter.size == 0:
            errors["authorisation"] = ["授权委托书文件须为5MB以内的PDF或图片。"]
        else:
            head = letter.read(8)
            letter.seek(0)
            if not head.startswith(_LETTER_SIGNATURES):
                errors["authorisation"] = ["授权委托书须为PDF、PNG或JPG文件。"]
        if not data.declared:
            errors["declared"] = ["请确认已取得单位的书面授权。"]
    if errors:
        raise InvalidInput("实名认证信息有误，请核对。", errors)
    return _Checked(name, number, data.role, company, representative)


def _ask_identity_service(applicant: Applicant, checked: _Checked) -> tuple[identity.Answer, dict]:
    """Ask the identity service: the acting person, then for an organisation the company and its 法定代表人.
    With the answer come the messages that fit the check that answered it."""
    service = identity.service()
    answer = service.check_person(checked.name, checked.number)
    if not answer.matched or applicant.is_person:
        return answer, identity.MESSAGES
    company = service.check_enterprise(checked.company_name, applicant.id_number, checked.representative)
    return (company, identity.ENTERPRISE_MESSAGES) if not company.matched else (answer, identity.MESSAGES)


def verify_real_name(applicant: Applicant, data: RealNameInput, *, request=None) -> Applicant:
    """实名认证 through the identity service; on a match the account may take its identifier back.

    A registrant whose identifier another account holds (an unopened account whose mobile code was
    entered) is opened by this; the holder, unless real-name verified itself, loses the identifier
    (证件号码找回). Nothing is written when the service says no or cannot be reached.
    """
    if applicant.identity_released_at is not None:
        raise Forbidden("该账号的证件号码已由持证人找回，不能再以该证件号码实名认证。")
    if applicant.real_name_verified:
        return applicant
    if mobile_proven_at(applicant) is None:
        raise Forbidden("请先完成手机号码验证。")
    checked = _validated_real_name(applicant, data)
    holder = _holder(applicant)
    if holder is not None and holder.real_name_verified:
        raise Conflict(HELD_BY_VERIFIED)
    target = f"applicant:{applicant.pk}"
    failures = _failure_key(applicant)
    if (cache.get(failures) or 0) >= settings.IDENTITY_FAILURES_PER_DAY:
        audit.record("identity.verify_failed", request=request, user=applicant.user, target=target,
                     outcome="denied", result="rate_limited", role=checked.role)
        raise TooManyTries("实名认证未通过次数过多，请24小时后再试，或携带身份证件到政务服务中心窗口现场核验。")
    answer, messages = _ask_identity_service(applicant, checked)
    if not answer.matched:
        if answer.outcome is not identity.Outcome.UNAVAILABLE:
            _count(failures, 24 * 3600)
        audit.record("identity.verify_failed", request=request, user=applicant.user, target=target,
                     outcome="failure", result=answer.outcome.value, role=checked.role)
        if answer.outcome is identity.Outcome.UNAVAILABLE:
            raise IdentityUnavailable(messages[answer.outcome])
        raise InvalidInput(messages[answer.outcome])
    return _accept(applicant, checked, RealNameSource.IDENTITY_SERVICE, reference=answer.reference,
                   authorisation=data.authorisation if checked.role == Role.AGENT else None, request=request)


def confirm_real_name(applicant: Applicant, *, source: str, name: str, id_number: str, reference: str = "",
                      request=None) -> Applicant:
    """A person's name and ID number confirmed by another trusted source (the province's unified sign-in):
    the same effect as a match of the identity service, 证件号码找回 included."""
    if applicant.identity_released_at is not None:
        raise Forbidden("该账号的证件号码已由持证人找回，不能再以该证件号码实名认证。")
    number = identifiers.validate_id_number(id_number)
    if blind_index(number) != applicant.id_index:
        raise InvalidInput("证件号码须与注册账号时填写的一致。")
    if applicant.real_name_verified:
        return applicant
    return _accept(applicant, _Checked(" ".join(name.split()), number, Role.SELF), source, reference=reference,
                   request=request)


def _accept(applicant: Applicant, checked: _Checked, source: str, *, reference: str = "", authorisation=None,
            request=None) -> Applicant:
    """Record a successful check; take the identifier back from an unverified holder (证件号码找回)."""
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().select_related("user").get(pk=applicant.pk)
        holder = _holder(applicant, lock=True)
        if holder is not None:
            if holder.real_name_verified:
                raise Conflict(HELD_BY_VERIFIED)
            _reclaim(holder, applicant, source, request=request)
        _mark_verified(applicant, checked, source, reference=reference, authorisation=authorisation)
    audit.record("identity.verified", request=request, user=applicant.user, target=f"applicant:{applicant.pk}",
                 source=str(source), role=checked.role, actor_id=identifiers.mask_id(checked.number),
                 reference=reference)
    return applicant


def _failure_key(applicant: Applicant) -> str:
    # Per identifier, not per account: registering again must not buy more guesses.
    return f"shenpi:identity-failures:{applicant.id_index}"


def _count(key: str, seconds: int) -> None:
    """One more in a counter whose window starts at its first count."""
    if cache.add(key, 1, timeout=seconds):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired in between
        cache.add(key, 1, timeout=seconds)


HELD_BY_VERIFIED = ("该证件号码已由另一账号完成实名认证，无法在线找回。如确属本人证件，"
                    "请携带身份证件到政务服务中心窗口现场核验。")


def _mark_verified(applicant: Applicant, checked: _Checked, source: str, *, reference: str = "", staff=None,
                   authorisation=None) -> None:
    now = clock.now()
    fields = ["real_name_verified_at", "real_name_source"]
    if not applicant.verified:
        applicant.mobile_verified_at = mobile_proven_at(applicant) or now
        fields.append("mobile_verified_at")
    if applicant.is_person and applicant.name != checked.name:
        # The name on the identity card, as the service confirmed it, is the account's name from now on.
        applicant.name = applicant.contact_name = checked.name
        applicant.user.full_name = checked.name
        applicant.user.save(update_fields=["full_name"])
        fields += ["name", "contact_name"]
    if not applicant.is_person and checked.company_name and applicant.name != checked.company_name:
        applicant.name = checked.company_name
        fields.append("name")
    applicant.real_name_verified_at, applicant.real_name_source = now, source
    applicant.save(update_fields=fields)
    row = RealNameVerification(
        applicant=applicant, source=source, role=checked.role, actor_name=checked.name,
        actor_id_masked=identifiers.mask_id(checked.number), actor_id_index=blind_index(checked.number),
        representative=checked.representative, reference=reference, staff=staff, verified_at=now)
    if authorisation is not None:
        row.authorisation.save(f"authorisation-{applicant.pk}-{secrets.token_hex(4)}{_suffix(authorisation)}",
                               authorisation, save=False)
    row.save()


def _suffix(upload) -> str:
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    return ".pdf" if head.startswith(b"%PDF-") else ".png" if head.startswith(b"\x89PNG") else ".jpg"


def _reclaim(holder: Applicant, reclaimer: Applicant, source: str, *, request=None) -> IdentityReclaim:
    """证件号码找回: the holder keeps its login (by mobile) but holds the identifier no more. In a transaction."""
    now = clock.now()
    released = f"released:{holder.pk}:{secrets.token_hex(16)}"
    holder.id_number = ""
    holder.id_index = blind_index(released)  # matches no identifier, no case
    holder.identity_released_at = now
    holder.save(update_fields=["id_number", "id_index", "identity_released_at"])
    row = IdentityReclaim.objects.create(previous=holder, reclaimer=reclaimer, id_masked=reclaimer.id_masked,
                                         source=source, reclaimed_at=now)
    notify("identity_reclaimed", user=holder.user, mobile=holder.mobile, topic=f"applicant:{holder.pk}",
           context={"id_masked": reclaimer.id_masked, "mobile_masked": holder.mobile_masked})
    audit.record("identity.reclaimed", request=request, user=reclaimer.user, target=f"applicant:{holder.pk}",
                 previous=holder.pk, reclaimer=reclaimer.pk, source=str(source), id_masked=reclaimer.id_masked)
    return row


@transaction.atomic
def window_verify(applicant: Applicant | int, *, staff: User, name: str, id_number: str, role: str = Role.SELF,
                  representative: str = "", request=None) -> Applicant:
    """窗口现场核验: a clerk has seen the identity card (and for an organisation the business licence and
    the authorisation) and enters the acting person's name and ID number as read from the card."""
    if not (staff.is_superuser or staff.has_role("clerk")):
        raise Forbidden("窗口现场核验由窗口人员办理。")
    applicant = Applicant.objects.select_for_update().select_related("user").get(
        pk=applicant.pk if isinstance(applicant, Applicant) else applicant)
    if not applicant.verified or applicant.identity_released_at is not None:
        raise InvalidInput("该账号尚未开通或已无证件号码，不能核验。")
    if applicant.is_person:
        role = Role.SELF
    elif role not in (Role.LEGAL_REPRESENTATIVE, Role.AGENT):
        raise InvalidInput("请选择办理人是法定代表人还是授权代理人。", {"role": ["请选择办理人身份。"]})
    text = " ".join((name or "").split())
    errors: dict[str, list[str]] = {}
    if not text or len(text) > 50:
        errors["name"] = ["请按证件填写办理人姓名（50字以内）。"]
    number = ""
    try:
        number = identifiers.validate_id_number(id_number)
    except identifiers.IdentifierError as error:
        errors["id_number"] = [str(error)]
    if applicant.is_person and number and blind_index(number) != applicant.id_index:
        errors["id_number"] = ["证件号码与账号的证件号码不一致，不能核验。"]
    if errors:
        raise InvalidInput("核验信息有误，请核对证件。", errors)
    checked = _Checked(text, number, role, representative=" ".join((representative or "").split()))
    _mark_verified(applicant, checked, RealNameSource.WINDOW, staff=staff)
    audit.record("identity.window_verified", request=request, user=staff, target=f"applicant:{applicant.pk}",
                 role=role, actor_id=identifiers.mask_id(number))
    return applicant


# -- 添加办件 ---------------------------------------------------------------------------------------

class TooManyTries(ServiceError):
    http_status = 429
    code = "throttled"


CLAIM_WRONG = "办件编号或查询密码不正确，请核对受理通知书上的编号和查询密码。"


def _claim_key(applicant: Applicant) -> str:
    return f"shenpi:case-claim:{applicant.pk}"


def claim_case(applicant: Applicant, number: str, code: str, *, request=None) -> Case:
    """添加办件: the case becomes visible to this account when its number and query code (查询码) match.

    Failed tries are counted per account (SHENPI_CASE_CLAIMS_PER_HOUR) so query codes cannot be guessed here.
    """
    key = _claim_key(applicant)
    target = f"applicant:{applicant.pk}"
    if (cache.get(key) or 0) >= settings.CASE_CLAIMS_PER_HOUR:
        audit.record("case.claim_failed", request=request, user=applicant.user, target=target, outcome="denied",
                     reason="rate_limited")
        raise TooManyTries("添加办件失败次数过多，请一小时后再试。")
    number = "".join((number or "").split()).upper()
    code = (code or "").strip()
    case = Case.objects.filter(number=number).only("pk", "number", "query_code").first() if number else None
    stored = (case.query_code or "") if case is not None else secrets.token_hex(8)
    if case is None or not code or not std_hmac.compare_digest(stored.encode(), code.encode()):
        _count(key, 3600)
        audit.record("case.claim_failed", request=request, user=applicant.user, target=target, outcome="failure",
                     number=number[:40])
        raise InvalidInput(CLAIM_WRONG, {"code": [CLAIM_WRONG]})
    CaseClaim.objects.get_or_create(applicant=applicant, case=case, defaults={"claimed_at": clock.now()})
    audit.record("case.claimed", request=request, user=applicant.user, target=f"case:{case.number}",
                 applicant=applicant.pk)
    return case
