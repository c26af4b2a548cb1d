"""The case page: facts, clock, history, and the actions the services allow, refused safely."""

import datetime as dt
import importlib.util

import pytest
from django.test import Client

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.cases import services
from shenpi.cases.models import CaseEvent, State
from tests import factories as f

from .conftest import accepted, at, passed

pytestmark = pytest.mark.django_db

HAS_DOCUMENTS = importlib.util.find_spec("shenpi.cases.documents") is not None


def html(response) -> str:
    return response.content.decode()


def page(client, case) -> str:
    response = client.get(f"/workbench/cases/{case.number}/")
    assert response.status_code == 200
    return html(response)


def act(client, case, action, version=None, **fields):
    data = {"action": action, "row_version": case.row_version if version is None else version}
    data.update({f"{action}-{k}": v for k, v in fields.items()})
    return client.post(f"/workbench/cases/{case.number}/act/", data)


def snapshot(case):
    case.refresh_from_db()
    return case.state, case.row_version, CaseEvent.objects.filter(case=case).count(), case.notices.count()


def test_the_page_shows_the_case_its_clock_steps_materials_notices_and_history(org):
    clock.set_now(at(2026, 11, 2))
    case = accepted(org)
    clock.set_now(at(2026, 11, 5))
    body = page(org.client("handler"), case)
    assert case.number in body and "建筑工程施工许可证核发" in body and "办理中" in body
    assert "张三" in body and f.PERSON_ID in body  # the department sees the applicant in full
    assert "2026-11-02" in body and "2026-11-16" in body and "2026-11-30" in body  # accepted, promised, statutory
    assert "已用 3 / 10 个工作日" in body
    assert "（预计）" not in body
    for text in ("审查", "建筑工程施工许可申请表", "受理通知书", "打印 PDF", "收件", "待受理 → 办理中"):
        assert text in body


def test_due_dates_in_a_year_without_a_holiday_notice_are_marked_provisional(org):
    clock.set_now(at(2031, 3, 3))
    case = accepted(org)
    assert case.due_provisional
    assert "（预计）" in page(org.client("handler"), case)


def test_staff_outside_the_department_see_the_applicant_masked(org):
    case = accepted(org)
    body = page(org.client("supervisor"), case)
    assert f.PERSON_ID not in body and case.applicant_id_masked in body
    assert "13812341234" not in body and "138****1234" in body
    assert "张*" in body


def test_only_the_actions_the_services_allow_are_offered(org):
    case = accepted(org)
    handler = html(org.client("handler").get(f"/workbench/cases/{case.number}/"))
    for label in ("通过", "退回", "补件(暂停计时)", "特别程序(暂停计时)"):
        assert f"<summary>{label}</summary>" in handler
    assert "<summary>准予许可</summary>" not in handler
    reviewer = html(org.client("reviewer").get(f"/workbench/cases/{case.number}/"))
    assert "<summary>通过</summary>" not in reviewer and "当前没有需要您办理的操作" in reviewer
    approver = html(org.client("approver").get(f"/workbench/cases/{case.number}/"))
    assert "<summary>延期</summary>" in approver


def test_passing_a_step_moves_the_case_on_and_records_who_and_from_where(org):
    case = accepted(org)
    client = org.client("handler")
    response = act(client, case, "pass", opinion="材料齐全，拟同意")
    assert response.status_code == 302 and response["Location"] == f"/workbench/cases/{case.number}/"
    case.refresh_from_db()
    assert case.steps.get(status="active").name == "审核"
    event = case.events.last()
    assert (event.action, event.actor, event.comment, event.ip) == (
        "pass", org.people["handler"], "材料齐全，拟同意", "127.0.0.1")
    body = page(client, case)
    assert "已办理：通过。" in body and "材料齐全，拟同意" in body and "来源 127.0.0.1" in body


def test_a_stale_row_version_is_a_conflict_and_changes_nothing(org):
    case = accepted(org)
    stale = case.row_version
    case = passed(case, org.people, "handler")  # someone else moved the case on meanwhile
    before = snapshot(case)
    response = act(org.client("reviewer"), case, "pass", version=stale, opinion="经审核，同意上报")
    assert response.status_code == 409
    body = html(response)
    assert "该办件已被他人更新，请刷新后重试。" in body and "本次操作未生效" in body
    assert "经审核，同意上报</textarea>" in body  # what was typed is kept
    assert snapshot(case) == before


