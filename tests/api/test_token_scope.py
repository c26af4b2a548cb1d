"""A token's scope (departments × items × read/act) narrows what its holder may see and do through
the API, on the lean path and DRF's alike; it never widens it."""

import pytest

from shenpi.api import tokens

from .conftest import CASES, application, case_url, token_client

pytestmark = pytest.mark.django_db


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["number"] for row in response.json()["results"]}


def test_a_supervisor_s_token_reads_only_the_departments_named(org, other, mixed_cases):
    everything = {c.number for c in mixed_cases.values()}
    supervisor = org.people["supervisor"]
    assert numbers(token_client(supervisor, departments=[org.dept, other.dept]).get(CASES)) == everything
    housing = token_client(supervisor, departments=[org.dept], act=False)
    # The shared case has a part worked by the other department; only the housing bureau's are listed.
    seen = numbers(housing.get(CASES))
    assert seen == everything - {mixed_cases["foreign"].number}
    assert numbers(housing.get(f"{CASES}?state=in_progress")) <= seen  # DRF's path too (a filter)
    assert housing.get(case_url(mixed_cases["foreign"].number)).status_code == 404
    assert housing.get(case_url(mixed_cases["running"].number)).status_code == 200


def test_items_narrow_within_the_departments(org, other, mixed_cases):
    client = token_client(org.people["handler"], items=[org.item])
    assert numbers(client.get(CASES)) == {mixed_cases[k].number for k in ("late", "waiting", "running")}
    assert client.get(case_url(mixed_cases["shared"].number)).status_code == 404


def test_the_scope_never_widens_the_holder_s_rights(org, other, mixed_cases):
    # The housing handler names the market bureau: only what both allow, the shared case (the
    # housing bureau's, with a part worked there); the market bureau's own case stays out of sight.
    client = token_client(org.people["handler"], departments=[other.dept])
    assert numbers(client.get(CASES)) == {mixed_cases["shared"].number}
    assert client.get(case_url(mixed_cases["foreign"].number)).status_code == 404


def test_a_read_only_token_reads_and_never_acts(org, mixed_cases):
    clerk = token_client(org.people["clerk"], act=False)
    case = mixed_cases["waiting"]
    detail = clerk.get(case_url(case.number)).json()
    assert detail["allowed_actions"] == []
    accept = {"action": "accept", "expected_version": case.row_version}
    response = clerk.post(case_url(case.number, "actions/"), accept, format="json")
    assert response.status_code == 403 and response.json()["detail"] == tokens.READ_ONLY
    response = clerk.post(CASES, application(org.item), format="json")
    assert response.status_code == 403 and response.json()["detail"] == tokens.READ_ONLY
    acting = token_client(org.people["clerk"])
    assert acting.get(case_url(case.number)).json()["allowed_actions"]
    response = acting.post(case_url(case.number, "actions/"), accept, format="json")
    assert response.status_code == 200, response.json()


def test_an_acting_token_receives_only_for_its_items(org):
    from tests import factories as f

    permit = f.item(org.dept, name="燃气经营许可")
    client = token_client(org.people["clerk"], items=[org.item])
    response = client.post(CASES, application(permit), format="json")
    assert response.status_code == 403 and response.json()["detail"] == tokens.OUT_OF_SCOPE
    assert client.post(CASES, application(org.item), format="json").status_code == 201
