"""The lean path of GET /api/v1/cases/ (shenpi.api.lean): the same answers as DRF, or DRF answers.

Token calls with plain filters skip DRF's request cycle, and pages come from statements compiled
once per caller and set of filters. These tests hold that path to DRF's answer byte for byte, to
least privilege, to the disclosure rule, and check that anything unusual is left to DRF.
"""

import logging

import pytest
from rest_framework.test import APIClient

from shenpi.accounts.models import Role
from shenpi.api import lean
from shenpi.cases import services
from shenpi.catalog.models import FlowStep
from tests import factories as f

from .conftest import CASES, session_client, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered_by_lean(monkeypatch):
    """Whether each list call was answered by the lean path (True) or left to DRF (False)."""
    answered = []
    original = lean._answer

    def spy(request, stand_in):
        response = original(request, stand_in)
        answered.append(response is not None)
        return response

    monkeypatch.setattr(lean, "_answer", spy)
    return answered


def drf_answer(monkeypatch, client, url, **headers):
    with monkeypatch.context() as patch:
        patch.setattr(lean, "_answer", lambda request, stand_in: None)
        return client.get(url, **headers)


def same_answer(lean_response, drf_response):
    assert lean_response.status_code == drf_response.status_code
    assert lean_response.content == drf_response.content
    headers = {k: v for k, v in lean_response.headers.items() if k != "Vary"}
    assert headers == {k: v for k, v in drf_response.headers.items() if k != "Vary"}
    assert (set(lean_response.headers["Vary"].split(", "))
            == set(drf_response.headers["Vary"].split(", ")))


@pytest.fixture
def cases(mixed_cases):
    return mixed_cases


QUERIES = [
    "", "state=in_progress", "state=received", "channel=window", "overdue=true", "overdue=false",
    "due_before=2026-09-30", "due_after=2026-09-30", "received_from=2026-09-24", "received_to=2026-09-01",
    "received_from=2026-09-01&received_to=2026-09-24", "q=李", "q=2026", "department=ZJJ", "department=SCJG",
    "department=ZJJ&state=in_progress&overdue=false", "page_size=2", "page_size=1000", "page_size=0",
    # Spelled otherwise, but valid to the filter serializer: the lean path reads them as it does.
    "overdue=yes", "overdue=FALSE", "overdue=", "overdue=null", "state=", "due_before=2026-9-1",
    "due_after=20260930", "department=%20ZJJ", "q=%20%E6%9D%8E%20", "q=",
]


@pytest.mark.parametrize("person", ["handler", "supervisor", "other handler"])
@pytest.mark.parametrize("query", QUERIES)
def test_the_lean_path_answers_exactly_what_drf_answers(org, other, cases, person, query, monkeypatch,
                                                         answered_by_lean):
    user = other.people["handler"] if person == "other handler" else org.people[person]
    client = token_client(user)
    url = f"{CASES}?{query}"
    lean_response = client.get(url)
    assert answered_by_lean == [True] or (not lean_response.json()["results"] and "department=" in query)
    same_answer(lean_response, drf_answer(monkeypatch, client, url))


