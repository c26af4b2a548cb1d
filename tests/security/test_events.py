"""Each kind of security event is recorded where it happens, with who and from where."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from shenpi.accounts.models import Role, StandIn
from shenpi.security.chain import verify
from shenpi.security.models import SecurityEvent
from tests import factories as f
from tests.api.conftest import application
from tests.applicants.helpers import PASSWORD as APPLICANT_PASSWORD
from tests.applicants.helpers import person_id, verified
from tests.factories import login_staff
from tests.workbench.conftest import accepted
from tests.workbench.test_materials import _media, scanned_case  # noqa: F401 - _media is an autouse fixture

pytestmark = pytest.mark.django_db
STAFF_PASSWORD = "Shenpi-test-2026"


def events(action: str):
    return SecurityEvent.objects.filter(action=action).order_by("id")


def only(action: str) -> SecurityEvent:
    found = list(events(action))
    assert len(found) == 1, [(e.action, e.target) for e in SecurityEvent.objects.all()]
    return found[0]


def test_staff_login_success_failure_lockout_and_logout(org, settings):
    settings.LOGIN_CAPTCHA_AFTER = 100  # the lockout itself, without the picture code in between
    clerk = org.people["clerk"]
    client = Client(REMOTE_ADDR="10.20.0.9", HTTP_USER_AGENT="Chromium 测试")
    client.post("/login/", {"username": clerk.username, "password": "wrong"})
    failed = only("login.failed")
    assert (failed.outcome, failed.user_id, failed.target, failed.address, failed.detail["via"]) == (
        "failure", None, f"account:{clerk.username}", "10.20.0.9", "staff")
    assert client.post("/login/", {"username": clerk.username, "password": STAFF_PASSWORD}).status_code == 302
    signed_in = only("login.succeeded")
    assert (signed_in.user_id, signed_in.username, signed_in.user_agent) == (clerk.pk, clerk.username, "Chromium 测试")
    client.post("/logout/")
    assert only("logout").user_id == clerk.pk
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):  # one failure is counted already (per account and address)
        Client(REMOTE_ADDR="10.20.0.9").post("/login/", {"username": clerk.username, "password": "wrong"})
    locked = only("login.locked_out")
    assert (locked.outcome, locked.target) == ("denied", f"account:{clerk.username}")
    # Every try while locked is recorded too.
    Client(REMOTE_ADDR="10.20.0.9").post("/login/", {"username": clerk.username, "password": STAFF_PASSWORD})
    assert events("login.locked_out").count() == 2
    assert verify().breaks == []


def test_admin_and_applicant_logins_are_recorded_with_where_they_happened(org):
    admin = get_user_model().objects.create_superuser("boss", "b@example.org", "x" * 16)
    Client().post("/admin/login/?next=/admin/", {"username": "boss", "password": "wrong"})
    Client().post("/admin/login/?next=/admin/", {"username": "boss", "password": "x" * 16})
    assert only("login.failed").detail["via"] == "admin"
    assert only("login.succeeded").user_id == admin.pk
    applicant = verified(id_number=person_id())
    Client().post("/account/login/", {"identifier": person_id(), "password": APPLICANT_PASSWORD})
    assert events("login.succeeded").last().user_id == applicant.user_id
    assert events("login.succeeded").last().detail["via"] == "applicant"


def test_refusals_of_staff_pages_the_api_and_the_admin_are_recorded_with_the_user(org):
    no_role = f.user(org.dept, username="norole")
    Client().force_login(no_role)
    client = Client()
    client.force_login(no_role)
    assert client.get("/workbench/").status_code == 403
    api = APIClient()
    api.force_authenticate(org.people["handler"])  # only the window receives cases
    assert api.post("/api/v1/cases/", application(org.item), format="json").status_code == 403
    staff_without_rights = f.user(None, username="staffer", is_staff=True)
    admin_client = Client()
    login_staff(admin_client, staff_without_rights)
    assert admin_client.get("/admin/accounts/user/").status_code == 403
    denied = list(events("permission.denied"))
    assert [(e.username, e.target, e.outcome, e.detail["reason"]) for e in denied] == [
        ("norole", "/workbench/", "denied", "workbench"),
        (org.people["handler"].username, "/api/v1/cases/", "denied", "api"),
        ("staffer", "/admin/accounts/user/", "denied", "admin")]


def test_unmasked_personal_data_is_recorded_on_the_case_page_and_in_the_api_but_masked_views_are_not(org):
    case = accepted(org)
    assert org.client("handler").get(f"/workbench/cases/{case.number}/").status_code == 200
    viewed = only("personal_data.viewed")
    assert (viewed.user_id, viewed.target, viewed.detail["where"]) == (
        org.people["handler"].pk, f"case:{case.number}", "workbench")
    # The supervisor sees the case masked: nothing to record.
    assert org.client("supervisor").get(f"/workbench/cases/{case.number}/").status_code == 200
    assert events("personal_data.viewed").count() == 1
    api = APIClient()
    api.force_authenticate(org.people["handler"])
    body = api.get(f"/api/v1/cases/{case.number}/").json()
    assert body["applicant"]["masked"] is False
    assert events("personal_data.viewed").last().detail["where"] == "api"


def test_opening_an_applicants_file_is_recorded(org):
    case, material, _ = scanned_case(org)
    response = org.client("handler").get(f"/workbench/cases/{case.number}/materials/{material.pk}/file")
    assert response.status_code == 200
    opened = only("material.viewed")
    assert (opened.user_id, opened.target, opened.detail["file"], opened.detail["digest"]) == (
        org.people["handler"].pk, f"case:{case.number}", material.shown_name, material.content_hash)


def test_a_notice_pdf_is_recorded_as_an_export(org):
    case = accepted(org)
    notice = case.notices.first()
    response = org.client("clerk").get(f"/workbench/cases/{case.number}/notices/{notice.pk}.pdf")
    assert response.status_code == 200
    assert only("export.notice_pdf").target == f"case:{case.number}"


def test_every_admin_change_is_recorded_when_it_commits(org, django_capture_on_commit_callbacks):
    boss = get_user_model().objects.create_superuser("boss", "b@example.org", "x" * 16)
    client = Client()
    login_staff(client, boss)
    clerk = org.people["clerk"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/accounts/absence/add/", {
            "user": clerk.pk, "starts_on": "2030-01-02", "ends_on": "2030-01-03", "reason": "年休假"})
    assert response.status_code == 302
    added = only("admin.added")
    assert added.username == "boss" and added.target.startswith("accounts.absence:")
    absence_id = added.target.split(":")[1]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/accounts/absence/{absence_id}/change/", {
            "user": clerk.pk, "starts_on": "2030-01-02", "ends_on": "2030-01-05", "reason": "年休假"})
    assert only("admin.changed").detail["change"] == [{"changed": {"fields": ["结束日期"]}}]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/accounts/absence/{absence_id}/delete/", {"post": "yes"})
    assert only("admin.deleted").target == f"accounts.absence:{absence_id}"


def test_stand_ins_kept_in_the_workbench_are_recorded(org):
    lead = org.people["approver"]
    handler = org.people["handler"]
    colleague = f.user(org.dept, Role.HANDLER, full_name="同事")
    client = org.client_for(lead)
    response = client.post("/workbench/stand-ins/", {"op": "pair", "pair-principal": handler.pk,
                                                     "pair-stand_in": colleague.pk})
    assert response.status_code == 302, response.content.decode()
    assert StandIn.objects.filter(principal=handler).exists()
    paired = only("staff.stand_in_paired")
    assert (paired.user_id, paired.target, paired.detail["stand_in"]) == (
        lead.pk, f"accounts.user:{handler.pk}", colleague.username)


def test_an_applicants_lockout_and_every_try_while_locked_are_recorded(settings):
    settings.LOGIN_CAPTCHA_AFTER = 100  # the lockout itself, without the picture code in between
    applicant = verified(id_number=person_id())
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/account/login/", {"identifier": person_id(), "password": "Wrong-password-1"})
    Client().post("/account/login/", {"identifier": person_id(), "password": APPLICANT_PASSWORD})
    assert events("login.failed").count() == settings.AXES_FAILURE_LIMIT
    locked = list(events("login.locked_out"))
    assert len(locked) == 2 and {e.target for e in locked} == {f"account:{applicant.user.username}"}
    assert person_id() not in str(list(SecurityEvent.objects.values_list("target", "detail")))
