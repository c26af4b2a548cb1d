"""一厅双网: a department system registers a case handled in its own system and pushes its steps and
result; the case is on the public query and the boards, under supervision and in the assessment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from shenpi import clock
from shenpi.cases import services, trail
from shenpi.cases.models import Case, CaseEvent, State
from shenpi.errors import Forbidden
from shenpi.exchange import registration
from shenpi.performance.indicators import compute
from shenpi.performance.periods import Period
from shenpi.portal import progress, publicity
from shenpi.supervision.models import Alert, Level
from shenpi.supervision.scan import scan
from tests import factories as f

pytestmark = pytest.mark.django_db
OUTSIDE = "/api/v1/outside-cases/"
SOURCE = "来源：企业登记系统（部门自建系统）"


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def samr():
    """市场监督管理局 with its staff; its 企业登记系统 calls as the window's account with an acting token."""
    clock.set_now(at(2026, 11, 16, 10))
    dept = f.department("市场监督管理局", code="SCJGJ")
    people = f.staff(dept)
    item = f.item(dept, name="企业设立登记", promised=5, statutory=20)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {f.api_token(people['clerk'])}")
    return dept, people, item, client


def body(item, number="QYDJ-0001", accepted="2026-11-16T09:00:00+08:00", **extra) -> dict:
    data = {
        "source": {"system": "SAMR-QYDJ", "name": "企业登记系统", "external_number": number},
        "item": item.code, "title": "设立登记",
        "applicant": {"kind": "organisation", "name": "示范贸易有限公司", "id_number": f.ORG_USCC},
        "accepted_at": accepted,
        "materials": [{"spec": m.pk, "received": True} for m in item.current_version().materials.all()],
    }
    data.update(extra)
    return data


def push(client, number, action, moment, **extra):
    return client.post(f"{OUTSIDE}SAMR-QYDJ/{number}/actions/", {"action": action, "at": moment, **extra},
                       format="json")


def work_through(client, number, day=16, **result):
    """The three steps passed, the decision and its delivery, an hour apart on the given day."""
    for hour, step in ((11, "审查"), (13, "审核"), (14, "审批")):
        response = push(client, number, "pass", f"2026-11-{day}T{hour}:00:00+08:00", opinion=f"{step}通过")
        assert response.status_code == 200, response.json()
    decision = {"letter_number": "榕市监准字〔2026〕第1号", **result}
    assert push(client, number, "grant", f"2026-11-{day}T15:00:00+08:00", **decision).status_code == 200
    return push(client, number, "complete", f"2026-11-{day}T16:00:00+08:00", delivery="窗口领取")


