"""实名认证 through the identity sandbox, and what it guards: the cases filed under an ID number, ratings in the
holder's name, notices; 证件号码找回 from an account that merely typed someone's ID number; 添加办件."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import urllib.error
import urllib.request

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.applicants import identity, services
from shenpi.applicants.models import Applicant, CaseClaim, IdentityReclaim, RealNameSource, RealNameVerification
from shenpi.cases import services as case_services
from shenpi.crypto import blind_index
from shenpi.errors import Conflict, Forbidden, InvalidInput
from shenpi.feedback.models import Complaint, Rating
from shenpi.notifications.models import Notification
from shenpi.security import audit
from tests import factories as f

from .helpers import PASSWORD, client_for, last_code, person_id, real_named, register, uscc, verified

pytestmark = pytest.mark.django_db

OWNER_ID = person_id()  # 李四 in the identity sandbox
COMPANY_REP_ID = person_id("11010519850615123")  # 王五, 示范科技有限公司's 法定代表人


@pytest.fixture
def identity_service(sandboxes, settings):
    settings.IDENTITY_URL = sandboxes.url("identity")
    settings.IDENTITY_TIMEOUT = 1
    cache.clear()
    return sandboxes.sandboxes["identity"]


@pytest.fixture
def audited(monkeypatch):
    """The security audit's records of this test: (action, outcome, target, detail)."""
    records = []
    original = audit.record

    def record(action, **kw):
        records.append((action, kw.get("outcome", "success"), kw.get("target", ""), kw))
        original(action, **kw)

    monkeypatch.setattr(audit, "record", record)
    return records


@pytest.fixture
def window_case(db):
    """A case received at a window for 李四 (OWNER_ID) and accepted: it has a 受理通知书 and is completed."""
    dept = f.department()
    people = f.staff(dept)
    item = f.item(dept)
    clerk = people["clerk"]
    case = f.receive(clerk, item, name="李四", id_number=OWNER_ID, phone="13912345678")
    case = case_services.perform(case, "accept", actor=clerk)
    return case


def _complete(case):
    """Mark the case completed (ratings are for completed cases) without walking the whole flow."""
    type(case).objects.filter(pk=case.pk).update(state="completed")
    case.refresh_from_db()
    return case


def _control(sandboxes, mode: str, seconds: float = 0) -> None:
    data = json.dumps({"mode": mode, "seconds": seconds}).encode()
    request = urllib.request.Request(f"{sandboxes.base_url}/_control/identity", method="POST", data=data)  # noqa: S310
    urllib.request.urlopen(request, timeout=5).read()  # noqa: S310 - the sandbox


def _sees(client: Client, case) -> bool:
    home = client.get("/account/").content.decode()
    return case.number in home


# -- the finding -------------------------------------------------------------------------------------