def test_cursor_pages_forward_and_back_are_drf_s(org, other, cases, monkeypatch, answered_by_lean):
    client = token_client(org.people["supervisor"])
    url, seen = f"{CASES}?page_size=2", []
    while url:
        response = client.get(url)
        same_answer(response, drf_answer(monkeypatch, client, url))
        page = response.json()
        seen += [row["number"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(c.number for c in cases.values())
    back = page["previous"]
    same_answer(client.get(back), drf_answer(monkeypatch, client, back))
    assert all(answered_by_lean)


def test_another_department_s_handler_sees_none_of_its_cases(org, other, cases, answered_by_lean):
    client = token_client(other.people["handler"])
    # Only the foreign case and the part the other department works on the shared case.
    assert [r["number"] for r in client.get(CASES).json()["results"]] == [
        cases["foreign"].number, cases["shared"].number]
    # Naming the department does not widen the view: its received case stays out of sight.
    assert client.get(f"{CASES}?department=ZJJ&state=received").json()["results"] == []
    stranger = f.user(f.department("交通运输局", code="JTJ"), Role.HANDLER)
    assert token_client(stranger).get(CASES).json()["results"] == []
    assert token_client(f.user(None, Role.HANDLER)).get(CASES).json()["results"] == []
    # (An empty page filtered by a code is DRF's to answer: it checks that the code exists.)
    assert answered_by_lean == [True, False, True, True]


def test_lists_show_no_personal_data_on_the_lean_path(org, cases, answered_by_lean):
    body = token_client(org.people["handler"]).get(CASES).content.decode()
    assert answered_by_lean == [True]
    waiting = cases["waiting"]
    for secret in (f.PERSON_ID, "13900001111", waiting.applicant_id_masked, waiting.contact_phone_masked,
                   waiting.query_code):
        assert secret not in body


def test_visibility_follows_the_data_not_a_kept_statement(org, other, answered_by_lean):
    handler = other.people["handler"]
    client = token_client(handler)
    assert client.get(CASES).json()["results"] == []  # compiles and keeps the handler's statement
    joint = f.item(org.dept, name="建设工程竣工验收备案")
    FlowStep.objects.create(version=joint.current_version(), seq=1, name="消防验收", role_id=Role.HANDLER,
                            department=other.dept)
    shared = services.perform(f.receive(org.people["clerk"], joint), "accept", actor=org.people["clerk"])
    assert [r["number"] for r in client.get(CASES).json()["results"]] == [shared.number]
    # Moved to the housing bureau: its cases, at once.
    handler.department = org.dept
    handler.save()
    mine = f.receive(org.people["clerk"], org.item)
    assert [r["number"] for r in client.get(CASES).json()["results"]] == [mine.number, shared.number]
    assert all(answered_by_lean)


@pytest.mark.parametrize(("headers", "query"), [
    ({"HTTP_ACCEPT": "text/html"}, ""),
    ({"HTTP_ACCEPT": "application/json; indent=2"}, ""),
    ({}, "format=json"),
    ({}, "state=lost"),
    ({}, "state=in_progress&state=received"),
    ({}, "overdue=maybe"),
    ({}, "due_before=2026-02-30"),
    ({}, "department=%20%20"),
    ({}, "q=" + "x" * 51),
    ({}, "q=a%00b"),
    ({}, "unknown=1"),
    ({}, "received_from=2026-10-01&received_to=2026-09-01"),
    ({}, "item=NOPE"),
    ({}, "cursor=not-base64!"),
    ({}, "cursor=cD1hYmM="),
])
def test_anything_unusual_is_left_to_drf(org, cases, headers, query, monkeypatch, answered_by_lean):
    client = token_client(org.people["handler"])
    url = f"{CASES}?{query}"
    response = client.get(url, **headers)
    assert answered_by_lean == [False]
    drf = drf_answer(monkeypatch, client, url, **headers)
    if response["Content-Type"] == "application/json":
        same_answer(response, drf)
    else:  # the browsable API: its page carries a fresh CSRF token each time
        assert (response.status_code, response["Content-Type"]) == (drf.status_code, drf["Content-Type"])


def test_errors_stay_drf_s(org, cases, answered_by_lean):
    client = token_client(org.people["handler"])
    assert client.get(f"{CASES}?item=NOPE").json()["fields"] == {"item": ["事项编码“NOPE”不存在。"]}
    response = APIClient().get(CASES, HTTP_AUTHORIZATION="Token 0123456789abcdef")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
    # The key and a separator DRF does not split on (it splits the header's bytes).
    key = f.api_token(org.people["handler"])
    response = APIClient().get(CASES, HTTP_AUTHORIZATION=f"Token {key}\x1f")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
    handler = org.people["handler"]
    handler.is_active = False
    handler.save()
    assert client.get(CASES).status_code == 401
    assert answered_by_lean == [False, False, False, False]


def test_a_session_wins_over_a_token_as_with_drf(org, other, cases, answered_by_lean):
    client = session_client(org.people["handler"])
    client.credentials(HTTP_AUTHORIZATION=f"Token {f.api_token(other.people['handler'])}")
    numbers = {r["number"] for r in client.get(CASES).json()["results"]}
    assert cases["waiting"].number in numbers and cases["foreign"].number not in numbers
    assert answered_by_lean == [False]


def test_a_failure_of_the_lean_path_is_logged_and_drf_answers(org, cases, monkeypatch, caplog):
    client = token_client(org.people["handler"])
    expected = client.get(CASES)

    class Broken:
        def render(self, data):
            raise RuntimeError("lean path broken")

    monkeypatch.setattr(lean, "_RENDERER", Broken())
    with caplog.at_level(logging.ERROR, logger="shenpi.api.lean"):
        response = client.get(CASES)
    assert "lean path broken" in caplog.text
    assert response.status_code == 200 and response.content == expected.content
