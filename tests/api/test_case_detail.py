"""GET /api/v1/cases/{number}/: the whole case in one call, with personal data only for those who need it."""

import pytest
from django.urls import resolve

from shenpi import clock
from shenpi.cases import services
from tests import factories as f

from .conftest import at, case_url, session_client, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def worked(org):
    """Accepted 24 Sept 2026, through the first step, an expert review of two days, a 5-day extension."""
    p = org.people
    clock.set_now(at(2026, 9, 24))
    case = services.perform(f.receive(p["clerk"], org.item), "accept", actor=p["clerk"])
    clock.set_now(at(2026, 9, 28))
    case = services.perform(case, "pass", actor=p["handler"], params={"opinion": "符合条件"})
    case = services.perform(case, "suspend", actor=p["reviewer"], params={
        "kind": "expert_review", "reason": "需专家评审结构安全", "expected_days": 5})
    clock.set_now(at(2026, 9, 30))
    case = services.perform(case, "resume", actor=p["reviewer"])
    case = services.perform(case, "extend", actor=p["approver"], params={"days": 5, "reason": "现场情况复杂"})
    return case


def test_everything_about_a_case_in_one_call(org, worked):
    body = session_client(org.people["reviewer"]).get(case_url(worked.number)).json()
    assert body["number"] == worked.number
    assert body["state"] == "in_progress"
    assert body["item"] == {"code": org.item.code, "name": "建筑工程施工许可证核发", "version": 1}
    assert body["department"]["code"] == "ZJJ"
    assert body["row_version"] == worked.row_version == 5
    clock_ = body["clock"]
    assert clock_["accept_date"] == "2026-09-24"
    assert clock_["stopped"] is False and clock_["stopped_days"] == 2  # 29 and 30 September
    assert clock_["extension_days"] == 5 and clock_["extension_limit"] == 10
    # 10 + 2 stopped + 5 extended working days after 24 September, across 中秋 and 国庆 2026.
    assert clock_["promised_due"] == "2026-10-26"
    assert clock_["provisional"] is False
    assert clock_["used_days"] == 1  # 28 September; the stop does not count
    assert clock_["promised_remaining_days"] == 14
    assert clock_["statutory_remaining_days"] == 24
    assert clock_["overdue"] is False
    steps = body["steps"]
    assert [(s["name"], s["status"]) for s in steps] == [("审查", "done"), ("审核", "active")]
    assert steps[0]["finished_by"]["name"] == "承办人" and steps[0]["opinion"] == "符合条件"
    assert steps[1]["assignee"] == {"username": org.people["reviewer"].username, "name": "审核人"}
    assert steps[1]["role"] == "reviewer" and steps[1]["role_name"] == "审核人"
    [stop] = body["clock_stops"]
    assert (stop["kind"], stop["kind_name"], stop["stopped_days"]) == ("expert_review", "专家评审", 2)
    assert stop["reason"] == "需专家评审结构安全" and stop["ended_at"] is not None
    assert [(e["days"], e["reason"], e["approved_by"]) for e in body["extensions"]] == [
        (5, "现场情况复杂", "审批人(分管领导)")]
    assert [m["name"] for m in body["materials"]][:2] == ["建筑工程施工许可申请表", "建设工程规划许可证"]
    assert all(m["received"] for m in body["materials"])
    assert [n["kind"] for n in body["notices"]] == ["acceptance", "special_procedure", "extension"]
    for notice in body["notices"]:
        assert notice["pdf_url"] == f"/workbench/cases/{worked.number}/notices/{notice['id']}.pdf"
        assert resolve(notice["pdf_url"]).view_name == "workbench:notice_pdf"  # the page that renders it
    events = body["events"]
    assert [e["action"] for e in events] == ["receive", "accept", "pass", "suspend", "resume", "extend"]
    assert [e["action_label"] for e in events][:2] == ["收件", "受理"]
    assert events[3]["actor"] == "审核人" and events[3]["step"] == "审核" and events[3]["comment"]
    assert events[1]["from_state"] == "received" and events[1]["to_state"] == "in_progress"
    assert {a["action"] for a in body["allowed_actions"]} == {"pass", "return", "request_supplement", "suspend"}


def test_allowed_actions_are_those_of_the_requesting_user(org, worked):
    def allowed(user):
        return {a["action"] for a in session_client(user).get(case_url(worked.number)).json()["allowed_actions"]}

    assert allowed(org.people["handler"]) == set()  # the handler's step is done
    assert allowed(org.people["approver"]) == {"extend"}  # the active step is the reviewer's
    assert allowed(org.people["clerk"]) == {"withdraw"}
    assert allowed(org.people["admin"]) == {"void"}
    assert allowed(org.people["supervisor"]) == set()


