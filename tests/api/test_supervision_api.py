"""Supervision through the API: alerts and orders read within the token's scope, answered by the
department with an acting token; bad input answers 400 with the field, paging by cursor."""

from __future__ import annotations

import base64

import pytest

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.cases import services as case_services
from shenpi.supervision import orders
from shenpi.supervision.models import Alert, Level, Order, OrderAttachment, Rule
from tests import factories as f

from .conftest import token_client

ALERTS = "/api/v1/supervision/alerts/"
ORDERS = "/api/v1/supervision/orders/"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def watched(org, other):
    """A yellow card and an order for 住建局, a red card for 市场监管局, issued by the centre's supervisor."""
    supervisor = f.user(None, Role.SUPERVISOR, full_name="监察员")
    clerk = org.people["clerk"]
    case = case_services.perform(f.receive(clerk, org.item), "accept", actor=clerk)
    rule = Rule.objects.create(code="api_test_rule", name="承诺时限超期", category="time")
    mine = Alert.objects.create(rule=rule, level=Level.YELLOW, subject=f"case:{case.pk}", case=case,
                                department=org.dept, detected_at=clock.now())
    theirs = Alert.objects.create(rule=rule, level=Level.RED, subject="case:0", department=other.dept,
                                  detected_at=clock.now())
    order = orders.issue_order(supervisor, org.dept, "超期未办结", "请说明原因并整改。", alerts=[mine.pk])
    foreign = orders.issue_order(supervisor, other.dept, "收费不规范", "请整改。", alerts=[theirs.pk])
    return {"supervisor": supervisor, "case": case, "mine": mine, "theirs": theirs, "order": order,
            "foreign": foreign}


def test_a_department_lists_its_own_alerts_and_a_supervisor_every_one(org, watched):
    liaison = token_client(org.people["liaison"], act=False)
    rows = liaison.get(ALERTS).json()["results"]
    assert [r["id"] for r in rows] == [watched["mine"].pk]
    assert rows[0]["case"] == watched["case"].number
    assert rows[0]["department"]["code"] == "ZJJ" and rows[0]["level_display"] == "黄牌"
    everyone = token_client(watched["supervisor"], act=False).get(ALERTS).json()["results"]
    assert {r["id"] for r in everyone} == {watched["mine"].pk, watched["theirs"].pk}


def test_alerts_are_filtered_and_paged(org, watched):
    supervisor = token_client(watched["supervisor"], act=False)
    red = supervisor.get(ALERTS, {"level": 3}).json()["results"]
    assert [r["id"] for r in red] == [watched["theirs"].pk]
    assert [r["id"] for r in supervisor.get(ALERTS, {"department": "ZJJ"}).json()["results"]] == [watched["mine"].pk]
    assert supervisor.get(ALERTS, {"rule": "other"}).json()["results"] == []
    first = supervisor.get(ALERTS, {"page_size": 1}).json()
    assert len(first["results"]) == 1 and first["next"]
    second = supervisor.get(first["next"]).json()
    assert {first["results"][0]["id"], second["results"][0]["id"]} == {watched["mine"].pk, watched["theirs"].pk}


@pytest.mark.parametrize("query, field", [
    ({"level": 9}, "level"), ({"status": "gone"}, "status"), ({"department": "NOPE"}, "department"),
    ({"since": "2026-09-30", "until": "2026-09-01"}, "until"), ({"cursor": "bad"}, "cursor"),
])
def test_bad_filters_answer_400_with_the_field(org, watched, query, field):
    response = token_client(watched["supervisor"], act=False).get(ALERTS, query)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_a_token_narrowed_to_a_department_sees_only_its_alerts(org, other, watched):
    narrowed = token_client(watched["supervisor"], departments=[other.dept], act=False)
    assert [r["id"] for r in narrowed.get(ALERTS).json()["results"]] == [watched["theirs"].pk]
    assert narrowed.get(f"{ALERTS}{watched['mine'].pk}/").status_code == 404


def test_another_departments_alert_answers_404(org, watched):
    liaison = token_client(org.people["liaison"])
    assert liaison.get(f"{ALERTS}{watched['theirs'].pk}/").status_code == 404
    response = liaison.post(f"{ALERTS}{watched['theirs'].pk}/answer/", {"text": "已整改"}, format="json")
    assert response.status_code == 404


