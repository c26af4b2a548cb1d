"""How user text is shown and who may post: escaping, CSRF, other applicants' data, query answers, uploads.

Covered elsewhere and not repeated here: another applicant's pages, notices and files answer 404
(tests/online/test_my_cases.py), the same answer for a wrong number and a wrong code on the query
page (tests/portal/test_query.py), content-checked uploads (tests/online/test_files.py: an
executable or HTML content named .pdf is refused by files.inspect), the online start form's CSRF
(tests/online/test_views.py) and FAQ escaping (tests/feedback/test_consultation.py).
"""

# ruff: noqa: F811  (test functions take the `world` fixture imported from tests/online/conftest.py)
from __future__ import annotations

import datetime as dt
import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shenpi import clock
from shenpi.applicants.models import Applicant
from shenpi.appointments.models import Booking, Slot
from shenpi.cases import services as cases
from shenpi.cases.models import Case
from shenpi.feedback import services as feedback
from shenpi.feedback.models import Complaint, Level, Question, Rating, RatingFollowUp
from shenpi.online import services as online
from shenpi.online.models import OnlineApplication
from shenpi.portal import progress
from tests import factories as f
from tests.applicants.helpers import PASSWORD, client_for, person_id, verified, wrong_check
from tests.online.conftest import pdf, submitted, upload, world  # noqa: F401 (world is a fixture)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SCRIPT_SHOWN = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMG_SHOWN = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def shown_as_text(page: str, *, script: bool = True, img: bool = True) -> None:
    if script:
        assert SCRIPT not in page and SCRIPT_SHOWN in page
    if img:
        assert "<img src=x" not in page and IMG_SHOWN in page


def completed(world) -> Case:
    people = world.people
    case = cases.perform(f.receive(people["clerk"], world.item), "accept", actor=people["clerk"])
    for role in ("handler", "reviewer", "approver"):
        case = cases.perform(case, "pass", actor=people[role], params={"opinion": "同意"})
    case = cases.perform(case, "grant", actor=people["approver"], params={"opinion": "准予"})
    return cases.perform(case, "complete", actor=people["clerk"])


# -- user text is shown as text -------------------------------------------------------------------

def test_an_applicants_name_and_application_title_are_escaped_on_their_pages_and_the_windows(world):
    hostile = verified(name=f"李四{SCRIPT}", id_number=person_id("11010519900307555"), mobile="13912340000")
    app = submitted(world, hostile, title=f"示范{IMG}{SCRIPT}")
    own = client_for(hostile)
    shown_as_text(html(own.get("/account/")), script=True, img=True)
    shown_as_text(html(own.get(f"/apply/{app.number}/")))

    clerk = world.client("clerk")
    shown_as_text(html(clerk.get("/workbench/prereview/")), img=False)  # the queue may shorten the title
    shown_as_text(html(clerk.get(f"/workbench/prereview/{app.number}/")))
    case = online.accept(app, world.people["clerk"])
    shown_as_text(html(clerk.get(f"/workbench/cases/{case.number}/")), img=False)
    shown_as_text(html(own.get(f"/account/cases/{case.number}/")), img=False)


def test_a_registration_name_with_markup_is_shown_as_text_when_the_page_comes_back(db):
    response = Client().post("/account/register/", {
        "kind": "person", "name": f"李四{IMG}", "id_number": wrong_check(person_id()), "mobile": "13912345678",
        "password": PASSWORD, "password2": PASSWORD})
    page = response.content.decode()
    assert response.status_code == 400 and "<img src=x" not in page


def test_a_consultation_question_is_escaped_for_staff_and_in_the_published_faq(world):
    Client().post(f"/consult/{world.item.code}/", {"question": f"怎么办？{SCRIPT}{IMG}"}, REMOTE_ADDR="10.0.0.1")
    question = Question.objects.get()
    liaison = world.client("liaison")
    shown_as_text(html(liaison.get("/workbench/feedback/questions/")), img=False)
    shown_as_text(html(liaison.get(f"/workbench/feedback/questions/{question.pk}/")))
    feedback.answer_question(question, actor=world.people["liaison"], answer=f"答复{IMG}", publish=True)
    shown_as_text(html(Client().get(f"/consult/{world.item.code}/")))
    shown_as_text(html(Client().get("/consult/", {"q": "怎么办"})), img=True)


def test_a_complaint_is_escaped_for_staff_and_for_the_complainant(world):
    Client().post("/complaints/", {"subject": "window", "window": world.people["clerk"].window.pk,
                                   "complainant": f"王五{IMG}", "mobile": "13912345678",
                                   "content": f"排队太久{SCRIPT}{IMG}"}, REMOTE_ADDR="10.0.0.1")
    complaint = Complaint.objects.get()
    liaison = world.client("liaison")
    shown_as_text(html(liaison.get(f"/workbench/feedback/complaints/{complaint.number}/")))
    liaison.post(f"/workbench/feedback/complaints/{complaint.number}/", {"answer": f"已整改{SCRIPT}"})
    tracked = Client().post("/complaints/track/", {"number": complaint.number, "mobile": "13912345678"},
                            REMOTE_ADDR="10.0.0.9")
    shown_as_text(html(tracked))


