"""The stage page, the case page and the project page lead to their joint reviews (with the late
departments named) and, for the lead department, to opening one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from shenpi import clock
from shenpi.joint.models import JointReview, ReviewInvitation, Stage
from tests import factories as f
from tests.api.conftest import at


@pytest.fixture(autouse=True)
def _monday():
    clock.set_now(at(2026, 9, 21, 9))
    yield
    clock.set_now(None)


def _review(world, number, *, stage=None, case=None, lead=0, invited=(1, 2)) -> JointReview:
    review = JointReview.objects.create(
        number=number, stage=stage, case=case, title="方案联审", lead_department=world.departments[lead],
        opened_by=world.people[lead]["handler"], opened_at=clock.now(), limit_days=3, due_on=dt.date(2026, 9, 24))
    for index in invited:
        ReviewInvitation.objects.create(review=review, department=world.departments[index])
    return review


def test_the_stage_page_lists_its_reviews_with_late_departments_and_lets_the_lead_open_one(client, world):
    project = world.project()
    stage = world.open(project)
    review = _review(world, "LS20260921AAAAAA", stage=stage)
    ReviewInvitation.objects.filter(review=review, department=world.departments[1]).update(
        verdict="agree", opinion="同意。", posted_at=clock.now())
    clock.set_now(at(2026, 9, 28, 9))  # past the due day: the environment bureau is late
    url = reverse("joint:stage", args=[stage.number])
    open_link = f'{reverse("joint:review_new")}?stage={stage.number}'

    f.login_staff(client, world.people[0]["handler"])  # the lead department
    body = client.get(url).content.decode()
    assert f'href="{reverse("joint:review", args=[review.number])}"' in body and "方案联审" in body
    assert "逾期未提交或逾期提交：生态环境局" in body and "自然资源和规划局" not in body.split("逾期")[1]
    assert f'href="{open_link}"' in body and "发起网上联审" in body
    assert client.get(open_link).status_code == 200  # the link opens the form for this stage

    f.login_staff(client, world.people[2]["handler"])  # invited, not the lead: sees the review only
    body = client.get(url).content.decode()
    assert review.number in body and "发起网上联审" not in body
    f.login_staff(client, world.admin)
    assert f'href="{open_link}"' in client.get(url).content.decode()
    Stage.objects.filter(pk=stage.pk).update(state=Stage.State.CONCLUDED)
    assert "发起网上联审" not in client.get(url).content.decode()  # a concluded stage takes no new review

    project_page = client.get(reverse("joint:project", args=[project.code])).content.decode()
    assert f'href="{reverse("joint:review", args=[review.number])}"' in project_page


def test_the_case_page_shows_its_reviews_and_lets_its_department_open_one(client, world):
    stage = world.open(world.project())
    case = stage.parts.get(department=world.departments[1]).case
    review = _review(world, "LS20260921BBBBBB", case=case, lead=1, invited=(0,))
    url = reverse("workbench:case", args=[case.number])
    open_link = f'{reverse("joint:review_new")}?case={case.number}'

    f.login_staff(client, world.people[1]["handler"])
    body = client.get(url).content.decode()
    assert f'href="{reverse("joint:review", args=[review.number])}"' in body
    assert f'href="{open_link}"' in body
    assert client.get(open_link).status_code == 200

    f.login_staff(client, world.clerk)  # the comprehensive window sees the case, leads no review on it
    body = client.get(url).content.decode()
    assert review.number in body and "发起网上联审" not in body

    other = stage.parts.get(department=world.departments[2]).case  # no review yet: its department may open one
    f.login_staff(client, world.people[2]["handler"])
    body = client.get(reverse("workbench:case", args=[other.number])).content.decode()
    assert "尚无网上联审" in body and f'?case={other.number}"' in body
