"""Online applications through the API: the window's pre-review queue within the token's scope, an
application in full (recorded as a personal-data view), and the decisions through online's services."""

from __future__ import annotations

import pytest

from shenpi.cases.models import Case
from shenpi.online.models import OnlineApplication
from shenpi.security.models import SecurityEvent
from tests.online import conftest as online

from .conftest import token_client

APPS = "/api/v1/online/applications/"
# The online tests' world (a department, its staff and item, verified applicants) and media folder.
world = online.world
_media = online._media
submitted = online.submitted
Status = OnlineApplication.Status


def url(app, suffix=""):
    return f"{APPS}{app.number}/{suffix}"


def test_the_queue_lists_the_departments_waiting_applications_oldest_first(world):
    first, second = submitted(world), submitted(world, world.organisation)
    client = token_client(world.people["clerk"], act=False)
    rows = client.get(APPS).json()["results"]
    assert [r["number"] for r in rows] == [first.number, second.number]
    assert rows[0]["applicant_id_masked"] != world.applicant.id_number and "*" in rows[0]["applicant_id_masked"]
    assert client.get(APPS, {"status": "accepted"}).json()["results"] == []
    page = client.get(APPS, {"page_size": 1}).json()
    assert [r["number"] for r in page["results"]] == [first.number]
    assert [r["number"] for r in client.get(page["next"]).json()["results"]] == [second.number]


def test_another_departments_clerk_sees_nothing_and_gets_404(world):
    app = submitted(world)
    client = token_client(world.others["clerk"])
    assert client.get(APPS).json()["results"] == []
    assert client.get(url(app)).status_code == 404
    assert client.post(url(app, "actions/"), {"action": "accept"}, format="json").status_code == 404


def test_a_bad_queue_name_answers_400_with_the_field(world):
    response = token_client(world.people["clerk"]).get(APPS, {"status": "draft"})
    assert response.status_code == 400 and "status" in response.json()["fields"]


def test_the_detail_shows_the_applicant_and_is_audited(world):
    app = submitted(world)
    body = token_client(world.people["clerk"], act=False).get(url(app)).json()
    assert body["applicant"]["id_number"] == world.applicant.id_number
    assert {m["name"] for m in body["materials"]} == {s.name for s in world.specs()}
    assert SecurityEvent.objects.filter(action="personal_data.viewed",
                                        target=f"online_application:{app.number}").exists()


def test_the_clerk_accepts_and_a_case_is_opened(world):
    app = submitted(world)
    response = token_client(world.people["clerk"]).post(url(app, "actions/"), {"action": "accept"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["application"]["status"] == "accepted" and body["case"]
    assert Case.objects.get(number=body["case"]).channel == "online"
    again = token_client(world.people["clerk"]).post(url(app, "actions/"), {"action": "accept"}, format="json")
    assert again.status_code == 409


def test_a_read_only_token_may_not_decide(world):
    app = submitted(world)
    response = token_client(world.people["clerk"], act=False).post(url(app, "actions/"), {"action": "accept"},
                                                                   format="json")
    assert response.status_code == 403
    assert OnlineApplication.objects.get(pk=app.pk).status == Status.SUBMITTED


def test_a_correction_lists_the_materials_once(world):
    app = submitted(world)
    spec = world.specs()[0]
    client = token_client(world.people["clerk"])
    response = client.post(url(app, "actions/"), {"action": "correct", "items": [{"spec": spec.pk, "problem": "缺页"}]},
                           format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["application"]["status"] == "correcting"
    assert client.post(url(app, "actions/"), {"action": "correct", "items": [{"spec": spec.pk}]},
                       format="json").status_code == 409


@pytest.mark.parametrize("body, field", [
    ({"action": "approve"}, "action"),
    ({"action": "correct", "items": []}, "items"),
    ({"action": "correct", "items": [{"spec": "x"}]}, "items"),
    ({"action": "refuse", "reason": ""}, "reason"),
])
def test_bad_decisions_answer_400_with_the_field_and_change_nothing(world, body, field):
    app = submitted(world)
    response = token_client(world.people["clerk"]).post(url(app, "actions/"), body, format="json")
    assert response.status_code == 400, response.json()
    assert any(k.startswith(field) for k in response.json()["fields"]), response.json()
    assert OnlineApplication.objects.get(pk=app.pk).status == Status.SUBMITTED


def test_refusal_with_a_reason(world):
    app = submitted(world)
    response = token_client(world.people["clerk"]).post(
        url(app, "actions/"), {"action": "refuse", "reason": "不属于本部门职权范围。"}, format="json")
    assert response.status_code == 200
    assert response.json()["application"]["refusal_reason"] == "不属于本部门职权范围。"
