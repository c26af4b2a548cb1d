"""转办 on the case page, 代办 in the stand-in's list, and the department's AB角与离岗 page."""

import datetime as dt

import pytest

from shenpi import clock
from shenpi.accounts import routing
from shenpi.accounts.models import Absence, Role, StandIn
from tests import factories as f

from .conftest import accepted, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_handlers(org):
    clock.set_now(at(2026, 11, 16))
    org.people["handler"].full_name = "张承办"
    org.people["handler"].save()
    org.people["handler2"] = f.user(org.dept, Role.HANDLER, full_name="李承办")
    return org


def act(client, case, action, **fields):
    data = {"action": action, "row_version": case.row_version}
    data.update({f"{action}-{k}": v for k, v in fields.items()})
    return client.post(f"/workbench/cases/{case.number}/act/", data)


def test_the_handler_hands_the_step_to_a_colleague_who_then_has_it_in_their_list(two_handlers):
    org = two_handlers
    case = accepted(org)
    client = org.client("handler")
    body = client.get(f"/workbench/cases/{case.number}/").content.decode()
    assert "转办" in body and "李承办（审查·承办人）" in body
    response = act(client, case, "transfer", to=org.people["handler2"].pk, reason="本人外出，请李承办办理")
    assert response.status_code == 302
    body = client.get(f"/workbench/cases/{case.number}/").content.decode()
    assert "由 张承办 转交 李承办" in body and "本人外出，请李承办办理" in body
    colleague = org.client_for(org.people["handler2"])
    assert case.number in colleague.get("/workbench/").content.decode()
    assert case.number not in client.get("/workbench/").content.decode()


def test_a_transfer_without_a_colleague_or_reason_is_explained_and_changes_nothing(two_handlers):
    org = two_handlers
    case = accepted(org)
    client = org.client("handler")
    response = act(client, case, "transfer", to="", reason="调整")
    assert response.status_code == 400
    assert "请选择本部门在岗" in response.content.decode()
    response = act(client, case, "transfer", to=org.people["handler2"].pk, reason="")
    assert response.status_code == 400 and "转办必须写明理由。" in response.content.decode()
    case.refresh_from_db()
    assert case.events.filter(action="transfer").count() == 0


def test_the_stand_in_sees_the_absent_colleague_s_step_marked_代办(two_handlers):
    org = two_handlers
    case = accepted(org)
    lead = org.people["approver"]
    routing.pair(lead, org.people["handler"], org.people["handler2"])
    routing.record_absence(lead, org.people["handler"], clock.today(), clock.today() + dt.timedelta(days=3), "年休假")
    body = org.client_for(org.people["handler2"]).get("/workbench/").content.decode()
    assert case.number in body and "代办·AB角" in body and "您是张承办的B角" in body


def test_the_lead_keeps_the_department_s_stand_ins_and_absences(two_handlers):
    org = two_handlers
    lead = org.client("approver")
    a, b = org.people["handler"], org.people["handler2"]
    response = lead.post("/workbench/stand-ins/", {"op": "pair", "pair-principal": a.pk, "pair-stand_in": b.pk})
    assert response.status_code == 302
    assert StandIn.objects.get(principal=a).stand_in == b
    today = clock.today()
    response = lead.post("/workbench/stand-ins/", {
        "op": "absence", "absence-user": a.pk, "absence-starts_on": today.isoformat(),
        "absence-ends_on": (today + dt.timedelta(days=2)).isoformat(), "absence-reason": "出差"})
    assert response.status_code == 302
    body = lead.get("/workbench/stand-ins/").content.decode()
    assert "出差" in body and "李承办" in body and "登记离岗" in body
    # Bad dates are explained next to the field and nothing is recorded.
    response = lead.post("/workbench/stand-ins/", {
        "op": "absence", "absence-user": b.pk, "absence-starts_on": today.isoformat(),
        "absence-ends_on": (today - dt.timedelta(days=1)).isoformat(), "absence-reason": "培训"})
    assert response.status_code == 400 and "结束日期不能早于开始日期。" in response.content.decode()
    assert not Absence.objects.filter(user=b).exists()
    absence = Absence.objects.get(user=a)
    assert lead.post("/workbench/stand-ins/", {"op": "end_absence", "absence": absence.pk}).status_code == 302
    assert not routing.away_ids([a.pk])


def test_staff_see_the_page_but_only_the_lead_may_change_it(two_handlers):
    org = two_handlers
    handler = org.client("handler")
    body = handler.get("/workbench/stand-ins/").content.decode()
    assert "张承办" in body and "pair-form" not in body
    response = handler.post("/workbench/stand-ins/", {
        "op": "pair", "pair-principal": org.people["handler"].pk, "pair-stand_in": org.people["handler2"].pk})
    assert response.status_code == 403
    assert not StandIn.objects.exists()
    # Another department's lead cannot reach this department's people either.
    other_lead = org.client_for(org.others["approver"])
    response = other_lead.post("/workbench/stand-ins/", {
        "op": "pair", "pair-principal": org.people["handler"].pk, "pair-stand_in": org.people["handler2"].pk})
    assert response.status_code == 400 and not StandIn.objects.exists()
