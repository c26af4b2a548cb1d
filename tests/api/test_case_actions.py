"""POST /api/v1/cases/{number}/actions/: one action, optimistic locking, nothing changed on refusal."""

import pytest

from shenpi import clock
from shenpi.cases.models import Case, CaseEvent, CaseStep

from .conftest import CASES, at, case_url, open_case, session_client, token_client

pytestmark = pytest.mark.django_db


def act(client, case: dict, action: str, **params):
    body = {"action": action, "expected_version": case["row_version"], **params}
    return client.post(case_url(case["number"], "actions/"), body, format="json", REMOTE_ADDR="10.1.2.3")


def history(number: str) -> list[str]:
    return list(CaseEvent.objects.filter(case__number=number).values_list("action", flat=True))


def test_a_case_through_its_whole_life_over_the_api(org):
    p = org.people
    clerk, handler = token_client(p["clerk"]), token_client(p["handler"])
    reviewer, approver = token_client(p["reviewer"]), token_client(p["approver"])
    case = open_case(clerk, org.item, decision=None)
    case = act(clerk, case, "accept").json()
    assert case["state"] == "in_progress"
    case = act(handler, case, "pass", opinion="符合条件").json()
    case = act(reviewer, case, "return", reason="请核实面积").json()
    assert [(s["name"], s["status"]) for s in case["steps"]] == [
        ("审查", "done"), ("审核", "returned"), ("审查", "active")]
    case = act(handler, case, "pass", opinion="已核实").json()
    case = act(reviewer, case, "pass").json()
    case = act(approver, case, "pass").json()
    assert case["state"] == "deciding"
    case = act(approver, case, "grant", opinion="准予许可").json()
    assert case["decision"]["result"] == "grant" and case["decision"]["label"] == "准予许可"
    clock.set_now(at(2026, 10, 12))
    response = act(clerk, case, "complete", delivery="窗口领取")  # 邮寄: on 签收 (docs/delivery.md)
    assert response.status_code == 200
    case = response.json()
    assert case["state"] == "completed"
    assert case["clock"]["used_days"] == 7
    assert history(case["number"]) == [
        "receive", "accept", "pass", "return", "pass", "pass", "pass", "grant", "complete"]
    assert set(CaseEvent.objects.filter(case__number=case["number"]).exclude(action="receive")
               .values_list("ip", flat=True)) == {"10.1.2.3"}


def test_stale_expected_version_is_a_conflict_and_changes_nothing(org):
    clerk = token_client(org.people["clerk"])
    case = open_case(clerk, org.item, decision=None)
    assert act(clerk, case, "request_correction", missing=[{"name": "建设工程规划许可证"}]).status_code == 200
    response = act(clerk, case, "accept")  # still holds row_version 0
    assert response.status_code == 409
    assert response.json() == {"code": "conflict", "detail": "该办件已被他人更新，请刷新后重试。"}
    assert Case.objects.get(number=case["number"]).state == "correcting"
    assert history(case["number"]) == ["receive", "request_correction"]


