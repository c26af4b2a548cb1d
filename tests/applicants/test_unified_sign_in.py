"""统一身份认证: applicants sign in through the province's platform (its sandbox, over real HTTP).

A new identity gets a real-name verified account; an account nobody has verified is taken over by
the person the platform vouches for; staff are never signed in this way; a forged, stale or
replayed answer, an unverified identity and a platform that is down each leave the visitor signed
out with a message saying why."""

import pytest
from django.test import Client

from shenpi.accounts.models import Role
from shenpi.applicants.models import Applicant, Assurance, RealNameSource
from shenpi.applicants.services import find_applicant
from shenpi.security import audit
from tests import factories as f

from .helpers import PASSWORD, client_for, person_id, register, verified
from .unified import control, misbehave, pick, sign_in, start

pytestmark = pytest.mark.django_db

WANG = "370203199501010042"  # 王小明 of the sandbox, unknown to the platform
LIU = "370211199106269695"  # 刘建华, the demo's resident
HENGTONG = "91370281170400402A"  # 示范市恒通置业有限公司, for which 赵海燕 signs in


@pytest.fixture
def events(monkeypatch):
    recorded = []
    monkeypatch.setattr(audit, "record", lambda action, **kw: recorded.append((action, kw)))
    return recorded


def _signed_in(client) -> Applicant | None:
    user_id = client.session.get("_auth_user_id")
    return Applicant.objects.filter(user_id=user_id).first() if user_id else None


def test_the_login_page_offers_the_button_only_when_a_platform_is_configured(provider, settings):
    page = Client().get("/account/login/")
    assert "统一身份认证登录" in page.content.decode()
    settings.UNIFIED_SIGN_IN_URL = ""
    assert "统一身份认证登录" not in Client().get("/account/login/").content.decode()
    assert Client().get("/account/login/unified/").status_code == 404


def test_the_request_carries_state_nonce_and_a_pkce_challenge(provider):
    client = Client()
    url = start(client, "?next=/account/")
    assert url.startswith("http://127.0.0.1:")
    assert url.split("?")[0].endswith("/unified-sign-in/authorize")
    for part in ("response_type=code", "client_id=shenpi", "code_challenge_method=S256", "state=", "nonce=",
                 "code_challenge=", "scope=openid"):
        assert part in url
    (entry,) = client.session["oidc_states"].values()
    assert entry["nonce"] and entry["code_verifier"]


def test_a_new_person_gets_a_real_name_verified_account(provider, events):
    client = Client()
    page = sign_in(client)
    assert page.redirect_chain[-1][0] == "/account/"
    assert "账号已开通并完成实名认证" in page.content.decode()
    applicant = find_applicant(WANG)
    assert _signed_in(client) == applicant
    assert applicant.kind == "person" and applicant.name == "王小明" and applicant.id_masked != WANG
    assert applicant.assurance == Assurance.REAL_NAME
    assert applicant.real_name_source == RealNameSource.UNIFIED_SIGN_IN
    assert applicant.mobile == "13800000001" and applicant.mobile_verified_at is not None
    assert not applicant.user.has_usable_password()
    assert [action for action, _ in events] == ["identity.unified_sign_in"]
    assert events[0][1]["created"] is True and events[0][1]["outcome"] == "success"


def test_a_company_signs_in_by_its_credit_code_with_the_agent_as_contact(provider):
    client = Client()
    sign_in(client, "zhaohaiyan:company")
    applicant = _signed_in(client)
    assert applicant == find_applicant(HENGTONG)
    assert applicant.kind == "organisation" and applicant.name == "示范市恒通置业有限公司"
    assert applicant.contact_name == "赵海燕" and applicant.real_name_verified


def test_signing_in_again_finds_the_same_account(provider, events):
    sign_in(Client())
    client = Client()
    sign_in(client)
    assert Applicant.objects.count() == 1 and _signed_in(client) == find_applicant(WANG)
    assert events[-1][1]["created"] is False and events[-1][1]["reclaimed"] is False