def test_a_stopped_clock_freezes_the_days_left(org):
    p = org.people
    case = services.perform(f.receive(p["clerk"], org.item), "accept", actor=p["clerk"])
    clock.set_now(at(2026, 9, 29))
    services.perform(case, "request_supplement", actor=p["handler"], params={"reason": "补交结构图"})
    client = session_client(p["handler"])
    first = client.get(case_url(case.number)).json()["clock"]
    clock.set_now(at(2026, 10, 12))
    later = client.get(case_url(case.number)).json()["clock"]
    assert first["stopped"] is True and first["stopped_since"] == "2026-09-29"
    assert first["used_days"] == later["used_days"] == 2  # 28 and 29 September
    assert later["promised_remaining_days"] == 8


def test_overdue_case_says_so(org):
    p = org.people
    case = services.perform(f.receive(p["clerk"], org.item), "accept", actor=p["clerk"])
    clock.set_now(at(2026, 10, 16))
    body = session_client(p["handler"]).get(case_url(case.number)).json()
    assert body["overdue"] is True and body["clock"]["overdue"] is True
    assert body["clock"]["promised_remaining_days"] == -1


def test_personal_data_in_full_only_for_the_case_department_and_the_receiving_clerk(org, centre_clerk):
    received_by_centre = f.receive(centre_clerk, org.item)
    received_by_dept = f.receive(org.people["clerk"], org.item)

    def applicant(user, case):
        body = session_client(user).get(case_url(case.number)).json()
        return body["applicant"], body["query_code"]

    person, code = applicant(org.people["handler"], received_by_centre)
    assert person["id_number"] == f.PERSON_ID and person["phone"] == "13812341234"
    assert person["masked"] is False and code == received_by_centre.query_code
    person, code = applicant(centre_clerk, received_by_centre)
    assert person["id_number"] == f.PERSON_ID  # received it
    person, code = applicant(centre_clerk, received_by_dept)
    assert (person["id_number"], person["phone"], person["masked"], code) == (
        "110105********002X", "138****1234", True, None)
    for role in ("supervisor", "admin"):
        person, code = applicant(org.people[role], received_by_dept)
        assert person["id_number"] == "110105********002X" and code is None
    assert person["name"] == "张三" and person["kind"] == "person" and person["kind_label"] == "个人"
    superuser = f.user(None, is_superuser=True, full_name="系统管理员")
    person, code = applicant(superuser, received_by_dept)
    assert person["id_number"] == f.PERSON_ID and code == received_by_dept.query_code


def test_unknown_and_invisible_cases_are_the_same_404(org, other):
    case = f.receive(org.people["clerk"], org.item)
    outsider = token_client(other.people["handler"])
    hidden = outsider.get(case_url(case.number))
    missing = outsider.get(case_url("20260924XXXXXXXX"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"code": "not_found", "detail": "办件不存在，或您无权查看。"}


def test_a_department_working_a_parallel_step_sees_the_case(org, other):
    from shenpi.accounts.models import Role

    joint = f.item(org.dept, name="联合审查事项", steps=(("审查", Role.HANDLER, None),))
    step = joint.current_version().steps.get()
    step.department = other.dept
    step.save()
    case = services.perform(f.receive(org.people["clerk"], joint), "accept", actor=org.people["clerk"])
    body = session_client(other.people["handler"]).get(case_url(case.number)).json()
    assert body["steps"][0]["department"]["code"] == "SCJG"
    assert body["applicant"]["masked"] is True  # works a step, but it is not the department's case
    assert {a["action"] for a in body["allowed_actions"]} >= {"pass"}


def test_detail_queries_do_not_grow_with_the_history(org, django_assert_max_num_queries):
    p = org.people
    case = services.perform(f.receive(p["clerk"], org.item), "accept", actor=p["clerk"])
    client = token_client(p["approver"])
    client.get(case_url(case.number))  # a token's first use in a minute also notes the time
    with django_assert_max_num_queries(40) as small:
        client.get(case_url(case.number))
    for role in ("handler", "reviewer"):
        case = services.perform(case, "pass", actor=p[role])
    for _ in range(3):
        case = services.perform(case, "suspend", actor=p["approver"], params={
            "kind": "expert_review", "reason": "专家评审", "expected_days": 1})
        case = services.perform(case, "resume", actor=p["approver"])
    with django_assert_max_num_queries(len(small)) as large:
        assert len(client.get(case_url(case.number)).json()["events"]) == 10
    assert len(large) == len(small)
