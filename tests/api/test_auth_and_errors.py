"""Who may call the API, how (session with CSRF, or a token), and the one JSON shape of every error."""

import pytest
from django.core.management import call_command
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient

from shenpi.cases.models import Case, CaseEvent

from .conftest import CASES, application, case_url, open_case, session_client, token_client

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401_json_with_a_token_challenge(org):
    response = APIClient().get(CASES)
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "detail": "身份认证信息未提供。"}
    assert response["WWW-Authenticate"].startswith("Token")


def test_a_wrong_token_is_401(org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get(CASES)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_token_made_by_the_command_acts_as_its_user(org, capsys):
    call_command("token", "create", org.people["clerk"].username, "--name", "住建局业务系统", "--act")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("shp_")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.post(CASES, application(org.item), format="json")  # no CSRF token needed
    assert response.status_code == 201
    assert Case.objects.get().received_by == org.people["clerk"]


def test_a_token_carries_its_users_role_and_department(org, other):
    case = open_case(token_client(org.people["clerk"]), org.item)
    foreign = token_client(other.people["clerk"])
    assert foreign.get(case_url(case["number"])).status_code == 404
    assert foreign.post(CASES, application(org.item), format="json").status_code == 403
    assert token_client(org.people["handler"]).post(CASES, application(org.item), format="json").status_code == 403


def test_session_writes_need_the_csrf_token(org):
    client = session_client(org.people["clerk"], csrf=True)
    response = client.post(CASES, application(org.item), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert "X-CSRFToken" in response.json()["detail"]
    assert Case.objects.count() == 0
    # Staff pages (the login page first) set this cookie; a script sends its value back in the header.
    csrf = get_random_string(32)
    client.cookies["csrftoken"] = csrf
    response = client.post(CASES, application(org.item), format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201


def test_session_reads_need_no_csrf_token(org):
    assert session_client(org.people["clerk"], csrf=True).get(CASES).status_code == 200


def test_an_inactive_user_is_shut_out(org):
    client = token_client(org.people["clerk"])
    org.people["clerk"].is_active = False
    org.people["clerk"].save()
    assert client.get(CASES).status_code == 401


def test_unknown_endpoints_and_versions_are_json_404(org):
    client = session_client(org.people["clerk"])
    for url in ("/api/v1/nothing/", "/api/v2/cases/", "/api/v1/cases", "/api/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json", url
        assert response.json()["code"] == "not_found"


def test_malformed_json_and_other_media_types(org):
    client = session_client(org.people["clerk"])
    response = client.post(CASES, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    response = client.post(CASES, {"item": org.item.code})  # multipart form
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert Case.objects.count() == 0


def test_wrong_method_is_json_405(org):
    case = open_case(token_client(org.people["clerk"]), org.item)
    response = token_client(org.people["clerk"]).delete(case_url(case["number"]))
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert CaseEvent.objects.count() == 2


def test_messages_stay_chinese_whatever_the_client_language(org):
    response = APIClient().get(CASES, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["detail"] == "身份认证信息未提供。"


def test_a_missing_or_extra_slash_is_named(org):
    client = session_client(org.people["clerk"])
    response = client.post("/api/v1/cases", {}, format="json")
    assert response.status_code == 404
    assert response.json()["detail"] == "没有这个接口。您要找的可能是 /api/v1/cases/（注意末尾的斜杠）。"
    response = client.get("/api/v1/workdays/add/?start=2026-09-24&days=5")
    assert "/api/v1/workdays/add（" in response.json()["detail"]


def test_an_unexpected_failure_is_json_500_and_logged(org, monkeypatch, caplog):
    def broken(user, **scope):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("shenpi.api.views.services.visible_cases", broken)
    response = token_client(org.people["clerk"]).get(CASES)
    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "detail": "服务器内部错误，请稍后重试或联系中心管理员。"}
    assert "database on fire" in caplog.text


def test_an_applicant_is_refused_whatever_the_credentials(org):
    """A public-site account is a Django user too: neither its session nor a token of it opens the API."""
    from tests.applicants.helpers import client_for, verified

    applicant = verified()
    browser = client_for(applicant)
    for url in (CASES + "?state=bogus", "/api/v1/items/", "/api/v1/workdays/calendar/2026/"):
        response = browser.get(url)
        assert response.status_code == 403, url
        assert response.json()["detail"] == "本接口供政务服务中心工作人员和部门业务系统使用，申请人账号无权调用。"
    token = token_client(applicant.user)
    assert token.get(CASES).status_code == 403  # the lean path steps aside for DRF's refusal
    assert token.post(CASES, application(org.item), format="json").status_code == 403
    assert Case.objects.count() == 0


def test_a_year_that_is_not_a_number_is_400(org):
    response = token_client(org.people["clerk"]).get("/api/v1/workdays/calendar/null,null/")
    assert response.status_code == 400 and set(response.json()["fields"]) == {"year"}
