"""Sign-in through the province's unified identity platform (统一身份认证), over OpenID Connect.

The authorization code flow with PKCE (S256), state and nonce. mozilla-django-oidc does the
protocol's work: the state/nonce/verifier entries in the session, the PKCE challenge, the token
exchange, choosing the signing key from the provider's JWKS, the nonce check and the user info
call. Around it this module adds what the library leaves out (docs/unified-sign-in.md):
- the provider's endpoints come from its discovery document, at the address of settings;
- the ID token must be RS256, signed by a key of the JWKS, for this client (`aud`), from this
  issuer (`iss`), unexpired, with `sub` and `nonce`: the library checks neither `aud` nor `iss`,
  and lets an expired token through as an unhandled error;
- every failure becomes a `SignInRefused` with a Chinese message, never a 500;
- the verified identity is mapped onto an applicant account (`claim_account`), never a staff user.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt
import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import add_state_and_verifier_and_nonce_to_session, generate_code_challenge

from shenpi import clock
from shenpi.accounts import identifiers
from shenpi.accounts.models import User
from shenpi.cases.models import ApplicantKind
from shenpi.crypto import blind_index

from .models import Applicant, RealNameSource

CALLBACK = "applicants:unified_callback"
SCOPES = "openid profile phone id_card"
# A sign-in begun longer ago than this is not finished: the state is refused.
STATE_SECONDS = 600
DISCOVERY_SECONDS = 3600
# Clock difference between the provider and us that is forgiven on exp/iat.
LEEWAY_SECONDS = 30
UNAVAILABLE = "统一身份认证平台暂时无法访问，请稍后再试，或使用证件号码和密码登录。"
TOKEN_INVALID = "统一身份认证平台返回的身份令牌未通过校验，未登录。请重新发起统一身份认证登录。"  # noqa: S105 - a message, not a secret


class SignInRefused(Exception):
    """Why the sign-in did not happen: `message` for the applicant, `reason` for the audit log."""

    def __init__(self, message: str, reason: str, outcome: str = "failure"):
        super().__init__(message)
        self.message, self.reason, self.outcome = message, reason, outcome


def configured() -> bool:
    return bool(settings.UNIFIED_SIGN_IN_URL and settings.UNIFIED_SIGN_IN_CLIENT_ID
                and settings.UNIFIED_SIGN_IN_CLIENT_SECRET)


# -- the provider --------------------------------------------------------------------------------------

_discovered: dict[str, tuple[float, dict]] = {}


def provider() -> dict:
    """The discovery document of the configured provider, kept for an hour."""
    issuer = settings.UNIFIED_SIGN_IN_URL
    cached = _discovered.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_SECONDS:
        return cached[1]
    try:
        response = requests.get(f"{issuer}/.well-known/openid-configuration",
                                timeout=settings.UNIFIED_SIGN_IN_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError):
        raise SignInRefused(UNAVAILABLE, "provider_unavailable") from None
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint")
    if not isinstance(document, dict) or any(not document.get(key) for key in needed) \
            or document["issuer"].rstrip("/") != issuer:
        raise SignInRefused(UNAVAILABLE, "provider_misconfigured")
    _discovered[issuer] = (time.monotonic(), document)
    return document


def forget_provider() -> None:
    _discovered.clear()


def authorization_url(request, next_url: str | None) -> str:
    """Where the browser goes to sign in; the state, nonce and PKCE verifier wait in the session."""
    endpoint = provider()["authorization_endpoint"]
    verifier = secrets.token_urlsafe(48)
    params = {
        "response_type": "code", "scope": SCOPES, "client_id": settings.UNIFIED_SIGN_IN_CLIENT_ID,
        "redirect_uri": request.build_absolute_uri(reverse(CALLBACK)),
        "state": secrets.token_urlsafe(32), "nonce": secrets.token_urlsafe(32),
        "code_challenge": generate_code_challenge(verifier, "S256"), "code_challenge_method": "S256",
    }
    add_state_and_verifier_and_nonce_to_session(request, params["state"], params, verifier)
    request.session["oidc_login_next"] = next_url
    return requests.Request("GET", endpoint, params=params).prepare().url


def take_state(request) -> dict:
    """The session's entry for the state the provider sent back, removed so it serves once."""
    states = request.session.get("oidc_states")
    state = request.GET.get("state", "")
    entry = states.pop(state, None) if isinstance(states, dict) and state else None
    if entry is not None:
        request.session["oidc_states"] = states  # marks the session changed
    if entry is None:
        raise SignInRefused("登录请求已失效或不是从本站发起的，未登录。请重新发起统一身份认证登录。", "bad_state")
    if time.time() - float(entry.get("added_on") or 0) > STATE_SECONDS:
        raise SignInRefused("登录请求已超时，请重新发起统一身份认证登录。", "state_expired")
    return entry


