"""/api/v1/licences/: departments' systems read the library with a scoped token; the upper platform all of it."""

from __future__ import annotations

import pytest
from django.test import Client

from shenpi.accounts.models import Role
from shenpi.licences.models import Licence
from shenpi.security.models import SecurityEvent
from tests import factories as f
from tests.applicants.helpers import person_id

from .builders import issued_case, licence

pytestmark = pytest.mark.django_db


def _issued(lib, **kw) -> Licence:
    return licence(issued_case(lib.planners, lib.plan_item, id_number=kw.pop("id_number", f.PERSON_ID)), **kw)


def _api(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def test_a_read_token_lists_and_filters_its_departments_licences(lib):
    mine = _issued(lib)
    revoked = _issued(lib, status=Licence.Status.REVOKED)
    other_case = f.receive(lib.people["clerk"], lib.item)
    elsewhere = licence(other_case, type_code="11100000MB0000000X-002", title="其他证照")
    client = _api(f.api_token(lib.planners["handler"], act=False))
    body = client.get("/api/v1/licences/").json()
    found = [row["identifier"] for row in body["results"]]
    assert set(found) == {mine.identifier, revoked.identifier} and elsewhere.identifier not in found
    row = next(r for r in body["results"] if r["identifier"] == mine.identifier)
    assert row["holder_id_masked"] == mine.holder_id_masked and f.PERSON_ID not in str(body)
    assert row["department"] == {"code": lib.planning.code, "name": lib.planning.name}
    valid = client.get("/api/v1/licences/", {"status": "valid"}).json()["results"]
    assert [r["identifier"] for r in valid] == [mine.identifier]
    assert client.get("/api/v1/licences/", {"department": "NOPE"}).status_code == 400
    bad = client.get("/api/v1/licences/", {"identifier": mine.identifier[:-1] + "Q" if mine.identifier[-1] != "Q"
                                           else mine.identifier[:-1] + "R"})
    assert bad.status_code == 400 and "校验位" in str(bad.json())


def test_one_licence_in_full_with_its_verification_and_404_outside_the_scope(lib):
    held = _issued(lib, status=Licence.Status.REVOKED, status_reason="以欺骗手段取得")
    client = _api(f.api_token(lib.planners["handler"], act=False))
    body = client.get(f"/api/v1/licences/{held.identifier}/").json()
    assert body["status"] == "revoked" and body["citable"] is False and body["verification"] == "该证照已被吊销。"
    assert body["signed_data"] == held.signed_data and body["case"] == held.case.number
    assert SecurityEvent.objects.filter(action="personal_data.viewed", target=f"licence:{held.identifier}").exists()
    outsider = _api(f.api_token(lib.people["handler"], act=False))
    assert outsider.get(f"/api/v1/licences/{held.identifier}/").status_code == 404
    assert client.get("/api/v1/licences/1.2.156.3005.2.X.Y.1.001.0/").status_code == 404


def test_a_holders_licences_by_id_number_in_the_body(lib):
    mine = _issued(lib)
    _issued(lib, id_number=person_id("11010519800101123"))
    client = _api(f.api_token(lib.planners["handler"], act=False))
    rows = client.post("/api/v1/licences/holder/", {"id_number": f.PERSON_ID}, content_type="application/json").json()
    assert [r["identifier"] for r in rows] == [mine.identifier]
    event = SecurityEvent.objects.get(action="personal_data.viewed", target="licences:holder")
    assert event.user_id == lib.planners["handler"].pk and event.detail["found"] == 1
    # Another department's token finds nothing of planning's.
    outsider = _api(f.api_token(lib.people["handler"], act=False))
    assert outsider.post("/api/v1/licences/holder/", {"id_number": f.PERSON_ID},
                         content_type="application/json").json() == []


def test_the_upper_platform_reads_every_department_and_a_named_department_narrows_it(lib):
    mine = _issued(lib)
    elsewhere = licence(f.receive(lib.people["clerk"], lib.item), type_code="11100000MB0000000X-002")
    upper = f.user(None, Role.SUPERVISOR, full_name="上级平台")
    everything = _api(f.api_token(upper, act=False)).get("/api/v1/licences/").json()["results"]
    assert {r["identifier"] for r in everything} == {mine.identifier, elsewhere.identifier}
    # Such a token reaches no department's cases.
    assert _api(f.api_token(upper, act=False)).get("/api/v1/cases/").json()["results"] == []
    narrowed = _api(f.api_token(upper, departments=[lib.housing], act=False)).get("/api/v1/licences/").json()
    assert [r["identifier"] for r in narrowed["results"]] == [elsewhere.identifier]


def test_an_applicant_session_is_refused(lib, client):
    from tests.applicants.helpers import verified

    applicant = verified(name="张三", id_number=f.PERSON_ID, mobile="13912345678")
    client.force_login(applicant.user)
    assert client.get("/api/v1/licences/").status_code == 403