def test_the_attack_from_the_finding_no_longer_works(identity_service, window_case, audited):
    case = _complete(window_case)
    notice = case.notices.first()
    # The impostor knows 李四's ID number and registers it with their own mobile.
    impostor = verified(name="李四", id_number=OWNER_ID, mobile="13800000001")
    assert impostor.verified and not impostor.real_name_verified
    attacker = client_for(impostor)
    assert not _sees(attacker, case)
    for url in (f"/account/cases/{case.number}/", f"/account/cases/{case.number}/notices/{notice.pk}.pdf",
                f"/ratings/mine/{case.number}/", f"/complaints/mine/{case.number}/"):
        assert attacker.get(url).status_code == 404, url
    assert attacker.post(f"/ratings/mine/{case.number}/", {"level": "1", "reason": "冒名差评"}).status_code == 404
    assert attacker.post(f"/complaints/mine/{case.number}/", {"content": "冒名投诉"}).status_code == 404
    assert not Rating.objects.exists() and not Complaint.objects.exists()
    # Without the holder's name the identity check fails; nothing changes.
    answer = attacker.post("/account/real-name/", {"name": "王二", "id_number": OWNER_ID})
    assert answer.status_code == 400 and identity.MESSAGES[identity.Outcome.MISMATCH] in answer.content.decode()
    impostor.refresh_from_db()
    assert not impostor.real_name_verified and not _sees(attacker, case)

    # The real 李四 registers: the page answers as for any new ID number.
    owner_client = Client()
    response = owner_client.post("/account/register/", {
        "kind": "person", "name": "李四", "id_number": OWNER_ID, "mobile": "13912345678",
        "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/account/verify/"
    response = owner_client.post("/account/verify/", {"code": last_code("139****5678")})
    assert response.status_code == 302 and response["Location"] == "/account/real-name/"
    page = owner_client.get("/account/real-name/").content.decode()
    assert "已绑定其他账号" in page
    response = owner_client.post("/account/real-name/", {"name": "李四", "id_number": OWNER_ID})
    assert response.status_code == 302 and response["Location"] == "/account/"

    owner = services.find_applicant(OWNER_ID)
    assert owner.mobile_masked == "139****5678" and owner.real_name_verified and owner.verified
    assert owner.real_name_source == RealNameSource.IDENTITY_SERVICE
    assert _sees(owner_client, case)
    assert owner_client.get(f"/account/cases/{case.number}/notices/{notice.pk}.pdf").status_code == 200
    filed = owner_client.post(f"/complaints/mine/{case.number}/", {"content": "窗口办理时间过长"},
                              REMOTE_ADDR="10.0.0.9")
    assert filed.status_code == 200
    complaint = Complaint.objects.get()
    assert (complaint.case, complaint.complainant, complaint.mobile) == (case, "李四", "13912345678")
    # The impostor keeps a login but loses the binding: no ID number, no case, told by SMS.
    impostor.refresh_from_db()
    assert impostor.identity_released_at is not None and impostor.id_number == ""
    assert impostor.id_index != blind_index(OWNER_ID)
    assert list(services.my_cases(impostor)) == []
    assert not _sees(attacker, case)
    assert services.find_applicant("13800000001") == impostor
    signed_in = Client().post("/account/login/", {"identifier": "13800000001", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/account/"
    [sms] = Notification.objects.filter(template="identity_reclaimed", channel="sms")
    assert sms.address == "13800000001" and "已由该证件持有人经实名认证找回" in sms.body
    reclaim = IdentityReclaim.objects.get()
    assert (reclaim.previous, reclaim.reclaimer, reclaim.source) == (impostor, owner, RealNameSource.IDENTITY_SERVICE)
    actions = [(a, o) for a, o, *_ in audited]
    assert ("identity.verify_failed", "failure") in actions
    assert ("identity.reclaimed", "success") in actions and ("identity.verified", "success") in actions
    [sent] = [r for r in identity_service.requests if r["result"] == "match"]
    assert sent["signed"] and sent["payload"] == {"name": "李四", "id_number": OWNER_ID}


def test_reclaim_from_a_real_name_verified_account_is_refused_and_points_to_the_window(identity_service):
    holder = real_named(verified(name="李四", id_number=OWNER_ID, mobile="13800000001"))
    newcomer = register(name="李四", id_number=OWNER_ID, mobile="13912345678")
    newcomer = services.verify_registration(newcomer, last_code("139****5678"))
    with pytest.raises(Conflict, match="窗口现场核验"):
        services.verify_real_name(newcomer, services.RealNameInput(name="李四", id_number=OWNER_ID))
    holder.refresh_from_db()
    assert holder.identity_released_at is None and holder.id_index == blind_index(OWNER_ID)
    assert not IdentityReclaim.objects.exists() and not identity_service.requests  # not even asked


# -- the identity service's answers ------------------------------------------------------------------

@pytest.mark.parametrize(("name", "number", "outcome"), [
    ("李四", OWNER_ID, identity.Outcome.MATCH),
    ("李斯", OWNER_ID, identity.Outcome.MISMATCH),
    ("赵六", person_id("44030419880808123"), identity.Outcome.NO_RECORD),
])
def test_the_backend_reads_each_answer(identity_service, name, number, outcome):
    answer = identity.service().check_person(name, number)
    assert answer.outcome is outcome
    assert bool(answer.reference) == (outcome is not identity.Outcome.UNAVAILABLE)


def test_a_mismatch_and_an_unknown_number_are_told_apart_and_change_nothing(identity_service, audited):
    applicant = verified(name="赵六", id_number=person_id("44030419880808123"))
    client = client_for(applicant)
    response = client.post("/account/real-name/", {"name": "赵六", "id_number": applicant.id_number})
    assert response.status_code == 400
    assert identity.MESSAGES[identity.Outcome.NO_RECORD] in response.content.decode()
    applicant.refresh_from_db()
    assert not applicant.real_name_verified and not RealNameVerification.objects.exists()
    assert [(a, d["result"]) for a, _, _, d in audited] == [("identity.verify_failed", "no_record")]
    # Another person's ID number is refused before the service is asked.
    response = client.post("/account/real-name/", {"name": "李四", "id_number": OWNER_ID})
    assert "证件号码须与注册账号时填写的一致" in response.content.decode()
    assert len(identity_service.requests) == 1


@pytest.mark.parametrize("mode", ["fail", "stall"])
def test_an_unavailable_service_keeps_the_input_and_decides_nothing(identity_service, sandboxes, mode):
    applicant = verified(name="李四", id_number=OWNER_ID)
    _control(sandboxes, mode, seconds=3)
    started = time.monotonic()
    response = client_for(applicant).post("/account/real-name/", {"name": "李四", "id_number": OWNER_ID})
    assert time.monotonic() - started < 2.5  # the time-out (1 s) fired, the page did not hang
    body = response.content.decode()
    assert response.status_code == 503 and identity.MESSAGES[identity.Outcome.UNAVAILABLE] in body
    assert f'value="{OWNER_ID}"' in body and 'value="李四"' in body
    applicant.refresh_from_db()
    assert not applicant.real_name_verified


def test_the_sandbox_refuses_a_wrong_signature_and_the_platform_calls_that_unavailable(identity_service, settings):
    settings.IDENTITY_APP_SECRET = "not-the-secret"
    assert identity.service().check_person("李四", OWNER_ID).outcome is identity.Outcome.UNAVAILABLE
    assert identity_service.requests[-1]["result"] == "unauthorised" and not identity_service.requests[-1]["signed"]
    # Straight over HTTP: a body changed after signing, and a stale timestamp, are both refused.
    body = json.dumps({"name": "李四", "id_number": OWNER_ID}, ensure_ascii=False).encode()
    now, stale = str(int(time.time())), str(int(time.time()) - 3600)
    tampered = body.replace("李四".encode(), "王五".encode())
    cases = [(now, identity.sign("sandbox-secret", now, body), body, 200),
             (now, identity.sign("sandbox-secret", now, body), tampered, 401),
             (stale, identity.sign("sandbox-secret", stale, body), body, 401)]
    for timestamp, signature, sent, expected in cases:
        assert _post_signed(f"{settings.IDENTITY_URL}/v1/person/verify", sent, timestamp, signature) == expected


def _post_signed(url: str, body: bytes, timestamp: str, signature: str) -> int:
    headers = {"X-App-Key": "shenpi-sandbox", "X-Timestamp": timestamp, "X-Signature": signature}
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 - the sandbox
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# -- organisations ---------------------------------------------------------------------------------

def _organisation():
    return verified(kind="organisation", name="示范科技有限公司", id_number=uscc(), mobile="13800138000",
                    contact_name="王五")


def test_the_legal_representative_verifies_the_company(identity_service):
    company = _organisation()
    client = client_for(company)
    wrong = client.post("/account/real-name/", {"company_name": "示范科技有限公司", "representative": "张三",
                                                "role": "legal_representative", "name": "张三",
                                                "id_number": person_id("11010819921120456")})
    assert identity.ENTERPRISE_MESSAGES[identity.Outcome.MISMATCH] in wrong.content.decode()
    impostor = client.post("/account/real-name/", {"company_name": "示范科技有限公司", "representative": "王五",
                                                   "role": "legal_representative", "name": "王五",
                                                   "id_number": person_id("11010819921120456")})
    assert identity.MESSAGES[identity.Outcome.MISMATCH] in impostor.content.decode()  # the person check said no
    response = client.post("/account/real-name/", {"company_name": "示范科技有限公司", "representative": "王五",
                                                   "role": "legal_representative", "name": "王五",
                                                   "id_number": COMPANY_REP_ID})
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.real_name_verified
    row = company.verifications.get()
    assert (row.role, row.actor_name, row.actor_id_masked, row.representative) == (
        "legal_representative", "王五", "110105********1236", "王五")
    assert [r["path"] for r in identity_service.requests][-2:] == ["/v1/person/verify", "/v1/enterprise/verify"]


def test_an_agent_needs_the_authorisation_letter(identity_service, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    company = _organisation()
    data = {"company_name": "示范科技有限公司", "representative": "王五", "role": "agent", "name": "张三",
            "id_number": person_id("11010819921120456")}
    client = client_for(company)
    refused = client.post("/account/real-name/", data)
    assert "授权委托书" in refused.content.decode() and not identity_service.requests
    letter = SimpleUploadedFile("授权委托书.pdf", b"%PDF-1.4 letter", content_type="application/pdf")
    response = client.post("/account/real-name/", {**data, "authorisation": letter, "declared": "on"})
    assert response.status_code == 302
    row = RealNameVerification.objects.get(applicant=company)
    assert row.role == "agent" and row.actor_name == "张三" and row.authorisation.name.endswith(".pdf")


# -- registration tells nobody who is registered ------------------------------------------------------

def _register_page(client: Client, number: str) -> tuple:
    response = client.post("/account/register/", {
        "kind": "person", "name": "李四", "id_number": number, "mobile": "13912345678",
        "password": PASSWORD, "password2": PASSWORD})
    page = client.get(response["Location"]).content.decode()
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    return response.status_code, response["Location"], page


def test_registration_answers_the_same_for_a_taken_and_a_free_id_number(identity_service):
    verified(name="李四", id_number=OWNER_ID, mobile="13800000001")
    free = _register_page(Client(), person_id("11010819921120456"))
    clock.set_now(clock.now() + dt.timedelta(minutes=2))  # past the resend wait
    taken = _register_page(Client(), OWNER_ID)
    assert free == taken
    assert Notification.objects.filter(template="mobile_code", address_masked="139****5678").count() == 2


def test_the_password_reset_start_answers_the_same_for_any_id_number():
    verified(name="李四", id_number=OWNER_ID, mobile="13912345678")
    pages = []
    for number in (OWNER_ID, person_id("11010819921120456")):
        response = Client().post("/account/password/", {"identifier": number, "mobile": "13700000000"}, follow=True)
        pages.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode()))
    assert pages[0] == pages[1]


# -- 添加办件 ---------------------------------------------------------------------------------------

def test_a_case_is_added_with_its_number_and_query_code_only(window_case, settings, audited):
    settings.CASE_CLAIMS_PER_HOUR = 3
    cache.clear()
    applicant = verified(name="张三", id_number=person_id("11010819921120456"), mobile="13800000002")
    client = client_for(applicant)
    wrong = client.post("/account/cases/add/", {"number": window_case.number, "code": "000000"})
    assert wrong.status_code == 400 and services.CLAIM_WRONG in wrong.content.decode()
    assert not _sees(client, window_case)
    added = client.post("/account/cases/add/", {"number": window_case.number, "code": window_case.query_code})
    assert added.status_code == 302 and added["Location"] == f"/account/cases/{window_case.number}/"
    assert _sees(client, window_case) and CaseClaim.objects.get().applicant == applicant
    for _ in range(2):
        client.post("/account/cases/add/", {"number": "SP000000000", "code": "1"})
    limited = client.post("/account/cases/add/", {"number": window_case.number, "code": window_case.query_code})
    assert limited.status_code == 429 and "次数过多" in limited.content.decode()
    assert [a for a, *_ in audited].count("case.claim_failed") == 4
    assert [a for a, *_ in audited].count("case.claimed") == 1


# -- 窗口现场核验 -----------------------------------------------------------------------------------

def test_a_clerk_verifies_an_account_at_the_window(window_case, audited):
    applicant = verified(name="李四", id_number=OWNER_ID)
    dept = f.department("公安局")
    clerk = f.user(dept, Role.CLERK, full_name="窗口甲")
    handler = f.user(dept, Role.HANDLER, full_name="承办乙")
    other = Client()
    other.force_login(handler)
    assert other.get("/workbench/identity/").status_code == 403
    staff = Client()
    staff.force_login(clerk)
    page = staff.get(f"/workbench/identity/?identifier={OWNER_ID}").content.decode()
    assert "110105********1239" in page and "注册用户" in page
    refused = staff.post("/workbench/identity/", {"identifier": OWNER_ID, "role": "self", "name": "李四",
                                                 "id_number": person_id("11010819921120456"), "seen": "on"})
    assert refused.status_code == 400 and "不一致" in refused.content.decode()
    response = staff.post("/workbench/identity/", {"identifier": OWNER_ID, "role": "self", "name": "李四",
                                                  "id_number": OWNER_ID, "seen": "on"})
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.real_name_source == RealNameSource.WINDOW
    assert applicant.verifications.get().staff == clerk
    assert ("identity.window_verified", "success") in [(a, o) for a, o, *_ in audited]
    assert _sees(client_for(applicant), window_case)


def test_an_unopened_registration_cannot_verify_by_name_alone(identity_service):
    pending = register(name="李四", id_number=OWNER_ID)
    with pytest.raises(Forbidden, match="请先完成手机号码验证"):
        services.verify_real_name(pending, services.RealNameInput(name="李四", id_number=OWNER_ID))
    assert not Applicant.objects.filter(real_name_verified_at__isnull=False).exists()
    with pytest.raises(InvalidInput):
        services.verify_real_name(verified(name="李四", id_number=OWNER_ID, mobile="13800000003"),
                                  services.RealNameInput(name="", id_number="123"))


def test_the_unified_sign_in_confirms_a_real_name_and_reclaims_the_same_way():
    impostor = verified(name="李四", id_number=OWNER_ID, mobile="13800000001")
    newcomer = services.verify_registration(register(name="李四", id_number=OWNER_ID, mobile="13912345678"),
                                            last_code("139****5678"))
    owner = services.confirm_real_name(newcomer, source=RealNameSource.UNIFIED_SIGN_IN, name="李四",
                                       id_number=OWNER_ID, reference="oidc-sub-1")
    impostor.refresh_from_db()
    assert owner.verified and owner.real_name_source == RealNameSource.UNIFIED_SIGN_IN
    assert impostor.identity_released_at is not None
    assert IdentityReclaim.objects.get().source == RealNameSource.UNIFIED_SIGN_IN
    with pytest.raises(InvalidInput):
        services.confirm_real_name(verified(name="张三", id_number=person_id("11010819921120456"),
                                            mobile="13800000004"),
                                   source=RealNameSource.UNIFIED_SIGN_IN, name="李四", id_number=OWNER_ID)


def test_names_cannot_be_guessed_against_an_id_number(identity_service, settings, audited):
    settings.IDENTITY_FAILURES_PER_DAY = 3
    applicant = verified(name="王二", id_number=OWNER_ID, mobile="13800000001")
    client = client_for(applicant)
    for guess in ("李一", "李二", "李三"):
        assert client.post("/account/real-name/", {"name": guess, "id_number": OWNER_ID}).status_code == 400
    limited = client.post("/account/real-name/", {"name": "李四", "id_number": OWNER_ID})
    assert limited.status_code == 429 and "窗口现场核验" in limited.content.decode()
    assert len(identity_service.requests) == 3  # the right name was never even sent
    # Registering again with the same ID number does not buy more guesses.
    again = services.verify_registration(register(name="王二", id_number=OWNER_ID, mobile="13800000005"),
                                         last_code("138****0005"))
    with pytest.raises(services.TooManyTries):
        services.verify_real_name(again, services.RealNameInput(name="李四", id_number=OWNER_ID))
    assert ("identity.verify_failed", "denied") in [(a, o) for a, o, *_ in audited]


def test_registering_the_number_again_does_not_undo_a_reclaim_under_way(identity_service):
    verified(name="王二", id_number=OWNER_ID, mobile="13800000001")
    owner = services.verify_registration(register(name="李四", id_number=OWNER_ID, mobile="13912345678"),
                                         last_code("139****5678"))
    register(name="王二", id_number=OWNER_ID, mobile="13800000006")  # the impostor tries to cut it short
    assert Applicant.objects.filter(pk=owner.pk).exists()
    owner = services.verify_real_name(owner, services.RealNameInput(name="李四", id_number=OWNER_ID))
    assert owner.verified and services.find_applicant(OWNER_ID) == owner


def test_a_real_service_without_the_app_secret_is_not_called(settings, sandboxes):
    """The sandbox's own key stands in only for the sandbox: production has no default secret."""
    from shenpi.applicants import identity

    settings.IDENTITY_URL, settings.IDENTITY_APP_SECRET = "https://idcheck.example.gov.cn/api", ""
    assert identity.service().url == ""
    settings.IDENTITY_URL = ""
    assert identity.service().url == f"{sandboxes.base_url}/identity" and identity.service().app_secret