def test_an_account_nobody_verified_is_taken_over_by_the_verified_person(provider, events):
    """Someone registered 刘建华's ID number with their own phone: the real 刘建华 reclaims it."""
    squatter = verified(id_number=LIU, name="刘建华", mobile="13912340000")
    squatter_client = client_for(squatter)
    assert squatter_client.get("/account/").status_code == 200
    client = Client()
    page = sign_in(client, "liujianhua:person")
    assert "原密码已失效" in page.content.decode()
    applicant = _signed_in(client)
    assert applicant.pk == squatter.pk
    assert applicant.real_name_verified and applicant.real_name_source == RealNameSource.UNIFIED_SIGN_IN
    assert applicant.mobile == "18739120839"
    # The earlier holder is out: their session ends, their password no longer opens the account.
    assert squatter_client.get("/account/").status_code == 302
    answer = Client().post("/account/login/", {"identifier": LIU, "password": PASSWORD})
    assert answer.status_code == 400
    assert [action for action, _ in events] == ["identity.unified_sign_in", "identity.reclaimed"]
    assert events[1][1]["target"] == f"applicant:{applicant.pk}"


def test_an_unfinished_registration_is_taken_over_too(provider):
    pending = register(id_number=LIU, name="刘建华", mobile="13912340001")
    client = Client()
    sign_in(client, "liujianhua:person")
    assert _signed_in(client).pk == pending.pk and _signed_in(client).verified


def test_a_real_name_verified_account_is_signed_in_unchanged(provider, events):
    sign_in(Client(), "liujianhua:person")
    applicant = find_applicant(LIU)
    applicant.user.set_password(PASSWORD)
    applicant.user.save()
    client = Client()
    sign_in(client, "liujianhua:person")
    assert _signed_in(client) == applicant
    assert Client().post("/account/login/", {"identifier": LIU, "password": PASSWORD}).status_code == 302
    assert "identity.reclaimed" not in [action for action, _ in events]


def test_a_real_name_verified_account_without_a_verified_mobile_gets_the_platform_s(provider):
    from shenpi import clock

    applicant = register(id_number=LIU, name="刘建华", mobile="13912340002")
    applicant.real_name_verified_at, applicant.real_name_source = clock.now(), RealNameSource.WINDOW
    applicant.save()
    client = Client()
    page = sign_in(client, "liujianhua:person")
    assert page.redirect_chain[-1][0] == "/account/"
    applicant.refresh_from_db()
    assert applicant.verified and applicant.mobile == "18739120839"
    assert applicant.real_name_source == RealNameSource.WINDOW  # how it was verified first stays


@pytest.mark.parametrize("staff", ["department", "role", "superuser"])
def test_an_identity_matching_a_staff_user_never_signs_in(provider, events, staff):
    applicant = verified(id_number=WANG, name="王小明")
    user = applicant.user
    if staff == "department":
        user.department = f.department()
    elif staff == "role":
        user.save()
        user.roles.set([Role.objects.get_or_create(code=Role.SUPERVISOR)[0]])
    else:
        user.is_superuser = True
    user.save()
    client = Client()
    page = sign_in(client)
    assert "工作人员账号不能通过统一身份认证登录" in page.content.decode()
    assert page.redirect_chain[-1][0] == "/account/login/"
    assert "_auth_user_id" not in client.session
    assert events[-1][1]["outcome"] == "denied" and events[-1][1]["reason"] == "staff_account"


@pytest.mark.parametrize("mode, message", [
    ("bad_signature", "未通过校验"), ("foreign_key", "未通过校验"), ("wrong_audience", "未通过校验"),
    ("wrong_issuer", "未通过校验"), ("wrong_nonce", "未通过校验"), ("not_a_jwt", "未通过校验"),
    ("missing", "未通过校验"), ("expired", "已过期"),
])
def test_a_forged_or_stale_id_token_is_refused(provider, sandboxes, mode, message):
    client = Client()
    callback = pick(start(client), "liujianhua:person")
    misbehave(sandboxes, mode)
    page = client.get(callback, follow=True)
    assert message in page.content.decode()
    assert "_auth_user_id" not in client.session
    assert not Applicant.objects.exists()