def test_invalid_input_is_explained_next_to_the_field_with_the_values_kept(org):
    case = passed(accepted(org), org.people, "handler")
    before = snapshot(case)
    response = act(org.client("reviewer"), case, "return", reason="", to_seq="1")
    assert response.status_code == 400
    body = html(response)
    assert "退回必须写明理由。" in body and "办件未作任何改变" in body
    assert '<option value="1" selected>' in body
    assert snapshot(case) == before


def test_a_refused_transition_is_shown_and_changes_nothing(org):
    case = accepted(org)
    before = snapshot(case)
    response = act(org.client("clerk"), case, "accept")
    assert response.status_code == 409
    assert "办件当前状态为“办理中”，不能执行“受理”。" in html(response)
    assert snapshot(case) == before


def test_a_forbidden_action_is_shown_and_changes_nothing(org):
    case = accepted(org)
    before = snapshot(case)
    response = act(org.client("reviewer"), case, "pass", opinion="同意")
    assert response.status_code == 403
    assert "当前环节为审查（承办人），您无权办理。" in html(response)
    assert snapshot(case) == before


def test_a_missing_row_version_is_refused(org):
    case = accepted(org)
    before = snapshot(case)
    response = org.client("handler").post(f"/workbench/cases/{case.number}/act/",
                                          {"action": "pass", "pass-opinion": "同意"})
    assert response.status_code == 400 and "页面已过期" in html(response)
    assert snapshot(case) == before


def test_with_htmx_errors_replace_the_action_panel_and_success_redirects(org):
    case = passed(accepted(org), org.people, "handler")
    client = org.client("reviewer")
    headers = {"HX-Request": "true"}
    stale = client.post(f"/workbench/cases/{case.number}/act/", {
        "action": "pass", "row_version": case.row_version - 1, "pass-opinion": "同意"}, headers=headers)
    assert stale.status_code == 409
    body = html(stale)
    assert body.lstrip().startswith('<section class="panel action-panel" id="action-panel"')
    assert "<html" not in body and "刷新页面" in body
    # The panel keeps the stale version, so a second press cannot slip through unseen changes.
    assert f'name="row_version" value="{case.row_version - 1}"' in body

    ok = client.post(f"/workbench/cases/{case.number}/act/", {
        "action": "pass", "row_version": case.row_version, "pass-opinion": "同意"}, headers=headers)
    assert ok.status_code == 204 and ok["HX-Redirect"] == f"/workbench/cases/{case.number}/"
    case.refresh_from_db()
    assert case.steps.get(status="active").name == "审批"


def test_a_correction_on_the_case_page_prefills_what_is_missing(org):
    specs = list(org.item.current_version().materials.order_by("seq"))
    case = f.receive(org.people["clerk"], org.item, materials={s.pk: {"received": True} for s in specs[1:]})
    client = org.client("clerk")
    body = page(client, case)
    assert f'name="request_correction-missing-0-name" value="{specs[0].name}"' in body
    response = client.post(f"/workbench/cases/{case.number}/act/", {
        "action": "request_correction", "row_version": case.row_version,
        "request_correction-missing-count": "1", "request_correction-missing-0-include": "1",
        "request_correction-missing-0-name": specs[0].name, "request_correction-missing-0-problem": "未提交",
    })
    notice = case.notices.get()
    assert response.status_code == 302 and response["Location"].endswith(f"?notice={notice.pk}")
    case.refresh_from_db()
    assert case.state == State.CORRECTING
    assert notice.body["missing"] == [{"name": specs[0].name, "problem": "未提交"}]


