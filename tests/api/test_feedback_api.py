"""Consultations, complaints and ratings through the API: read within the token's scope, answered by
the department with an acting token, filters checked, pages by cursor."""

from __future__ import annotations

import pytest

from shenpi.catalog.models import Window
from shenpi.feedback import services
from shenpi.feedback.models import Complaint

from .conftest import token_client

QUESTIONS = "/api/v1/feedback/questions/"
COMPLAINTS = "/api/v1/feedback/complaints/"
RATINGS = "/api/v1/feedback/ratings/"
MOBILE = "13912345678"


@pytest.fixture
def feedback(org, other):
    window = Window.objects.filter(department=org.dept).first()
    their_window = Window.objects.filter(department=other.dept).first()
    return {
        "question": services.ask(org.item, question="需要带什么材料？", name="张三"),
        "foreign_question": services.ask(other.item, question="多久能办好？"),
        "complaint": services.file_complaint(services.ComplaintInput(
            subject="window", complainant="王五", mobile=MOBILE, content="排队太久。", window_id=window.pk)),
        "foreign_complaint": services.file_complaint(services.ComplaintInput(
            subject="window", complainant="赵六", mobile=MOBILE, content="态度差。", window_id=their_window.pk)),
        "bad": services.rate_window(window, services.RatingInput(level=1, reason="态度差")),
        "good": services.rate_window(window, services.RatingInput(level=5)),
        "foreign_rating": services.rate_window(their_window, services.RatingInput(level=4)),
    }


def test_a_department_reads_its_questions_only(org, feedback):
    client = token_client(org.people["liaison"], act=False)
    rows = client.get(QUESTIONS).json()["results"]
    assert [r["id"] for r in rows] == [feedback["question"].pk]
    assert "name" not in rows[0] and "contact" not in rows[0]
    assert client.get(f"{QUESTIONS}{feedback['foreign_question'].pk}/").status_code == 404
    assert client.get(QUESTIONS, {"answered": "true"}).json()["results"] == []


def test_the_department_answers_a_question_and_publishes_it(org, feedback):
    url = f"{QUESTIONS}{feedback['question'].pk}/answer/"
    response = token_client(org.people["handler"]).post(url, {"answer": "身份证和申请表。", "publish": True},
                                                         format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["answer"] == "身份证和申请表。" and response.json()["published"] is True


def test_a_read_only_token_or_another_department_may_not_answer(org, other, feedback):
    url = f"{QUESTIONS}{feedback['question'].pk}/answer/"
    assert token_client(org.people["liaison"], act=False).post(url, {"answer": "x"}, format="json").status_code == 403
    assert token_client(other.people["liaison"]).post(url, {"answer": "x"}, format="json").status_code == 404
    assert token_client(org.people["clerk"]).post(url, {"answer": "x"}, format="json").status_code in (403, 404)


def test_an_empty_answer_names_the_field(org, feedback):
    response = token_client(org.people["liaison"]).post(f"{QUESTIONS}{feedback['question'].pk}/answer/",
                                                        {"answer": " "}, format="json")
    assert response.status_code == 400 and "answer" in response.json()["fields"]


def test_complaints_are_listed_masked_and_answered_once(org, feedback):
    client = token_client(org.people["approver"])
    rows = client.get(COMPLAINTS).json()["results"]
    assert [r["number"] for r in rows] == [feedback["complaint"].number]
    assert MOBILE not in str(rows) and rows[0]["mobile_masked"]
    url = f"{COMPLAINTS}{feedback['complaint'].number}/answer/"
    response = client.post(url, {"answer": "已加开窗口。"}, format="json")
    assert response.status_code == 200, response.json()
    assert Complaint.objects.get(pk=feedback["complaint"].pk).status == Complaint.Status.ANSWERED
    assert client.post(url, {"answer": "再答一次"}, format="json").status_code == 409
    assert client.get(f"{COMPLAINTS}{feedback['foreign_complaint'].number}/").status_code == 404
    assert client.get(COMPLAINTS, {"status": "gone"}).status_code == 400


def test_a_read_only_token_may_not_answer_a_complaint(org, feedback):
    response = token_client(org.people["approver"], act=False).post(
        f"{COMPLAINTS}{feedback['complaint'].number}/answer/", {"answer": "已整改"}, format="json")
    assert response.status_code == 403
    assert Complaint.objects.get(pk=feedback["complaint"].pk).status == Complaint.Status.OPEN


def test_ratings_are_filtered_and_paged_within_scope(org, feedback):
    client = token_client(org.people["liaison"], act=False)
    rows = client.get(RATINGS).json()["results"]
    assert {r["id"] for r in rows} == {feedback["bad"].pk, feedback["good"].pk}
    assert [r["id"] for r in client.get(RATINGS, {"level": 1}).json()["results"]] == [feedback["bad"].pk]
    first = client.get(RATINGS, {"page_size": 1}).json()
    assert len(first["results"]) == 1 and first["next"]
    assert client.get(RATINGS, {"department": "NOPE"}).json()["fields"]["department"]
    assert "until" in client.get(RATINGS, {"since": "2026-09-30", "until": "2026-09-01"}).json()["fields"]