def test_a_nonce_changed_on_the_way_is_refused(provider):
    client = Client()
    url = start(client)
    nonce = url.split("nonce=")[1].split("&")[0]
    page = client.get(pick(url.replace(f"nonce={nonce}", "nonce=attacker-chosen")), follow=True)
    assert "未通过校验" in page.content.decode() and not Applicant.objects.exists()


def test_a_state_not_issued_to_this_browser_is_refused(provider):
    client = Client()
    callback = pick(start(client))
    page = client.get(callback.replace("state=", "state=x"), follow=True)
    assert "不是从本站发起的" in page.content.decode()
    # Another browser cannot finish this sign-in either (login CSRF).
    assert "不是从本站发起的" in Client().get(callback, follow=True).content.decode()
    assert not Applicant.objects.exists()


def test_a_callback_is_good_once(provider):
    client = Client()
    callback = pick(start(client))
    client.get(callback)
    client.logout()
    assert "不是从本站发起的" in client.get(callback, follow=True).content.decode()


def test_a_code_without_the_pkce_verifier_is_refused(provider):
    client = Client()
    callback = pick(start(client))
    session = client.session
    for entry in session["oidc_states"].values():
        entry["code_verifier"] = "another-verifier-" + "x" * 40
    session.save()
    page = client.get(callback, follow=True)
    assert "登录凭证无效" in page.content.decode() and not Applicant.objects.exists()


def test_an_identity_the_platform_has_not_verified_is_refused(provider):
    client = Client()
    page = sign_in(client, "chenweihe:person")
    assert "尚未完成实名核验" in page.content.decode()
    page = sign_in(client, "custom", name="赵六", id_card=person_id(), phone_number="")
    assert "未提供已验证的手机号码" in page.content.decode()
    page = sign_in(client, "custom", name="赵六", id_card="370203199501010041", phone_number="13800000009")
    assert "未提供有效的居民身份证号码" in page.content.decode()
    assert not Applicant.objects.exists() and "_auth_user_id" not in client.session


def test_refusing_on_the_platform_page_is_said_so(provider):
    client = Client()
    page = sign_in(client, "deny")
    assert "您已取消统一身份认证登录" in page.content.decode()


def test_a_platform_that_is_down_gets_a_clear_message(provider, sandboxes):
    client = Client()
    control(sandboxes, "/_control/unified-sign-in", {"mode": "fail"})
    page = client.get("/account/login/unified/", follow=True)
    assert "统一身份认证平台暂时无法访问" in page.content.decode()
    assert page.redirect_chain[-1][0] == "/account/login/"
    # Down between the browser's visit and the token exchange.
    control(sandboxes, "/_control/unified-sign-in", {"mode": "ok"})
    callback = pick(start(client))
    control(sandboxes, "/_control/unified-sign-in", {"mode": "fail"})
    page = client.get(callback, follow=True)
    assert "统一身份认证平台暂时无法访问" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_stalled_platform_times_out_with_the_same_message(provider, sandboxes, settings):
    settings.UNIFIED_SIGN_IN_TIMEOUT = 0.3
    client = Client()
    callback = pick(start(client))
    control(sandboxes, "/_control/unified-sign-in", {"mode": "stall", "seconds": 2})
    page = client.get(callback, follow=True)
    assert "统一身份认证平台暂时无法访问" in page.content.decode()


def test_the_next_page_is_kept_through_the_sign_in(provider):
    client = Client()
    callback = pick(start(client, "?next=/account/?page=1"))
    assert client.get(callback)["Location"] == "/account/?page=1"
    client2 = Client()
    callback = pick(start(client2, "?next=https://evil.example/"))
    assert client2.get(callback)["Location"] == "/account/"