def test_expected_version_is_required(org):
    clerk = token_client(org.people["clerk"])
    case = open_case(clerk, org.item, decision=None)
    response = clerk.post(case_url(case["number"], "actions/"), {"action": "accept"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"expected_version": ["该字段是必填项。"]}
    assert history(case["number"]) == ["receive"]


def test_an_action_the_state_does_not_allow_is_refused(org):
    clerk = token_client(org.people["clerk"])
    case = open_case(clerk, org.item, decision=None)
    response = act(token_client(org.people["approver"]), case, "grant")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "refused"
    assert body["detail"] == "办件当前状态为“待受理”，不能执行“准予许可”。"
    assert Case.objects.get(number=case["number"]).row_version == 0


def test_invalid_parameters_change_nothing(org):
    clerk = token_client(org.people["clerk"])
    case = open_case(clerk, org.item)
    handler = token_client(org.people["handler"])
    response = act(handler, case, "suspend", kind="hearing", reason="听证", expected_days=3)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["kind"]
    response = act(handler, case, "suspend", kind="expert_review", reason="专家评审", expected_days="三天")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["expected_days"]
    response = act(handler, case, "abracadabra")
    assert list(response.json()["fields"]) == ["action"]
    stored = Case.objects.get(number=case["number"])
    assert (stored.state, stored.row_version, stored.clock_stops.count()) == ("in_progress", 1, 0)
    assert history(case["number"]) == ["receive", "accept"]


def test_someone_elses_step_is_forbidden(org):
    case = open_case(token_client(org.people["clerk"]), org.item)
    response = act(token_client(org.people["reviewer"]), case, "pass")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "当前环节为审查" in response.json()["detail"]
    assert CaseStep.objects.get(case__number=case["number"]).status == "active"


def test_another_department_gets_404_for_actions(org, other):
    case = open_case(token_client(org.people["clerk"]), org.item)
    response = act(token_client(other.people["approver"]), case, "extend", days=3, reason="x")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert history(case["number"]) == ["receive", "accept"]


def test_withdraw_and_void_need_reasons(org):
    p = org.people
    case = open_case(token_client(p["clerk"]), org.item)
    response = act(token_client(p["clerk"]), case, "withdraw", reason="")
    assert response.status_code == 400
    assert response.json()["fields"] == {"reason": ["撤回须记录申请人的撤回理由。"]}
    response = act(session_client(p["admin"]), case, "void", reason="重复登记")
    assert response.status_code == 200
    assert response.json()["state"] == "voided" and response.json()["closing_reason"] == "重复登记"


def test_supplement_after_correction_then_accept(org):
    clerk = token_client(org.people["clerk"])
    specs = list(org.item.current_version().materials.all())
    body = {"item": org.item.code, "channel": "online", "decision": "request_correction",
            "applicant": {"kind": "organisation", "name": "示范建设有限公司", "id_number": "91350100M000100Y43"},
            "materials": [{"spec": specs[0].pk, "received": True}], "missing": [{"name": specs[1].name}]}
    response = clerk.post(CASES, body, format="json")
    assert response.status_code == 201
    case = response.json()
    missing = [m["id"] for m in case["materials"] if not m["received"]]
    case = act(clerk, case, "supplement", materials=missing).json()
    assert case["state"] == "received"
    case = act(clerk, case, "accept").json()
    assert case["state"] == "in_progress"
    assert case["clock"]["accept_date"] == "2026-09-24"


def test_an_extension_beyond_the_items_bound_is_refused_and_changes_nothing(org):
    case = open_case(token_client(org.people["clerk"]), org.item)
    approver = token_client(org.people["approver"])
    case = act(approver, case, "extend", days=4, reason="需现场核查").json()
    response = act(approver, case, "extend", days=7, reason="需补充论证")
    assert response.status_code == 409
    assert response.json() == {
        "code": "refused",
        "detail": "延长7个工作日超出本事项可延长的上限：本事项最多可延长10个工作日，"
                  "已延长4个工作日，还可延长6个工作日。",
        "fields": {"days": ["最多还可延长6个工作日。"]}}
    stored = Case.objects.get(number=case["number"])
    assert (stored.extension_days, stored.row_version) == (4, case["row_version"])
    assert history(case["number"]) == ["receive", "accept", "extend"]
    # A number of days that is no number at all stays a matter of the request (400).
    response = act(approver, case, "extend", days=0, reason="需补充论证")
    assert response.status_code == 400 and response.json()["fields"] == {"days": ["延长天数应为1至6个工作日。"]}


def test_a_step_is_handed_to_a_colleague_over_the_api_by_username(org):
    from shenpi.accounts.models import Role
    from tests import factories as f

    p = org.people
    colleague = f.user(p["handler"].department, Role.HANDLER, username="li_handler", full_name="李承办")
    clerk, handler = token_client(p["clerk"]), token_client(p["handler"])
    case = act(clerk, open_case(clerk, org.item, decision=None), "accept").json()
    seen_by_handler = handler.get(case_url(case["number"])).json()
    assert {"action": "transfer", "label": "转办"} in seen_by_handler["allowed_actions"]
    response = act(handler, case, "transfer", to="nobody", reason="工作调整")
    assert response.status_code == 400 and "to" in response.json()["fields"]
    response = act(handler, case, "transfer", to="li_handler", reason="本人外出核查")
    assert response.status_code == 200
    body = response.json()
    active = [s for s in body["steps"] if s["status"] == "active"]
    assert active[0]["assignee"]["username"] == "li_handler"
    assert history(case["number"])[-1] == "transfer"
    assert act(token_client(colleague), body, "pass", opinion="同意").status_code == 200


def test_a_withdrawal_takes_the_scanned_request_as_a_file_upload(org, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shenpi.cases.models import CaseMaterial
    from shenpi.crypto import sm3_hex
    from tests import factories as f

    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = token_client(org.people["clerk"])
    case = open_case(clerk, org.item)
    url = case_url(case["number"], "actions/")

    response = act(clerk, case, "withdraw", reason="申请人书面申请撤回")  # JSON: no file
    assert response.status_code == 400
    assert "撤回申请书" in response.json()["fields"]["request_file"][0]

    def multipart(action="withdraw", content=f.PNG_SCAN, **extra):
        body = {"action": action, "expected_version": case["row_version"], "reason": "申请人书面申请撤回",
                "request_file": SimpleUploadedFile("撤回申请书.png", content, content_type="image/png"), **extra}
        return clerk.post(url, body, format="multipart")

    not_a_scan = multipart(content=b"MZ\x90\x00" + b"\x00" * 100)
    assert not_a_scan.status_code == 400 and "不是PDF、JPG、PNG文件" in not_a_scan.json()["fields"]["request_file"][0]
    assert multipart(action="void").status_code == 415  # multipart only for an action that takes a file
    assert history(case["number"]) == ["receive", "accept"] and not (tmp_path / "media").exists()

    done = multipart()
    assert done.status_code == 200 and done.json()["state"] == "withdrawn"
    scan = CaseMaterial.objects.get(case__number=case["number"], name="撤回申请书")
    assert scan.content_hash == sm3_hex(f.PNG_SCAN) and scan.file.read() == f.PNG_SCAN
    assert history(case["number"])[-1] == "withdraw"
