"""GET /api/v1/cases/: filters, least privilege, cursor pagination, a fixed number of queries."""

import json

import pytest
from rest_framework.renderers import JSONRenderer

from shenpi import clock
from shenpi.api.serializers import CaseSummarySerializer
from shenpi.cases import services
from shenpi.cases.models import Case, Channel
from tests import factories as f

from .conftest import CASES, at, session_client, token_client

pytestmark = pytest.mark.django_db


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [c["number"] for c in response.json()["results"]]


def accepted(clerk, item, **kw):
    return services.perform(f.receive(clerk, item, **kw), "accept", actor=clerk)


@pytest.fixture
def cases(org, other):
    """Cases of two departments in several states, received on different days."""
    clerk, it = org.people["clerk"], org.item
    clock.set_now(at(2026, 9, 1))
    late = accepted(clerk, it, title="九月一日受理")  # promised due 2026-09-15
    clock.set_now(at(2026, 9, 24))
    waiting = f.receive(clerk, it, channel=Channel.ONLINE, name="李四")
    running = accepted(clerk, it)  # promised due 2026-10-15
    refused = services.perform(f.receive(clerk, it), "refuse", actor=clerk, params={"reason": "材料虚假"})
    foreign = accepted(other.people["clerk"], other.item, name="王五")
    return {"late": late, "waiting": waiting, "running": running, "refused": refused, "foreign": foreign}


def test_newest_first_and_only_what_the_user_may_see(org, other, cases):
    mine = numbers(session_client(org.people["handler"]).get(CASES))
    assert mine == [cases[k].number for k in ("refused", "running", "waiting", "late")]
    assert cases["foreign"].number not in mine
    theirs = numbers(session_client(other.people["handler"]).get(CASES))
    assert theirs == [cases["foreign"].number]


def test_centre_wide_roles_see_every_department(org, cases):
    everyone = numbers(session_client(org.people["supervisor"]).get(CASES))
    assert set(everyone) == {c.number for c in cases.values()}


def test_summary_is_light_and_carries_what_a_list_shows(org, cases):
    results = session_client(org.people["handler"]).get(CASES).json()["results"]
    row = results[1]
    assert row["number"] == cases["running"].number
    assert row["state"] == "in_progress" and row["state_label"] == "办理中"
    assert row["item"]["code"] == org.item.code
    assert row["department"] == {"code": "ZJJ", "name": "住房和城乡建设局"}
    assert row["promised_due"] == "2026-10-15"
    assert row["applicant_name"] == "张三"
    for heavy in ("steps", "events", "applicant", "materials", "notices", "allowed_actions"):
        assert heavy not in row
    assert "11010519491231002X" not in str(results)  # no ID numbers in lists


@pytest.mark.parametrize(("query", "expected"), [
    ("state=received", ["waiting"]),
    ("state=in_progress", ["running", "late"]),
    ("channel=online", ["waiting"]),
    ("overdue=true", ["late"]),
    ("overdue=false", ["refused", "running", "waiting"]),
    ("due_before=2026-09-30", ["late"]),
    ("due_after=2026-09-30", ["running"]),
    ("due_after=2026-09-15&due_before=2026-10-15", ["running", "late"]),
    ("received_from=2026-09-24", ["refused", "running", "waiting"]),
    ("received_to=2026-09-01", ["late"]),
    ("received_from=2026-09-01&received_to=2026-09-01", ["late"]),
    ("q=李", ["waiting"]),
    ("department=ZJJ&state=refused", ["refused"]),
])
def test_filters(org, cases, query, expected):
    assert numbers(session_client(org.people["handler"]).get(f"{CASES}?{query}")) == [
        cases[k].number for k in expected]


def test_filter_by_item_and_department_code(org, other, cases):
    client = session_client(org.people["supervisor"])
    assert numbers(client.get(f"{CASES}?item={other.item.code}")) == [cases["foreign"].number]
    assert numbers(client.get(f"{CASES}?department=SCJG")) == [cases["foreign"].number]
    # A department filter never widens what a user may see.
    assert numbers(session_client(org.people["handler"]).get(f"{CASES}?department=SCJG")) == []


def test_search_by_case_number_prefix(org, cases):
    client = session_client(org.people["supervisor"])
    number = cases["running"].number
    assert numbers(client.get(f"{CASES}?q={number[:12].lower()}")) == [number]
    assert numbers(client.get(f"{CASES}?q=20260901")) == [cases["late"].number]


