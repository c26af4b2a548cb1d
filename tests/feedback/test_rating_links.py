"""A finished case offers its rating: on the progress answer, in 我的办件 and from the completion SMS's link."""

import re

import pytest
from django.test import Client

from shenpi.cases import services as cases
from shenpi.feedback.models import Rating
from shenpi.notifications.models import Notification
from tests import factories as f
from tests.applicants.helpers import client_for, real_named, verified

from .conftest import accepted, completed

pytestmark = pytest.mark.django_db


def query(case, ip="10.0.0.9"):
    return Client().post("/query/", {"number": case.number, "code": case.query_code}, REMOTE_ADDR=ip).content.decode()


def test_the_progress_answer_of_a_completed_case_links_to_its_rating(world):
    case = completed(world)
    html = query(case)
    link = re.search(r'<a href="(/ratings/\?number=[^"]+)">评价本次服务</a>', html)
    assert link and link.group(1) == f"/ratings/?number={case.number}"
    form = Client().get(link.group(1)).content.decode()
    assert f'value="{case.number}"' in form  # the number is filled in; the applicant adds the query code
    assert "评价本次服务" not in query(accepted(world))


def test_the_sms_link_opens_the_rating_of_that_case(world, settings):
    settings.PUBLIC_BASE_URL = "https://zwfw.example.gov.cn"
    case = completed(world)
    body = Notification.objects.get(case=case, template="case_completed", channel="sms").body
    url = re.search(r"https://zwfw\.example\.gov\.cn(/ratings/\?number=\w+)", body).group(1)
    client = Client()
    assert f'value="{case.number}"' in client.get(url).content.decode()
    answer = client.post("/ratings/", {"number": case.number, "code": case.query_code, "level": "5"},
                         REMOTE_ADDR="10.0.0.8")
    assert "感谢您的评价" in answer.content.decode()
    assert Rating.objects.get(case=case).level == 5


def test_my_cases_offer_the_rating_of_completed_cases_only(world):
    done = completed(world)
    open_case = cases.perform(f.receive(world.people["clerk"], world.item), "accept", actor=world.people["clerk"])
    owner = client_for(real_named(verified(name="张三", id_number=f.PERSON_ID, mobile="13912345678")))
    home = owner.get("/account/").content.decode()
    assert f"/ratings/mine/{done.number}/" in home and f"/ratings/mine/{open_case.number}/" not in home
    page = owner.get(f"/account/cases/{done.number}/").content.decode()
    assert "服务评价" in page and f"/ratings/mine/{done.number}/" in page
    assert "服务评价" not in owner.get(f"/account/cases/{open_case.number}/").content.decode()
