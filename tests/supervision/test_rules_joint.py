"""Supervision of stages and joint reviews: a stage's promised total watched like a case's limit, naming the
department holding it back; late joint-review opinions; the green channel's stricter thresholds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from shenpi import clock
from shenpi.cases import services as cases
from shenpi.joint.models import JointReview, ReviewInvitation
from shenpi.supervision.alerts import subject_label
from shenpi.supervision.models import Alert, Level
from shenpi.supervision.scan import describe, scan
from shenpi.workdays.services import get_calendar
from tests import factories as f
from tests.joint import conftest as joint

world = joint.world  # the joint tests' fixture

pytestmark = pytest.mark.django_db


def at(y, m, d, hh=10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, 0))


def scan_at(y, m, d):
    clock.set_now(at(y, m, d))
    return scan()


def alerts(code: str) -> list[Alert]:
    return list(Alert.objects.filter(rule__code=code, status=Alert.Status.OPEN).order_by("pk"))


def finish(world, index, case):
    cases.perform(case, "pass", actor=world.people[index]["handler"])
    cases.perform(case, "grant", actor=world.people[index]["approver"])


def open_stage(world, *, green=False, total=None):
    if total is not None:
        world.template.promised_total = total
        world.template.save()
    clock.set_now(at(2026, 3, 2))  # a Monday; March 2026 has no holidays
    stage = world.open(world.project(key=True, green=green))
    return stage, [p.case for p in stage.parts.select_related("case").order_by("pk")]


def test_the_stage_warns_then_turns_yellow_and_red_naming_the_department_holding_it_back(world):
    stage, parts = open_stage(world, total=10)
    cal = get_calendar()
    assert stage.promised_due == dt.date(2026, 3, 16) == cal.add(dt.date(2026, 3, 2), 10)
    assert [c.promised_due for c in parts] == [dt.date(2026, 3, 16), dt.date(2026, 3, 18), dt.date(2026, 3, 23)]

    scan_at(2026, 3, 11)  # three working days left of ten: not yet
    assert alerts("time.stage") == []

    scan_at(2026, 3, 12)  # two left: 预警; no part is late, the part due last holds the stage
    [warning] = alerts("time.stage")
    assert (warning.level, warning.subject) == (Level.WARNING, f"stage:{stage.pk}")
    assert warning.department_id == world.departments[2].pk
    assert warning.case_id == parts[2].pk
    assert warning.figures["stage"] == stage.number
    assert subject_label(warning) == f"阶段 {stage.number}"
    assert "距期限还剩2个工作日" in describe(warning)

    scan_at(2026, 3, 17)  # one day over: 黄牌, to the department past its own due (the first)
    [yellow] = alerts("time.stage")
    assert yellow.level == Level.YELLOW
    assert yellow.department_id == world.departments[0].pk and yellow.case_id == parts[0].pk
    assert Alert.objects.get(pk=warning.pk).status == Alert.Status.CLOSED

    clock.set_now(at(2026, 3, 18))
    finish(world, 0, parts[0])
    scan_at(2026, 3, 19)  # three days over: 红牌; the first department has decided, the second is late now
    [red] = alerts("time.stage")
    assert red.level == Level.RED
    assert red.department_id == world.departments[1].pk and red.case_id == parts[1].pk
    assert red.figures["overdue_days"] == 3


def test_a_stopped_stage_clock_is_not_watched_and_a_concluded_stage_closes_its_alert(world):
    stage, parts = open_stage(world, total=10)
    scan_at(2026, 3, 17)
    assert [a.level for a in alerts("time.stage")] == [Level.YELLOW]
    clock.set_now(at(2026, 3, 17, 11))
    for index, case in enumerate(parts):
        cases.perform(case, "request_supplement", actor=world.people[index]["handler"],
                      params={"reason": "补充材料", "expected_days": 5})
    stage.refresh_from_db()
    assert stage.clock_stopped_on is not None
    scan_at(2026, 3, 18)
    assert alerts("time.stage") == []


def test_a_stage_alert_shows_its_stage_on_the_alert_page(world, client):
    stage, _ = open_stage(world, total=10)
    scan_at(2026, 3, 17)
    [alert] = alerts("time.stage")
    supervisor = world.people[0]["supervisor"]
    f.login_staff(client, supervisor)
    page = client.get(reverse("supervision:alert", args=[alert.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert stage.number in text and "阶段超时" in text
    board = client.get(reverse("supervision:board"), {"rule": "time.stage"})
    assert board.status_code == 200 and stage.number in board.content.decode()


def test_the_green_channel_stage_is_watched_with_stricter_thresholds(world):
    stage, parts = open_stage(world, green=True, total=20)
    assert stage.promised_total == 10 and stage.promised_due == dt.date(2026, 3, 16)
    # ordinary thresholds warn at 2 working days left of 10; the green channel's at 40 %: 4
    scan_at(2026, 3, 9)  # five left
    assert alerts("time.stage") == []
    scan_at(2026, 3, 10)  # four left
    [warning] = alerts("time.stage")
    assert warning.level == Level.WARNING and warning.figures.get("green") is True
    assert "绿色通道从严监察" in describe(warning)
    scan_at(2026, 3, 17)  # one working day over: red at once
    assert [a.level for a in alerts("time.stage")] == [Level.RED]


def test_a_green_channel_case_warns_earlier_and_turns_red_sooner_than_an_ordinary_one(world):
    ordinary, plain = open_stage(world)
    green_stage, green = open_stage(world, green=True)
    assert plain[0].promised_limit == 10 and green[0].promised_limit == 5
    assert green[0].promised_due == dt.date(2026, 3, 9)

    scan_at(2026, 3, 5)  # 2 of 5 working days left: the green case warns (ordinarily: 1 day)
    subjects = {a.subject: a for a in alerts("time.case")}
    assert subjects[f"case:{green[0].pk}"].level == Level.WARNING
    assert subjects[f"case:{green[0].pk}"].department_id == world.departments[0].pk

    scan_at(2026, 3, 10)  # one day over: red for the green case
    assert {a.subject: a.level for a in alerts("time.case")}[f"case:{green[0].pk}"] == Level.RED

    scan_at(2026, 3, 17)  # the ordinary case one day over (due 3-16): yellow only
    levels = {a.subject: a.level for a in alerts("time.case")}
    assert levels[f"case:{plain[0].pk}"] == Level.YELLOW
    assert levels[f"case:{green[0].pk}"] == Level.RED


def test_a_late_joint_review_opinion_is_a_yellow_card_to_the_invited_department(world):
    stage, parts = open_stage(world)
    lead = world.people[0]["handler"]
    review = JointReview.objects.create(
        number="LS2026000001", stage=stage, title="建设工程设计方案联审", lead_department=world.departments[0],
        opened_by=lead, opened_at=clock.now(), limit_days=3, due_on=dt.date(2026, 3, 5))
    posted = ReviewInvitation.objects.create(review=review, department=world.departments[1], verdict="agree",
                                             opinion="同意", posted_at=clock.now(), posted_by=lead)
    late = ReviewInvitation.objects.create(review=review, department=world.departments[2])
    scan_at(2026, 3, 5)  # due today: not late yet
    assert alerts("joint.review_late") == []
    scan_at(2026, 3, 6)
    [card] = alerts("joint.review_late")
    assert (card.level, card.subject) == (Level.YELLOW, f"review:{late.pk}")
    assert card.department_id == world.departments[2].pk
    assert card.case_id == parts[0].pk  # the stage's first part, so a supervisor can click through
    assert subject_label(card) == "联审 LS2026000001"
    assert describe(card) == "已于3月5日到期，超期1个工作日。"
    assert not Alert.objects.filter(subject=f"review:{posted.pk}").exists()

    clock.set_now(at(2026, 3, 9, 9))
    late.verdict, late.opinion, late.posted_at, late.posted_by = "agree", "同意", clock.now(), lead
    late.save()
    scan_at(2026, 3, 9)
    assert alerts("joint.review_late") == []
    assert Alert.objects.get(pk=card.pk).status == Alert.Status.CLOSED