def test_bad_filters_answer_field_errors_in_chinese(org, cases):
    client = session_client(org.people["supervisor"])
    response = client.get(f"{CASES}?state=lost&due_before=2026-02-30&department=NOPE&overdue=maybe")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"state", "due_before", "overdue"}
    assert fields["due_before"][0].startswith("日期格式错误")
    response = client.get(f"{CASES}?department=NOPE")
    assert response.json()["fields"] == {"department": ["部门编码“NOPE”不存在。"]}
    response = client.get(f"{CASES}?received_from=2026-10-01&received_to=2026-09-01")
    assert response.json()["fields"] == {"received_to": ["收件截止日期不能早于起始日期。"]}


def test_cursor_pagination_walks_every_case_once_without_a_count(org):
    clerk = org.people["clerk"]
    made = [f.receive(clerk, org.item).number for _ in range(7)]
    client = token_client(org.people["handler"])
    page = client.get(f"{CASES}?page_size=3").json()
    assert set(page) == {"next", "previous", "results"}  # no "count": no COUNT(*) over millions of rows
    seen = [c["number"] for c in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [c["number"] for c in page["results"]]
    assert seen == made[::-1]
    back = client.get(page["previous"]).json()
    assert [c["number"] for c in back["results"]] == made[::-1][3:6]


def test_page_size_defaults_to_20_and_is_capped_at_100(org):
    clerk = org.people["clerk"]
    for _ in range(21):
        f.receive(clerk, org.item)
    client = session_client(org.people["handler"])
    assert len(client.get(CASES).json()["results"]) == 20
    assert len(client.get(f"{CASES}?page_size=1000").json()["results"]) == 21


def test_a_forged_cursor_is_a_field_error(org, cases):
    client = session_client(org.people["handler"])
    for cursor in ("not-base64!", "cD1hYmM="):  # the second decodes to p=abc
        response = client.get(f"{CASES}?cursor={cursor}")
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["cursor"]


@pytest.mark.parametrize("person", ["handler", "supervisor"])
def test_two_queries_whatever_the_rows(org, other, person, django_assert_num_queries):
    clerk = org.people["clerk"]
    for _ in range(3):
        accepted(clerk, org.item)
    # A department user (the visibility rule applies) and a centre-wide one. Queries: the token
    # with its user, department and role codes; the page, with the item and department codes
    # resolved inside it. (A session adds its own lookup and save.)
    client = token_client(org.people[person])
    query = f"{CASES}?item={org.item.code}&department={org.dept.code}"
    client.get(query)  # a token's first use in a minute also notes the time (one UPDATE)
    with django_assert_num_queries(2):
        assert len(client.get(query).json()["results"]) == 3
    for _ in range(12):
        accepted(clerk, org.item)
    with django_assert_num_queries(2) as captured:
        assert len(client.get(query).json()["results"]) == 15
    page = [q["sql"] for q in captured.captured_queries if 'FROM "cases_case"' in q["sql"]]
    assert len(page) == 1, page  # item, version and department come joined, not one query per row


def test_an_unknown_code_is_a_field_error_and_a_known_one_with_no_cases_is_an_empty_page(org, other, cases):
    client = token_client(org.people["handler"])
    response = client.get(f"{CASES}?item=NOPE&state=in_progress")
    assert response.status_code == 400
    assert response.json()["fields"] == {"item": ["事项编码“NOPE”不存在。"]}
    assert numbers(client.get(f"{CASES}?item={other.item.code}")) == []
    assert numbers(client.get(f"{CASES}?department={org.dept.code}&state=suspended")) == []


def test_rows_are_exactly_what_the_schema_describes(org, cases):
    # The list builds its rows by hand (presenters.case_summary) for speed; the published schema
    # documents CaseSummarySerializer. Both must give the same JSON, in every state of the fixture.
    results = token_client(org.people["supervisor"]).get(CASES).json()["results"]
    summaries = CaseSummarySerializer(Case.objects.order_by("-id"), many=True, context={"today": clock.today()})
    assert results == json.loads(JSONRenderer().render(summaries.data))
    assert {row["state"] for row in results} == {"received", "in_progress", "refused"}
    assert any(row["overdue"] for row in results) and any(row["closed_at"] for row in results)
