"""The published OpenAPI schema, and the pages that serve it inside the intranet."""

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
REGENERATE = ".venv/bin/shenpi spectacular --api-version v1 --file docs/openapi.yaml --validate"


def test_committed_schema_matches_the_code():
    generated = StringIO()
    call_command("spectacular", "--api-version", "v1", "--validate", "--fail-on-warn", stdout=generated)
    assert generated.getvalue() == COMMITTED.read_text(encoding="utf-8"), (
        f"docs/openapi.yaml differs from the API in the code. If the change is intended, regenerate it "
        f"with `{REGENERATE}` and commit it with the change.")


def test_schema_describes_every_endpoint_precisely():
    schema = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    assert set(schema["paths"]) == {
        "/api/v1/items/", "/api/v1/items/{code}/", "/api/v1/cases/", "/api/v1/cases/{number}/",
        "/api/v1/cases/{number}/actions/", "/api/v1/workdays/add", "/api/v1/workdays/between",
        "/api/v1/workdays/calendar/{year}/", "/api/v1/projects/", "/api/v1/projects/{code}/",
        "/api/v1/stage-templates/", "/api/v1/stages/", "/api/v1/stages/{number}/", "/api/v1/joint-reviews/",
        "/api/v1/joint-reviews/{number}/", "/api/v1/joint-reviews/{number}/opinions/",
        "/api/v1/joint-reviews/{number}/annotations/", "/api/v1/licences/", "/api/v1/licences/holder/",
        "/api/v1/licences/{identifier}/",
        # exchange: webhooks of department systems, and cases of departments' own systems (一厅双网)
        "/api/v1/webhooks/", "/api/v1/webhooks/{id}/", "/api/v1/webhooks/{id}/rotate-secret/",
        "/api/v1/webhooks/{id}/deliveries/", "/api/v1/webhooks/{id}/replays/",
        "/api/v1/outside-cases/", "/api/v1/outside-cases/{system}/{external_number}/",
        "/api/v1/outside-cases/{system}/{external_number}/actions/",
        "/api/v1/supervision/alerts/", "/api/v1/supervision/alerts/{alert_id}/",
        "/api/v1/supervision/alerts/{alert_id}/answer/", "/api/v1/supervision/orders/",
        "/api/v1/supervision/orders/{number}/", "/api/v1/supervision/orders/{number}/answer/",
        "/api/v1/online/applications/", "/api/v1/online/applications/{number}/",
        "/api/v1/online/applications/{number}/actions/",
        "/api/v1/feedback/questions/", "/api/v1/feedback/questions/{question_id}/",
        "/api/v1/feedback/questions/{question_id}/answer/", "/api/v1/feedback/complaints/",
        "/api/v1/feedback/complaints/{number}/", "/api/v1/feedback/complaints/{number}/answer/",
        "/api/v1/feedback/ratings/"}
    components = schema["components"]["schemas"]
    assert components["StateEnum"]["enum"][:3] == ["received", "correcting", "in_progress"]
    assert components["DecisionEnum"]["enum"] == ["accept", "request_correction", "refuse", "handle_on_the_spot"]
    assert set(components["Error"]["properties"]) == {"code", "detail", "fields"}
    create = schema["paths"]["/api/v1/cases/"]["post"]
    assert set(create["requestBody"]["content"]) == {"application/json"}
    assert {"201", "400", "401", "403", "409"} <= set(create["responses"])
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/CaseDetail")
    listed = schema["paths"]["/api/v1/cases/"]["get"]
    assert {"cursor", "page_size", "state", "overdue", "q"} <= {p["name"] for p in listed["parameters"]}
    assert "count" not in components["PaginatedCaseSummaryList"]["properties"]
    opened = schema["paths"]["/api/v1/stages/"]["post"]
    assert set(opened["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    project = components["ProjectDetail"]["properties"]
    assert {"stages", "reviews", "reused_results"} <= set(project)


@pytest.mark.django_db
def test_schema_and_docs_pages_are_served_without_internet():
    client = APIClient()
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/cases/{number}/actions/" in schema.content
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower() and "https://" not in html
    assert "<script>" not in html  # the CSP allows no inline script: the start-up script is a file
    assets = [part.split('"')[0] for part in html.split('src="')[1:]]
    assert any(a.startswith("/static/drf_spectacular_sidecar/") for a in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        if hasattr(response, "streaming_content"):
            response.close()
    script = next(a for a in assets if "script" in a)
    assert b"/api/schema/" in client.get(script).content