def test_the_liaison_answers_an_alert_once(org, watched):
    url = f"{ALERTS}{watched['mine'].pk}/"
    liaison = token_client(org.people["liaison"])
    response = liaison.post(url + "answer/", {"text": "已督促经办人当日办结。"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["answer"] == "已督促经办人当日办结。" and body["answered_by"] == org.people["liaison"].full_name
    assert body["orders"] == [watched["order"].number]
    again = liaison.post(url + "answer/", {"text": "再次说明"}, format="json")
    assert again.status_code == 409


def test_a_read_only_token_may_not_answer(org, watched):
    response = token_client(org.people["liaison"], act=False).post(
        f"{ALERTS}{watched['mine'].pk}/answer/", {"text": "已整改"}, format="json")
    assert response.status_code == 403
    watched["mine"].refresh_from_db()
    assert watched["mine"].answered_at is None


def test_a_clerk_may_see_but_not_answer(org, watched):
    response = token_client(org.people["clerk"]).post(
        f"{ALERTS}{watched['mine'].pk}/answer/", {"text": "已整改"}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize("body", [{}, {"text": "  "}, {"text": "字" * 2001}])
def test_an_empty_or_long_answer_is_refused_with_the_field(org, watched, body):
    response = token_client(org.people["liaison"]).post(
        f"{ALERTS}{watched['mine'].pk}/answer/", body, format="json")
    assert response.status_code == 400
    assert "text" in response.json()["fields"]


# -- orders ---------------------------------------------------------------------------------------

def test_a_department_lists_and_reads_its_orders(org, watched):
    client = token_client(org.people["approver"], act=False)
    rows = client.get(ORDERS).json()["results"]
    assert [r["number"] for r in rows] == [watched["order"].number]
    detail = client.get(f"{ORDERS}{watched['order'].number}/").json()
    assert detail["alerts"] == [watched["mine"].pk]
    assert [e["kind"] for e in detail["entries"]] == ["issue"]
    assert client.get(f"{ORDERS}{watched['foreign'].number}/").status_code == 404


def test_orders_are_filtered_and_paged(org, watched):
    supervisor = token_client(watched["supervisor"], act=False)
    assert [r["number"] for r in supervisor.get(ORDERS, {"department": "SCJG"}).json()["results"]] == [
        watched["foreign"].number]
    assert supervisor.get(ORDERS, {"status": "accepted"}).json()["results"] == []
    first = supervisor.get(ORDERS, {"page_size": 1}).json()
    assert len(first["results"]) == 1 and first["next"]
    assert supervisor.get(ORDERS, {"status": "closed"}).status_code == 400


def test_the_department_answers_an_order_with_an_attachment(org, watched):
    url = f"{ORDERS}{watched['order'].number}/"
    response = token_client(org.people["liaison"]).post(url + "answer/", {
        "text": "已完成整改。", "files": [{"name": "整改报告.pdf", "content": b64(PDF)}]}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "answered"
    reply = body["entries"][-1]
    assert reply["kind"] == "reply" and reply["attachments"][0]["content_type"] == "application/pdf"
    assert OrderAttachment.objects.count() == 1


def test_an_attachment_is_checked_by_its_content_and_nothing_is_saved(org, watched):
    url = f"{ORDERS}{watched['order'].number}/answer/"
    response = token_client(org.people["liaison"]).post(url, {
        "text": "已完成整改。", "files": [{"name": "报告.pdf", "content": b64(b"<html><script>x</script>")}]},
        format="json")
    assert response.status_code == 400
    assert "files" in response.json()["fields"]
    assert Order.objects.get(pk=watched["order"].pk).status == Order.Status.OPEN


def test_bad_base64_names_the_field(org, watched):
    url = f"{ORDERS}{watched['order'].number}/answer/"
    response = token_client(org.people["liaison"]).post(
        url, {"text": "已完成整改。", "files": [{"name": "a.pdf", "content": "%%%"}]}, format="json")
    assert response.status_code == 400
    assert "files[0].content" in response.json()["fields"] or any(
        "content" in k for k in response.json()["fields"])


def test_a_read_only_token_or_another_department_may_not_answer_an_order(org, other, watched):
    url = f"{ORDERS}{watched['order'].number}/answer/"
    assert token_client(org.people["liaison"], act=False).post(
        url, {"text": "已整改"}, format="json").status_code == 403
    assert token_client(other.people["liaison"]).post(url, {"text": "已整改"}, format="json").status_code == 404
    assert Order.objects.get(pk=watched["order"].pk).status == Order.Status.OPEN


def test_an_answered_order_is_not_answered_again(org, watched):
    url = f"{ORDERS}{watched['order'].number}/answer/"
    client = token_client(org.people["liaison"])
    assert client.post(url, {"text": "已整改"}, format="json").status_code == 200
    assert client.post(url, {"text": "再次反馈"}, format="json").status_code == 409
