"""好差评: once per completed case, bad ratings need a reason and open a follow-up, appeals, default ratings."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone

from shenpi.errors import Conflict, Forbidden, InvalidInput
from shenpi.feedback import services
from shenpi.feedback.models import Level, Rating, RatingAppeal, RatingFollowUp
from shenpi.portal import progress
from shenpi.workdays.services import get_calendar
from tests import factories as f
from tests.applicants.helpers import client_for, person_id, real_named, verified

from .conftest import accepted, at, completed, freeze


def rate(case, level, code=None, ip="10.0.0.1", **kw):
    data = {"number": case.number, "code": case.query_code if code is None else code, "level": level, **kw}
    return Client().post("/ratings/", data, REMOTE_ADDR=ip)


def test_a_completed_case_is_rated_once_only(world):
    case = completed(world)
    first = rate(case, Level.VERY_SATISFIED, comment="办事快")
    assert first.status_code == 200 and "感谢您的评价" in first.content.decode()
    rating = Rating.objects.get()
    assert (rating.case, rating.department, rating.level, rating.comment) == (case, world.dept, 5, "办事快")
    second = rate(case, Level.SATISFIED)
    assert second.status_code == 409 and "每件只能评价一次" in second.content.decode()
    with pytest.raises(Conflict):
        services.rate_case(case, services.RatingInput(level=4))
    assert Rating.objects.count() == 1 and not RatingFollowUp.objects.exists()


def test_only_completed_cases_and_only_with_the_right_query_code(world):
    open_case = accepted(world)
    assert "办结后才能评价" in rate(open_case, Level.SATISFIED).content.decode()
    case = completed(world)
    wrong = rate(case, Level.SATISFIED, code="000000" if case.query_code != "000000" else "111111")
    assert progress.WRONG in wrong.content.decode()
    assert not Rating.objects.exists()


def test_a_bad_rating_needs_a_reason_and_opens_a_follow_up_due_in_five_working_days(world):
    case = completed(world)
    freeze(at(2026, 9, 28, 11))
    refused = rate(case, Level.DISSATISFIED)
    assert refused.status_code == 400 and "请填写不满意的原因" in refused.content.decode()
    assert not Rating.objects.exists()
    rate(case, Level.VERY_DISSATISFIED, reason="让我跑了三次", rater_name="王五", rater_mobile="13912345678")
    follow_up = RatingFollowUp.objects.get()
    assert follow_up.rating.reason == "让我跑了三次" and follow_up.department == world.dept
    assert follow_up.due == get_calendar().add(dt.date(2026, 9, 28), 5)
    assert follow_up.due > dt.date(2026, 10, 8)  # 国庆 2026 does not count


@override_settings(RATING_RECTIFY_DAYS=2)
def test_the_follow_up_deadline_is_a_setting(world):
    freeze(at(2026, 3, 2))
    rating = services.rate_window(world.window, services.RatingInput(level=2, reason="态度差"))
    assert rating.follow_up.due == dt.date(2026, 3, 4)


@pytest.mark.clocks
def test_the_follow_up_records_the_visit_then_the_outcome(world):
    rating = services.rate_window(world.window, services.RatingInput(level=1, reason="窗口无人", rater_name="赵六"))
    follow_up = rating.follow_up
    liaison = world.people["liaison"]
    with pytest.raises(InvalidInput):
        services.record_outcome(follow_up, actor=liaison, outcome="explain", note="已解释")
    with pytest.raises(Forbidden):
        services.record_visit(follow_up, actor=world.others["liaison"], note="电话回访")
    staff = world.client(liaison)
    assert "窗口无人" in staff.get(f"/workbench/feedback/follow-ups/{follow_up.pk}/").content.decode()
    staff.post(f"/workbench/feedback/follow-ups/{follow_up.pk}/", {"action": "visit", "visit_note": "电话回访，属实"})
    staff.post(f"/workbench/feedback/follow-ups/{follow_up.pk}/",
               {"action": "outcome", "outcome": "fix_now", "outcome_note": "午间安排轮岗"})
    follow_up.refresh_from_db()
    assert follow_up.visited_at and follow_up.visit_note == "电话回访，属实"
    assert follow_up.outcome == RatingFollowUp.Outcome.FIX_NOW and follow_up.done_at and follow_up.done_by == liaison
    other = world.client(world.others["liaison"])
    assert other.get(f"/workbench/feedback/follow-ups/{follow_up.pk}/").status_code == 404


@pytest.mark.clocks
def test_an_upheld_appeal_excludes_the_rating_and_a_rejected_one_does_not(world):
    kept = services.rate_window(world.window, services.RatingInput(level=1, reason="不满意"))
    wrong = services.rate_window(world.window, services.RatingInput(level=1, reason="点错了"))
    staff = world.client(world.people["liaison"])
    staff.post(f"/workbench/feedback/follow-ups/{wrong.follow_up.pk}/",
               {"action": "appeal", "reason": "评价人来电称误选"})
    services.request_appeal(kept, actor=world.people["liaison"], reason="恶意差评")
    with pytest.raises(Conflict):
        services.request_appeal(kept, actor=world.people["liaison"], reason="再申诉")
    with pytest.raises(Forbidden):
        services.decide_appeal(RatingAppeal.objects.first(), actor=world.people["liaison"], upheld=True, note="自己定")
    assert world.client(world.people["liaison"]).get("/workbench/feedback/appeals/").status_code == 403

    supervisor = world.client(world.people["supervisor"])
    page = supervisor.get("/workbench/feedback/appeals/").content.decode()
    assert "评价人来电称误选" in page and "恶意差评" in page
    appeal_wrong = RatingAppeal.objects.get(rating=wrong)
    appeal_kept = RatingAppeal.objects.get(rating=kept)
    supervisor.post(f"/workbench/feedback/appeals/{appeal_wrong.pk}/decide/",
                    {"upheld": "1", "decision_note": "核实误选"})
    supervisor.post(f"/workbench/feedback/appeals/{appeal_kept.pk}/decide/", {"upheld": "0", "decision_note": "属实"})
    wrong.refresh_from_db()
    kept.refresh_from_db()
    assert wrong.excluded and not kept.excluded
    assert RatingFollowUp.objects.get(rating=wrong).done_at is not None
    assert RatingFollowUp.objects.get(rating=kept).done_at is None
    today = timezone.localdate(wrong.rated_at)
    figures = services.satisfaction([world.dept.pk], today, today)[world.dept.pk]
    assert figures["ratings"] == 1 and figures["bad"] == 1


def test_the_applicant_can_appeal_with_number_and_query_code(world):
    case = completed(world)
    rate(case, Level.DISSATISFIED, reason="误选")
    response = Client().post("/ratings/appeal/", {"number": case.number, "code": case.query_code,
                                                  "reason": "我本想选满意，点错了"}, REMOTE_ADDR="10.0.0.3")
    assert "申诉已提交" in response.content.decode()
    appeal = RatingAppeal.objects.get()
    assert appeal.by == RatingAppeal.By.APPLICANT and appeal.requested_by is None


def test_the_applicant_rates_from_my_cases(world):
    case = completed(world)
    applicant = verified(name="张三", id_number=f.PERSON_ID, mobile="13912345678")
    client = client_for(applicant)
    # Before 实名认证 the window case is not the account's: no rating in the holder's name.
    assert client.get(f"/ratings/mine/{case.number}/").status_code == 404
    assert client.post(f"/ratings/mine/{case.number}/", {"level": "1"}).status_code == 404
    assert not Rating.objects.exists()
    real_named(applicant)
    assert "评价办件" in client.get(f"/ratings/mine/{case.number}/").content.decode()
    client.post(f"/ratings/mine/{case.number}/", {"level": "4"})
    assert Rating.objects.get().level == 4
    assert "每件办件只能评价一次" in client.get(f"/ratings/mine/{case.number}/").content.decode()
    stranger = verified(name="李四", id_number=person_id("11010519900307123"), mobile="13812345670")
    assert client_for(stranger).get(f"/ratings/mine/{case.number}/").status_code == 404
    assert Client().get(f"/ratings/mine/{case.number}/").status_code == 302



@pytest.mark.clocks
def test_a_window_service_is_rated_from_its_link_once_per_visit(world):
    client = Client()
    page = client.get(f"/ratings/window/{world.window.pk}/").content.decode()
    assert world.window.name in page and "非常不满意" in page
    assert client.post(f"/ratings/window/{world.window.pk}/", {"level": "5"}).status_code == 200
    again = client.post(f"/ratings/window/{world.window.pk}/", {"level": "1", "reason": "刷差评"})
    assert again.status_code == 409
    rating = Rating.objects.get()
    assert rating.window == world.window and rating.case is None and rating.department == world.dept


def test_default_ratings_are_off_by_default_and_rate_basic_after_n_days(world, settings):
    freeze(at(2026, 3, 2))
    old = completed(world)
    rated = completed(world)
    services.rate_case(rated, services.RatingInput(level=5))
    freeze(at(2026, 3, 9))
    recent = completed(world)
    out = io.StringIO()
    call_command("feedback", "default-ratings", stdout=out)
    assert "未启用" in out.getvalue() and Rating.objects.count() == 1

    settings.RATING_DEFAULT_DAYS = 7
    out = io.StringIO()
    call_command("feedback", "default-ratings", stdout=out)
    assert "已为1件" in out.getvalue()
    default = Rating.objects.get(case=old)
    assert default.level == Level.BASIC and default.by_default
    assert Rating.objects.get(case=rated).level == 5 and not Rating.objects.filter(case=recent).exists()
    call_command("feedback", "default-ratings", stdout=io.StringIO())
    assert Rating.objects.count() == 2  # idempotent


def test_satisfaction_figures(world, settings):
    freeze(at(2026, 4, 10))
    liaison = world.people["liaison"]
    for level in (5, 4, 3, 3):
        services.rate_window(world.window, services.RatingInput(level=level))
    visited_done = services.rate_window(world.window, services.RatingInput(level=2, reason="慢"))
    visited_only = services.rate_window(world.window, services.RatingInput(level=1, reason="乱"))
    untouched = services.rate_window(world.window, services.RatingInput(level=1, reason="差"))
    excluded = services.rate_window(world.window, services.RatingInput(level=1, reason="恶意"))
    services.record_visit(visited_done.follow_up, actor=liaison, note="属实")
    services.record_outcome(visited_done.follow_up, actor=liaison, outcome="explain", note="已解释")
    services.record_visit(visited_only.follow_up, actor=liaison, note="属实")
    appeal = services.request_appeal(excluded, actor=liaison, reason="恶意")
    services.decide_appeal(appeal, actor=world.people["supervisor"], upheld=True, note="查实恶意")
    assert untouched.follow_up.done_at is None
    other_window = world.others["clerk"].window
    services.rate_window(other_window, services.RatingInput(level=5))
    for _ in range(2):
        services.file_complaint(services.ComplaintInput(subject="window", complainant="王五", mobile="13912345678",
                                                        content="排队", window_id=world.window.pk))
    freeze(at(2026, 5, 1))  # outside the period
    services.rate_window(world.window, services.RatingInput(level=1, reason="五月"))

    april = (dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    figures = services.satisfaction([world.dept.pk, world.other.pk], *april)
    # 7 counted (the excluded one is not): 5, 4, 3, 3 satisfied with 基本满意; bad 2, 1, 1.
    assert figures[world.dept.pk] == {
        "ratings": 7, "satisfied": 4, "satisfaction_rate": round(4 / 7, 4), "bad": 3,
        "rectified": 1, "rectify_rate": round(1 / 3, 4), "visited": 2, "visit_rate": round(2 / 3, 4),
        "complaints": 2,
    }
    assert figures[world.other.pk]["satisfaction_rate"] == 1.0 and figures[world.other.pk]["rectify_rate"] is None
    settings.SATISFACTION_COUNTS_BASIC = False
    assert services.satisfaction([world.dept.pk], *april)[world.dept.pk]["satisfied"] == 2
    empty = services.satisfaction([world.dept.pk], dt.date(2025, 1, 1), dt.date(2025, 1, 31))[world.dept.pk]
    assert empty["ratings"] == 0 and empty["satisfaction_rate"] is None and empty["complaints"] == 0
    assert set(services.satisfaction(None, *april)) == {world.dept.pk, world.other.pk}


def test_the_command_refuses_a_bad_date(world, settings):
    settings.RATING_DEFAULT_DAYS = 7
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("feedback", "default-ratings", "--today", "2026-13-01")
    call_command("feedback", "default-ratings", "--today", "2026-03-01", stdout=io.StringIO())


def test_the_window_qr_code_is_an_svg(world):
    response = Client().get(f"/ratings/window/{world.window.pk}/qr.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<?xml") or b"<svg" in response.content[:300]