def test_registered_case_is_accepted_as_of_its_outside_moment_and_shown_with_its_source(samr):
    dept, people, item, client = samr
    response = client.post(OUTSIDE, body(item), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["state"] == "in_progress" and data["channel"] == "api"
    assert data["source"] == {"system": "SAMR-QYDJ", "name": "企业登记系统", "external_number": "QYDJ-0001",
                              "label": SOURCE}
    case = Case.objects.get(number=data["number"])
    assert timezone.localtime(case.accepted_at) == at(2026, 11, 16, 9)
    assert case.accept_date == dt.date(2026, 11, 16) and case.promised_due == dt.date(2026, 11, 23)
    # The public progress query, with the number and code the applicant got.
    shown = progress.progress(progress.find(case.number, case.query_code))
    assert shown.source == SOURCE and shown.state_label == "办理中"
    page = APIClient().post("/query/", {"number": case.number, "code": case.query_code})
    assert SOURCE in page.content.decode()
    # 办件公示 (an organisation's case under a fully public item is shown by name).
    row = publicity.case_board().rows[0]
    assert row.number == case.number and row.case.source_label == SOURCE
    assert SOURCE in APIClient().get("/publicity/cases/").content.decode()
    # The staff's case page.
    f.login_staff(staff := APIClient(), people["handler"])
    assert SOURCE in staff.get(f"/workbench/cases/{case.number}/").content.decode()


def test_a_repeat_answers_the_case_already_registered(samr):
    _, _, item, client = samr
    first = client.post(OUTSIDE, body(item), format="json")
    again = client.post(OUTSIDE, body(item, accepted="2026-11-16T08:00:00+08:00"), format="json")
    assert again.status_code == 200 and again.json()["number"] == first.json()["number"]
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 2  # receipt and acceptance, once
    read = client.get(f"{OUTSIDE}SAMR-QYDJ/QYDJ-0001/")
    assert read.status_code == 200 and read.json()["number"] == first.json()["number"]


def test_pushed_steps_and_result_keep_both_moments(samr):
    _, _, item, client = samr
    client.post(OUTSIDE, body(item), format="json")
    clock.set_now(at(2026, 11, 16, 17))
    response = work_through(client, "QYDJ-0001")
    assert response.status_code == 200, response.json()
    case = Case.objects.get(external_number="QYDJ-0001")
    assert case.state == State.COMPLETED and case.decision == "grant"
    assert timezone.localtime(case.decided_at) == at(2026, 11, 16, 15)
    assert timezone.localtime(case.completed_at) == at(2026, 11, 16, 16) and case.used_days == 0
    grant = case.events.get(action="grant")
    assert grant.at == at(2026, 11, 16, 17)  # recorded here when it was recorded, not earlier
    assert grant.data["letter_number"] == "榕市监准字〔2026〕第1号"
    assert grant.data["outside_at"] == "2026-11-16T15:00:00+08:00" and grant.data["recorded_late_minutes"] == 120
    assert [s.status for s in case.steps.order_by("pk")] == ["done"] * 3
    report = trail.verify(case_number=case.number)  # the audit chain and the row's seal hold
    assert report.events == 7 and report.breaks == []
    shown = progress.progress(progress.find(case.number, case.query_code))
    assert shown.decision.startswith("准予许可") and shown.source == SOURCE
    rows = publicity.result_board().rows
    assert rows[0].case.pk == case.pk and rows[0].case.source_label == SOURCE


def test_moments_out_of_order_or_in_the_future_are_refused_with_the_field(samr):
    _, _, item, client = samr
    future = client.post(OUTSIDE, body(item, accepted="2026-11-16T11:00:00+08:00"), format="json")
    assert future.status_code == 400 and "accepted_at" in future.json()["fields"]
    client.post(OUTSIDE, body(item), format="json")
    earlier = push(client, "QYDJ-0001", "pass", "2026-11-16T08:00:00+08:00")
    assert earlier.status_code == 400 and "at" in earlier.json()["fields"]
    no_letter = push(client, "QYDJ-0001", "grant", "2026-11-16T09:30:00+08:00")
    assert no_letter.status_code == 400 and "letter_number" in no_letter.json()["fields"]
    assert Case.objects.get().events.count() == 2


def test_an_item_outside_the_tokens_scope_or_a_read_only_token_is_refused(samr):
    dept, people, item, _ = samr
    other = f.item(dept, name="食品经营许可")
    narrow = APIClient()
    narrow.credentials(HTTP_AUTHORIZATION=f"Token {f.api_token(people['clerk'], items=[other])}")
    assert narrow.post(OUTSIDE, body(item), format="json").status_code == 403
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Token {f.api_token(people['clerk'], act=False)}")
    assert reader.post(OUTSIDE, body(item), format="json").status_code == 403
    elsewhere = f.department("住房和城乡建设局")
    foreign = APIClient()
    foreign.credentials(HTTP_AUTHORIZATION=f"Token {f.api_token(f.staff(elsewhere)['clerk'])}")
    assert foreign.post(OUTSIDE, body(item), format="json").status_code == 403
    assert not Case.objects.exists()


def test_a_bad_id_number_is_refused_with_a_field_error_and_nothing_is_kept(samr):
    _, _, item, client = samr
    bad = body(item)
    bad["applicant"] = {"kind": "person", "name": "张三", "id_number": "110105194912310021"}
    response = client.post(OUTSIDE, bad, format="json")
    assert response.status_code == 400
    assert "applicant.id_number" in response.json()["fields"]
    missing = body(item, materials=[])
    assert client.post(OUTSIDE, missing, format="json").status_code == 409  # required materials not received
    assert not Case.objects.exists()


def test_a_result_pushed_days_after_it_was_decided_raises_record_after_approval(samr):
    _, _, item, client = samr
    clock.set_now(at(2026, 11, 2, 9, 30))
    client.post(OUTSIDE, body(item, "QYDJ-LATE", "2026-11-02T09:00:00+08:00"), format="json")
    client.post(OUTSIDE, body(item, "QYDJ-PROMPT", "2026-11-02T09:00:00+08:00"), format="json")
    clock.set_now(at(2026, 11, 2, 17))
    assert work_through(client, "QYDJ-PROMPT", day="02").status_code == 200
    clock.set_now(at(2026, 11, 6, 10))  # decided on the 2nd there, recorded here four days later
    assert work_through(client, "QYDJ-LATE", day="02").status_code == 200
    scan(full=True)
    late, prompt = (Case.objects.get(external_number=n) for n in ("QYDJ-LATE", "QYDJ-PROMPT"))
    alerts = set(Alert.objects.filter(rule__code="proc.record_after_approval").values_list("case_id", "level"))
    assert alerts == {(late.pk, Level.RED)}
    assert prompt.pk not in alerts


def test_an_outside_case_late_in_its_own_system_is_overdue_here(samr):
    _, _, item, client = samr
    client.post(OUTSIDE, body(item, "QYDJ-OLD", "2026-11-02T09:00:00+08:00"), format="json")
    case = Case.objects.get()
    assert case.promised_due == dt.date(2026, 11, 9)
    scan(full=True)
    alert = Alert.objects.get(rule__code="time.case", case_id=case.pk)
    assert alert.level == Level.RED  # 5 working days past the promised due on the 16th


def test_counted_in_the_assessment_of_its_department(samr):
    dept, _, item, client = samr
    client.post(OUTSIDE, body(item), format="json")
    clock.set_now(at(2026, 11, 16, 17))
    work_through(client, "QYDJ-0001")
    clock.set_now(at(2026, 12, 2, 10))
    counted = compute(Period.parse("2026-11"), "department")[dept.pk]
    assert (counted.received, counted.accepted, counted.completed, counted.on_time) == (1, 1, 1, 1)


def test_a_registration_that_loses_the_race_answers_the_winners_case(samr, monkeypatch):
    _, _, item, client = samr
    first = client.post(OUTSIDE, body(item), format="json").json()
    real = registration.find
    calls = []

    def not_yet_committed(system, number):  # the view's and the service's looks came before the winner's commit
        calls.append(number)
        return None if len(calls) <= 2 else real(system, number)

    monkeypatch.setattr(registration, "find", not_yet_committed)
    again = client.post(OUTSIDE, body(item), format="json")
    assert again.status_code == 200 and again.json()["number"] == first["number"]
    assert len(calls) == 3 and Case.objects.count() == 1


def test_a_special_procedure_stops_the_clock_between_its_outside_moments(samr):
    _, _, item, client = samr
    clock.set_now(at(2026, 11, 2, 9, 30))
    client.post(OUTSIDE, body(item, "QYDJ-SP", "2026-11-02T09:00:00+08:00"), format="json")
    clock.set_now(at(2026, 11, 16, 10))
    assert push(client, "QYDJ-SP", "suspend", "2026-11-03T10:00:00+08:00", kind="expert_review",
                reason="组织专家评审", expected_days=5).status_code == 200
    response = push(client, "QYDJ-SP", "resume", "2026-11-06T10:00:00+08:00", comment="评审完毕")
    assert response.status_code == 200, response.json()
    case = Case.objects.get()
    assert case.stopped_days == 3 and case.state == State.IN_PROGRESS
    assert case.promised_due == dt.date(2026, 11, 12)  # 5 working days from the 2nd, moved by the 3 stopped
    stop = case.clock_stops.get()
    assert timezone.localtime(stop.started_at) == at(2026, 11, 3) and stop.stopped_days == 3


def test_staff_do_not_work_an_outside_case_here_but_the_administrator_may_void_it(samr):
    _, people, item, client = samr
    client.post(OUTSIDE, body(item), format="json")
    case = Case.objects.get()
    with pytest.raises(Forbidden):
        services.perform(case, "pass", actor=people["handler"])
    assert services.allowed_actions(case, people["handler"]) == []
    services.perform(case, "void", actor=people["admin"], params={"reason": "重复登记"})
    assert Case.objects.get().state == State.VOIDED