def test_suspension_resumption_and_extension_show_on_the_clock(org):
    clock.set_now(at(2026, 11, 2))
    case = accepted(org)
    handler, approver = org.client("handler"), org.client("approver")
    clock.set_now(at(2026, 11, 4))
    assert act(handler, case, "suspend", kind="expert_review", reason="需组织专家评审",
               expected_days="5").status_code == 302
    case.refresh_from_db()
    clock.set_now(at(2026, 11, 9))
    body = page(handler, case)
    assert "暂停计时" in body and "需组织专家评审" in body and "自 2026-11-04 起暂停中（已 3 个工作日）" in body
    assert act(handler, case, "resume", comment="专家评审结束").status_code == 302
    case.refresh_from_db()
    assert case.stopped_days == 3 and case.promised_due == dt.date(2026, 11, 19)
    assert act(approver, case, "extend", days="5", reason="情况复杂需进一步核实").status_code == 302
    body = page(approver, case)
    assert "情况复杂需进一步核实" in body and "5个工作日" in body and "延期告知书" in body


def test_csrf_is_enforced_on_actions(org):
    case = accepted(org)
    client = Client(enforce_csrf_checks=True)
    f.login_staff(client, org.people["handler"])
    before = snapshot(case)
    refused = act(client, case, "pass", opinion="同意")
    assert refused.status_code == 403
    assert snapshot(case) == before
    page(client, case)  # sets the CSRF cookie, as a browser would get it
    token = client.cookies["csrftoken"].value
    response = client.post(f"/workbench/cases/{case.number}/act/", {
        "csrfmiddlewaretoken": token, "action": "pass", "row_version": case.row_version, "pass-opinion": "同意"})
    assert response.status_code == 302


def test_csrf_is_enforced_on_the_acceptance_form(org):
    client = Client(enforce_csrf_checks=True)
    f.login_staff(client, org.people["clerk"])
    response = client.post("/workbench/accept/", {"item": org.item.code, "decision": "refuse",
                                                  "refuse_reason": "不属于本机关职权范围"})
    assert response.status_code == 403
    assert not services.visible_cases(org.people["clerk"]).exists()


@pytest.mark.skipif(not HAS_DOCUMENTS, reason="shenpi.cases.documents (notice_pdf) is not written yet: "
                    "the PDF view imports it on demand")
def test_a_notice_prints_as_pdf(org):
    case = accepted(org)
    notice = case.notices.get()
    response = org.client("clerk").get(f"/workbench/cases/{case.number}/notices/{notice.pk}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "inline" in response["Content-Disposition"]


def test_a_notice_of_another_case_is_not_found(org):
    first, second = accepted(org), accepted(org)
    notice = second.notices.get()
    response = org.client("clerk").get(f"/workbench/cases/{first.number}/notices/{notice.pk}.pdf")
    assert response.status_code == 404


def test_on_the_spot_completion_is_offered_only_for_on_the_spot_items(org):
    client = org.client("clerk")
    regular = f.receive(org.people["clerk"], org.item)
    assert "<summary>即办办结</summary>" not in page(client, regular)
    assert "<summary>受理</summary>" in page(client, regular)
    spot_item = f.item(org.dept, name="资质证书遗失补办", promised=0, steps=(("审查", Role.HANDLER, None),))
    spot = f.receive(org.people["clerk"], spot_item)
    assert "<summary>即办办结</summary>" in page(client, spot)


def test_a_supplement_request_lists_the_materials_one_a_line(org):
    case = accepted(org)
    handler = org.client("handler")
    assert "其他需补交的材料（每行一项" in page(handler, case)
    response = act(handler, case, "request_supplement", others="结构施工图：缺少第3层平面\n消防设计说明",
                   reason="图纸不全", expected_days="5")
    assert response.status_code == 302
    notice = case.notices.get(kind="supplement")
    assert notice.body["materials"] == [{"name": "结构施工图", "problem": "缺少第3层平面"},
                                        {"name": "消防设计说明", "problem": "需补交"}]


def test_a_printed_notice_points_its_qr_code_at_the_address_the_page_was_served_on(org, settings, monkeypatch):
    from shenpi.workbench import views

    settings.PUBLIC_URL_FROM_REQUEST = True
    seen = []
    real = views.notice_pdf
    monkeypatch.setattr(views, "notice_pdf", lambda notice, base="": seen.append(base) or real(notice, base))
    case = accepted(org)
    notice = case.notices.get()
    response = org.client("clerk").get(f"/workbench/cases/{case.number}/notices/{notice.pk}.pdf")
    assert response.status_code == 200 and seen == ["http://testserver"]
