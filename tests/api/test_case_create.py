"""POST /api/v1/cases/: receive, and decide at the window in the same transaction."""

import datetime as dt

import pytest
from django.utils import timezone

from shenpi.cases.models import Case, CaseEvent, Notice
from tests import factories as f

from .conftest import CASES, application

pytestmark = pytest.mark.django_db


def counts():
    return Case.objects.count(), CaseEvent.objects.count(), Notice.objects.count()


def test_receive_only_leaves_the_case_waiting_for_acceptance(org, clerk):
    response = clerk.post(CASES, application(org.item), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "received"
    assert body["state_label"] == "待受理"
    assert response["Location"].endswith(f"/api/v1/cases/{body['number']}/")
    assert body["item"] == {"code": org.item.code, "name": "建筑工程施工许可证核发", "version": 1}
    assert body["applicant"]["id_number"] == f.PERSON_ID  # the receiving clerk sees it in full
    assert body["clock"]["correction_due"] == "2026-10-09"  # 5 working days after receipt (art. 32)
    assert [e["action"] for e in body["events"]] == ["receive"]
    assert {a["action"] for a in body["allowed_actions"]} == {
        "accept", "request_correction", "refuse", "withdraw"}  # not 即办: no on-the-spot completion
    case = Case.objects.get(number=body["number"])
    assert case.received_by == org.people["clerk"]
    assert case.events.get().ip == "127.0.0.1"


def test_accept_in_the_same_call_starts_the_first_step_and_issues_the_notice(org, clerk):
    response = clerk.post(CASES, application(org.item, decision="accept"), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "in_progress"
    assert body["clock"]["accept_date"] == "2026-09-24"
    assert body["clock"]["promised_due"] == "2026-10-15"
    assert [(s["name"], s["status"]) for s in body["steps"]] == [("审查", "active")]
    assert body["steps"][0]["assignee"]["name"] == "承办人"
    assert [n["kind"] for n in body["notices"]] == ["acceptance"]
    assert [e["action"] for e in body["events"]] == ["receive", "accept"]
    assert body["row_version"] == 1


def test_request_correction_lists_everything_missing_in_one_notice(org, clerk):
    specs = list(org.item.current_version().materials.all())
    body = application(org.item, decision="request_correction", comment="请一次补齐",
                       missing=[{"name": specs[1].name, "problem": "缺少盖章"}, {"name": specs[2].name}])
    body["materials"] = [{"spec": specs[0].pk, "received": True}]
    response = clerk.post(CASES, body, format="json")
    assert response.status_code == 201
    case = response.json()
    assert case["state"] == "correcting"
    assert case["correction_count"] == 1
    notice = case["notices"][0]
    assert notice["kind"] == "correction"
    assert notice["body"]["missing"] == [{"name": specs[1].name, "problem": "缺少盖章"},
                                         {"name": specs[2].name, "problem": "未提交"}]
    assert [m["received"] for m in case["materials"]] == [True, False, False, False]


def test_refuse_in_the_same_call_records_the_reason(org, clerk):
    response = clerk.post(CASES, application(org.item, decision="refuse", reason="不属于本机关职权范围"), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "refused"
    assert body["closing_reason"] == "不属于本机关职权范围"
    assert [n["kind"] for n in body["notices"]] == ["refusal"]
    assert body["allowed_actions"] == []


def test_on_the_spot_item_is_completed_in_the_same_call(org, clerk):
    instant = f.item(org.dept, name="建筑业企业资质证书遗失补办", promised=0, statutory=0, steps=(), procedures=())
    response = clerk.post(CASES, application(instant, decision="handle_on_the_spot", opinion="当场办结"),
                          format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "completed"
    assert body["decision"]["result"] == "grant"
    assert body["clock"]["used_days"] == 0
    assert body["clock"]["promised_due"] == "2026-09-24"


def test_a_refused_decision_keeps_nothing_of_the_receipt(org, clerk):
    before = counts()
    response = clerk.post(CASES, application(org.item, decision="accept", received=False), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "refused"
    assert "不齐全" in response.json()["detail"]
    assert counts() == before


def test_a_decision_missing_its_reason_keeps_nothing(org, clerk):
    before = counts()
    response = clerk.post(CASES, application(org.item, decision="refuse", reason="  "), format="json")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": "不予受理必须写明理由。",
                               "fields": {"reason": ["不予受理必须写明理由。"]}}
    assert counts() == before


def test_correction_without_the_missing_list_keeps_nothing(org, clerk):
    before = counts()
    response = clerk.post(CASES, application(org.item, decision="request_correction"), format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["missing"]
    assert counts() == before


def test_on_the_spot_for_a_promised_item_is_refused(org, clerk):
    before = counts()
    response = clerk.post(CASES, application(org.item, decision="handle_on_the_spot"), format="json")
    assert response.status_code == 409
    assert counts() == before


def test_bad_applicant_data_names_the_request_fields(org, clerk):
    body = application(org.item)
    body["applicant"]["id_number"] = "110105194912310021"  # wrong check digit
    response = clerk.post(CASES, body, format="json")
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "invalid"
    assert error["fields"] == {"applicant.id_number": ["身份证号码校验位不正确，请核对。"]}
    assert Case.objects.count() == 0


def test_shape_errors_are_field_errors_in_chinese(org, clerk):
    body = application(org.item, decision="approve_everything")
    body["applicant"].pop("name")
    body["channel"] = "fax"
    body["materials"].append({"spec": "x", "received": True})
    response = clerk.post(CASES, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "invalid"
    last = len(body["materials"]) - 1
    assert set(error["fields"]) == {"applicant.name", "channel", "decision", f"materials.{last}.spec"}
    assert error["fields"]["applicant.name"] == ["该字段是必填项。"]
    assert error["fields"]["channel"] == ["“fax” 不是合法选项。"]


def test_unknown_item_and_materials_are_refused(org, other, clerk):
    response = clerk.post(CASES, {**application(org.item), "item": "NO-SUCH-ITEM"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"item": ["事项编码“NO-SUCH-ITEM”不存在。"]}
    foreign = other.item.current_version().materials.first()
    response = clerk.post(CASES, application(org.item, materials=[{"spec": foreign.pk, "received": True}]),
                          format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["materials"]
    spec = org.item.current_version().materials.first().pk
    twice = [{"spec": spec, "received": True}, {"spec": spec, "received": False}]
    response = clerk.post(CASES, application(org.item, materials=twice), format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"materials": [f"材料[{spec}]重复登记。"]}
    assert Case.objects.count() == 0


def test_only_a_clerk_of_the_department_may_receive(org, other):
    from .conftest import session_client

    response = session_client(org.people["handler"]).post(CASES, application(org.item), format="json")
    assert response.status_code == 403
    assert response.json() == {"code": "forbidden", "detail": "收件须由窗口人员办理。"}
    response = session_client(other.people["clerk"]).post(CASES, application(org.item), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert Case.objects.count() == 0


def test_the_comprehensive_window_receives_for_any_department(org, centre_clerk):
    from .conftest import session_client

    response = session_client(centre_clerk).post(CASES, application(org.item, decision="accept"), format="json")
    assert response.status_code == 201
    assert response.json()["department"] == {"code": "ZJJ", "name": "住房和城乡建设局"}


def test_deferred_material_must_be_allowed_by_the_catalogue(org, clerk):
    specs = list(org.item.current_version().materials.all())
    body = application(org.item, decision="accept")
    body["materials"][2] = {"spec": specs[2].pk, "received": False, "deferred": True}  # 容缺 allowed
    response = clerk.post(CASES, body, format="json")
    assert response.status_code == 400 and "commitment" in response.json()["fields"]  # no commitment
    body["commitment"] = True
    response = clerk.post(CASES, body, format="json")
    assert response.status_code == 201
    assert response.json()["materials"][2]["deferred"] is True
    assert response.json()["materials"][2]["due_on"] is not None
    body["materials"][0] = {"spec": specs[0].pk, "received": False, "deferred": True}  # not allowed
    response = clerk.post(CASES, body, format="json")
    assert response.status_code == 400
    assert "不允许容缺受理" in response.json()["detail"]


def test_window_and_dates_come_from_the_clerk_and_the_clock(org, clerk):
    body = clerk.post(CASES, application(org.item), format="json").json()
    assert body["window"]["number"] == org.people["clerk"].window.number
    received = dt.datetime.fromisoformat(body["received_at"])
    assert timezone.localdate(received) == dt.date(2026, 9, 24)
