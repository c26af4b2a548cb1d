"""The whole committed OpenAPI schema (docs/openapi.yaml) exercised by schemathesis, in-process over WSGI.

Two callers: a staff member with an API token, who must never meet a server error and must get
answers that match the schema; and a signed-in applicant (a browser session of the public site),
who must be refused with 401/403 — never a 5xx, never data. Examples are derandomized, so a run in
CI generates the same cases every time; SHENPI_SCHEMATHESIS_EXAMPLES raises their number locally.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS

from tests import factories as f
from tests.applicants.helpers import client_for, verified

from .conftest import open_case

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
REPORT = Path(__file__).resolve().parents[2] / "test-artifacts" / "schemathesis-cases.json"
EXAMPLES = int(os.environ.get("SHENPI_SCHEMATHESIS_EXAMPLES", "25"))

schema = schemathesis.openapi.from_path(SCHEMA)
_django = get_wsgi_application()


def app(environ, start_response):
    """The platform's WSGI handler, keeping the test's database connection across requests.

    The handler closes a connection that is not in autocommit after each request: inside a
    test's transaction it always is, and on PostgreSQL the test's data would go with it. Django's
    test client does the same around each request it makes."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = _django(environ, start_response)
        body = b"".join(response)
        response.close()
        return [body]
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
generated: dict[str, int] = {}

pytestmark = pytest.mark.django_db

hypothesis_settings = settings(
    max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much, HealthCheck.data_too_large])


def api_token_headers(user) -> dict[str, str]:
    """The Authorization header of an API token for this user (one place to change the token kind)."""
    return {"Authorization": f"Token {f.api_token(user)}"}


def open_a_stage(org) -> None:
    """A project of 住建局 with a stage of its item and a joint review, for the project endpoints' answers."""
    from shenpi.cases.services import ApplicantInput
    from shenpi.joint import services as joint
    from shenpi.joint.models import JointReview, ProjectType, ReviewInvitation, StageItem, StageTemplate

    clerk = org.people["clerk"]
    kind = ProjectType.objects.create(code="gov-building", name="政府投资房屋建筑类", promised_total=90)
    template = StageTemplate.objects.create(code="gov-building-4", name="施工许可阶段", project_type=kind, seq=3,
                                            lead_department=org.dept, promised_total=10)
    StageItem.objects.create(template=template, item=org.item)
    project = joint.register_project(actor=clerk, data=joint.ProjectInput(
        name="示范大厦", owner_name="示范建设有限公司", owner_uscc=f.ORG_USCC, location="杭州市西湖区",
        division="330106", total_investment="12000", kind="01", industry="47", project_type=kind,
        lead_department=org.dept, key_project=True))
    stage = joint.open_stage(actor=clerk, template=template, project=project, shared={
        name: f.stored_scan(name) for name, _ in joint.materials_needed(template, {})},
        applicant=ApplicantInput(kind="organisation", name="示范建设有限公司", id_number=f.ORG_USCC))
    review = JointReview.objects.create(number="LS2026092400001", stage=stage, title="施工图联审",
                                        lead_department=org.dept, opened_by=clerk, opened_at=stage.opened_at,
                                        limit_days=3, due_on=stage.accept_date)
    ReviewInvitation.objects.create(review=review, department=org.dept)


@pytest.fixture
def staff_headers(org):
    """A clerk of 住建局 with a window, a case to read and act on, and a project with a stage."""
    from .conftest import token_client

    open_case(token_client(org.people["clerk"]), org.item)
    open_a_stage(org)
    return api_token_headers(org.people["clerk"])


@pytest.fixture
def applicant_cookies(org):
    """The session cookie of an applicant signed in on the public site."""
    client = client_for(verified())
    return {"sessionid": client.cookies["sessionid"].value}


@pytest.fixture(scope="module", autouse=True)
def _report_the_cases():
    """How many cases were sent, per operation and caller: test-artifacts/schemathesis-cases.json."""
    generated.clear()
    yield
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({"total": sum(generated.values()), "per_operation": generated},
                                 ensure_ascii=False, indent=2), encoding="utf-8")


STAFF_CHECKS = CHECKS.get_by_names(["not_a_server_error", "status_code_conformance", "content_type_conformance",
                                    "response_schema_conformance"])


@schema.parametrize()
@hypothesis_settings
def test_staff_with_a_token_meet_no_server_error_and_answers_match_the_schema(case, staff_headers):
    generated[f"staff {case.operation.label}"] = generated.get(f"staff {case.operation.label}", 0) + 1
    case.call_and_validate(app=app, headers=staff_headers, checks=STAFF_CHECKS)


@schema.parametrize()
@hypothesis_settings
def test_an_applicant_session_is_refused_and_never_a_server_error(case, applicant_cookies):
    generated[f"applicant {case.operation.label}"] = generated.get(f"applicant {case.operation.label}", 0) + 1
    response = case.call(app=app, cookies=applicant_cookies)
    case.validate_response(response, checks=CHECKS.get_by_names(["not_a_server_error"]))
    assert response.status_code in (401, 403), (
        f"{case.operation.label} answered {response.status_code} to an applicant")