class _Backend(OIDCAuthenticationBackend):
    """The library's backend with its settings taken from the discovery document and ours.

    Not listed in AUTHENTICATION_BACKENDS: only the callback view calls it, so no password
    sign-in (staff or applicant) can ever pass through it.
    """

    def __init__(self, document: dict):  # noqa: D107 - the base reads Django settings we do not keep
        self.document = document
        self.OIDC_OP_TOKEN_ENDPOINT = document["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = document["userinfo_endpoint"]
        self.OIDC_OP_JWKS_ENDPOINT = document["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = settings.UNIFIED_SIGN_IN_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.UNIFIED_SIGN_IN_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = "RS256"
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.UserModel = User

    def get_settings(self, attr, *args):
        ours = {"OIDC_TIMEOUT": settings.UNIFIED_SIGN_IN_TIMEOUT, "OIDC_AUTHENTICATION_CALLBACK_URL": CALLBACK,
                "OIDC_RP_SCOPES": SCOPES, "OIDC_USE_NONCE": True, "OIDC_ALLOW_UNSECURED_JWT": False,
                "OIDC_VERIFY_SSL": True, "OIDC_PROXY": None, "OIDC_TOKEN_USE_BASIC_AUTH": False,
                "OIDC_STORE_ACCESS_TOKEN": False, "OIDC_STORE_ID_TOKEN": False}
        return ours[attr]

    def get_payload_data(self, token, key):
        """The ID token's claims when its signature, audience, issuer and times hold."""
        try:
            return jwt.decode(token, key, algorithms=["RS256"], audience=self.OIDC_RP_CLIENT_ID,
                              issuer=self.document["issuer"], leeway=LEEWAY_SECONDS,
                              options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]})
        except jwt.ExpiredSignatureError:
            raise SignInRefused("统一身份认证平台返回的身份令牌已过期，未登录。请重新发起统一身份认证登录。",
                                "token_expired") from None
        except jwt.InvalidTokenError as error:
            raise SignInRefused(TOKEN_INVALID, f"token_invalid:{type(error).__name__}") from None

    def get_userinfo(self, access_token, id_token, payload):
        """User info may add claims; the signed ID token's win, and both must be of one subject."""
        info = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(info, dict) or info.get("sub") != payload.get("sub"):
            raise SignInRefused(TOKEN_INVALID, "userinfo_subject_differs")
        return {**info, **payload}

    def get_or_create_user(self, access_token, id_token, payload):
        return claim_account(verified_identity(self.get_userinfo(access_token, id_token, payload)))


def sign_in(request, entry: dict) -> SignedIn:
    """Exchange the code of this callback for the verified identity, and its applicant account."""
    backend = _Backend(provider())
    try:
        result = backend.authenticate(request, nonce=entry.get("nonce"), code_verifier=entry.get("code_verifier"))
    except requests.HTTPError as error:
        status = getattr(error.response, "status_code", 0)
        if status in (400, 401):
            # invalid_grant: the code was used, expired, or the PKCE verifier does not match it.
            raise SignInRefused("登录凭证无效或已使用，未登录。请重新发起统一身份认证登录。",
                                f"token_request_refused:{status}") from None
        raise SignInRefused(UNAVAILABLE, f"provider_error:{status}") from None
    except (requests.RequestException, ValueError):
        raise SignInRefused(UNAVAILABLE, "provider_unavailable") from None
    except SuspiciousOperation as error:
        # The library's refusals: the nonce differs, no key of the JWKS matches, a wrong algorithm.
        raise SignInRefused(TOKEN_INVALID, f"token_invalid:{error}") from None
    except (jwt.PyJWTError, KeyError, TypeError) as error:
        # No ID token, one that is not a JWT, or a JWKS without the fields of a key.
        raise SignInRefused(TOKEN_INVALID, f"token_unreadable:{type(error).__name__}") from None
    if result is None:
        raise SignInRefused(TOKEN_INVALID, "no_token")
    return result


# -- the account ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Identity:
    """Who the provider vouches for: the account's holder (a person, or a company with its agent)."""

    kind: str
    name: str
    number: str  # ID number, or USCC for a company
    contact_name: str
    mobile: str


@dataclass(frozen=True)
class SignedIn:
    applicant: Applicant
    created: bool = False
    reclaimed: bool = False