def test_a_rating_comment_and_reason_are_escaped_on_the_follow_up_page(world):
    case = completed(world)
    response = Client().post("/ratings/", {"number": case.number, "code": case.query_code,
                                           "level": Level.VERY_DISSATISFIED, "comment": f"差{SCRIPT}",
                                           "reason": f"跑了三次{IMG}"}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 200
    follow_up = RatingFollowUp.objects.get()
    liaison = world.client("liaison")
    shown_as_text(html(liaison.get(f"/workbench/feedback/follow-ups/{follow_up.pk}/")))


# -- CSRF --------------------------------------------------------------------------------------------

def _slot(world) -> Slot:
    start = clock.now() + dt.timedelta(days=3)
    return Slot.objects.create(window=world.people["clerk"].window, item=world.item, start=start,
                               end=start + dt.timedelta(minutes=30), capacity=2, published_at=clock.now())


def test_public_forms_refuse_posts_without_the_token_and_keep_nothing(world):
    case = completed(world)
    slot = _slot(world)
    slot_day = f"{timezone.localdate(slot.start):%Y-%m-%d}"
    forms = [
        ("/account/register/", {"kind": "person", "name": "李四", "id_number": person_id("11010519900307777"),
                                "mobile": "13912349999", "password": PASSWORD, "password2": PASSWORD}),
        ("/query/", {"number": case.number, "code": case.query_code}),
        ("/complaints/", {"subject": "window", "window": slot.window.pk, "complainant": "王五",
                          "mobile": "13912345678", "content": "排队太久"}),
        ("/ratings/", {"number": case.number, "code": case.query_code, "level": Level.SATISFIED}),
        (f"/consult/{world.item.code}/", {"question": "需要什么材料？"}),
        (reverse("appointments:slots", args=[world.item.code, slot.window.number, slot_day]),
         {"slot": slot.pk, "name": "李四", "id_number": person_id("11010519900307888"), "mobile": "13912345678"}),
    ]
    applicants = Applicant.objects.count()
    for url, data in forms:
        response = Client(enforce_csrf_checks=True).post(url, data, REMOTE_ADDR="10.0.0.5")
        assert response.status_code == 403, url
    assert Applicant.objects.count() == applicants
    assert not Complaint.objects.exists() and not Rating.objects.exists() and not Question.objects.exists()
    assert not Booking.objects.exists()
    slot.refresh_from_db()
    assert slot.booked == 0


def test_staff_actions_refuse_posts_without_the_token(world):
    case = cases.perform(f.receive(world.people["clerk"], world.item), "accept", actor=world.people["clerk"])
    app = submitted(world)
    handler = Client(enforce_csrf_checks=True)
    f.login_staff(handler, world.people["handler"])
    response = handler.post(f"/workbench/cases/{case.number}/act/", {
        "action": "pass", "row_version": case.row_version, "pass-opinion": "同意"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.steps.get(status="active").name == "审查"

    clerk = Client(enforce_csrf_checks=True)
    f.login_staff(clerk, world.people["clerk"])
    assert clerk.post(f"/workbench/prereview/{app.number}/accept/").status_code == 403
    app.refresh_from_db()
    assert app.status == OnlineApplication.Status.SUBMITTED and app.case is None


# -- another applicant's case through the API ----------------------------------------------------------

def test_an_applicant_session_gets_no_case_through_the_api(world):
    mine = online.accept(submitted(world), world.people["clerk"])
    for applicant in (world.applicant, world.organisation):
        client = client_for(applicant)
        listed = client.get("/api/v1/cases/")
        assert listed.status_code in (401, 403, 404) or listed.json().get("results") == [], listed.status_code
        assert mine.number not in listed.content.decode()
        detail = client.get(f"/api/v1/cases/{mine.number}/")
        assert detail.status_code in (401, 403, 404) and mine.applicant_name not in detail.content.decode()
        acted = client.post(f"/api/v1/cases/{mine.number}/actions/", {"action": "pass"},
                            content_type="application/json")
        assert acted.status_code in (401, 403, 404)
    mine.refresh_from_db()
    assert mine.steps.get(status="active").name == "审查"


# -- the query does not tell whether a number exists -----------------------------------------------

def _without_number(response, number: str) -> str:
    text = response.content.decode().replace(number, "")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)


def test_an_existing_number_with_a_wrong_code_reads_like_a_number_that_does_not_exist(world):
    case = completed(world)  # a completed case, beside the accepted one of tests/portal/test_query.py
    wrong = "000000" if case.query_code != "000000" else "111111"
    unknown_number = case.number[:-4] + ("ZZZZ" if not case.number.endswith("ZZZZ") else "YYYY")
    existing = Client().post("/query/", {"number": case.number, "code": wrong}, REMOTE_ADDR="10.0.0.7")
    missing = Client().post("/query/", {"number": unknown_number, "code": wrong}, REMOTE_ADDR="10.0.0.8")
    assert existing.status_code == missing.status_code == 200
    assert progress.WRONG in existing.content.decode()
    assert _without_number(existing, case.number) == _without_number(missing, unknown_number)
    assert sorted(existing.headers) == sorted(missing.headers)


# -- uploads ---------------------------------------------------------------------------------------------

def test_an_html_page_named_pdf_is_refused_through_the_upload_page(world):
    app = online.start(world.applicant, world.item)
    spec = world.specs()[0]
    client = client_for(world.applicant)
    page = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    response = client.post(f"/apply/{app.number}/materials/{spec.pk}/",
                           {"file": upload("申请表.pdf", page, "application/pdf")})
    assert response.status_code in (200, 400)
    assert "不是PDF、JPG、PNG文件" in response.content.decode()
    assert not app.uploads.exists()
    # A real PDF on the same form is kept: the refusal is about the content.
    client.post(f"/apply/{app.number}/materials/{spec.pk}/", {"file": upload("申请表.pdf", pdf(1))})
    assert app.uploads.count() == 1