def verified_identity(claims: dict) -> Identity:
    """The identity in the claims, or SignInRefused when the provider has not verified it."""
    if claims.get("real_name_verified") is not True:
        raise SignInRefused("您在统一身份认证平台的账号尚未完成实名核验，无法登录本平台。"
                            "请先在统一身份认证平台完成实名认证。", "not_real_name_verified")
    name = " ".join(str(claims.get("name") or "").split())
    try:
        person_number = identifiers.validate_id_number(str(claims.get("id_card") or ""))
    except identifiers.IdentifierError:
        raise SignInRefused("统一身份认证平台未提供有效的居民身份证号码，无法登录。", "id_card_invalid") from None
    if not name or len(name) > 50:
        raise SignInRefused("统一身份认证平台未提供有效的姓名，无法登录。", "name_invalid")
    mobile = ""
    if claims.get("phone_number_verified") is True:
        try:
            mobile = identifiers.validate_mobile(str(claims.get("phone_number") or ""))
        except identifiers.IdentifierError:
            mobile = ""
    if not mobile:
        raise SignInRefused("统一身份认证平台未提供已验证的手机号码，无法登录。请先在该平台绑定并验证手机号码。",
                            "mobile_unverified")
    kind = claims.get("user_type")
    if kind == "person":
        return Identity(ApplicantKind.PERSON, name, person_number, name, mobile)
    if kind == "company":
        company = " ".join(str(claims.get("company_name") or "").split())
        try:
            uscc = identifiers.validate_uscc(str(claims.get("uscc") or ""))
        except identifiers.IdentifierError:
            raise SignInRefused("统一身份认证平台未提供有效的统一社会信用代码，无法以法人身份登录。",
                                "uscc_invalid") from None
        if not company or len(company) > 100:
            raise SignInRefused("统一身份认证平台未提供有效的单位名称，无法以法人身份登录。", "company_name_invalid")
        return Identity(ApplicantKind.ORGANISATION, company, uscc, name, mobile)
    raise SignInRefused("统一身份认证平台返回了无法识别的用户类型，无法登录。", "user_type_unknown")


def is_staff(user: User) -> bool:
    return bool(user.is_staff or user.is_superuser or user.department_id or user.roles.exists())


@transaction.atomic
def claim_account(identity: Identity) -> SignedIn:
    """The applicant account of this verified identity: found by the blind index, made, or taken over.

    An account not yet real-name verified was opened by whoever typed the ID number: the person the
    provider vouches for takes it over (a reclaim). The earlier password stops working, and with it
    every session of the earlier holder; the mobile becomes the provider's verified one.
    """
    now = clock.now()
    index = blind_index(identity.number)
    applicant = Applicant.objects.select_for_update().select_related("user").filter(id_index=index).first()
    if applicant is None:
        user = User.objects.create_user(username=f"applicant-{secrets.token_hex(8)}", password=None,
                                        full_name=identity.contact_name)
        applicant = Applicant.objects.create(
            user=user, kind=identity.kind, name=identity.name, id_number=identity.number, id_index=index,
            id_masked=identifiers.mask_id(identity.number), created_at=now,
            **_holder(identity, now))
        return SignedIn(applicant, created=True)
    if is_staff(applicant.user):
        raise SignInRefused("工作人员账号不能通过统一身份认证登录申请人服务，请使用工作人员登录入口。",
                            "staff_account", outcome="denied")
    if not applicant.user.is_active:
        raise SignInRefused("该账号已停用，请联系政务服务中心。", "account_inactive", outcome="denied")
    if applicant.real_name_verified:
        if not applicant.verified:
            # Verified in person (at a window) before any mobile was: the platform's verified one serves.
            holder = _holder(identity, now)
            for field in ("mobile", "mobile_index", "mobile_masked", "mobile_verified_at"):
                setattr(applicant, field, holder[field])
            applicant.save(update_fields=["mobile", "mobile_index", "mobile_masked", "mobile_verified_at"])
        return SignedIn(applicant)
    for field, value in _holder(identity, now).items():
        setattr(applicant, field, value)
    applicant.kind, applicant.name = identity.kind, identity.name
    applicant.save()
    user = applicant.user
    user.set_unusable_password()
    user.full_name = identity.contact_name
    user.save(update_fields=["password", "full_name"])
    return SignedIn(applicant, reclaimed=True)


def _holder(identity: Identity, now) -> dict:
    return {
        "contact_name": identity.contact_name, "mobile": identity.mobile,
        "mobile_index": blind_index(identity.mobile), "mobile_masked": identifiers.mask_phone(identity.mobile),
        "mobile_verified_at": now, "real_name_verified_at": now, "real_name_source": RealNameSource.UNIFIED_SIGN_IN,
    }
