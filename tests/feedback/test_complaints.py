"""投诉: filed with a tracking number, routed, answered within working days, tracked with number + mobile."""

import datetime as dt
import re

import pytest
from django.test import Client, override_settings

from shenpi.errors import Conflict, Forbidden, InvalidInput
from shenpi.feedback import services
from shenpi.feedback.models import Complaint
from shenpi.notifications.models import Notification
from shenpi.workdays.services import get_calendar

from .conftest import accepted, at, freeze

MOBILE = "13912345678"


def file(world, ip="10.0.0.1", **kw):
    data = {"subject": "case", "complainant": "王五", "mobile": MOBILE, "content": "窗口要求重复提交材料。", **kw}
    return Client().post("/complaints/", data, REMOTE_ADDR=ip)


def track(number, mobile, ip="10.0.0.9"):
    return Client().post("/complaints/track/", {"number": number, "mobile": mobile}, REMOTE_ADDR=ip)


def error_of(response) -> str:
    match = re.search(r'<p class="form-error" role="alert">([^<]*)</p>', response.content.decode())
    return match.group(1) if match else ""


def test_a_complaint_about_a_case_goes_to_its_department_with_a_deadline_across_national_day(world):
    case = accepted(world)
    freeze(at(2026, 9, 24, 15))
    response = file(world, case_number=case.number.lower())
    assert response.status_code == 200
    complaint = Complaint.objects.get()
    assert re.fullmatch(r"TS20260924[0-9A-HJKMNP-TV-Z]{8}", complaint.number)
    assert complaint.number in response.content.decode()
    assert complaint.case == case and complaint.department == world.dept
    expected = get_calendar().add(dt.date(2026, 9, 24), 10)
    assert complaint.answer_due == expected
    assert expected > dt.date(2026, 10, 8)  # 国庆 and 中秋 2026 are not working days
    assert complaint.status == Complaint.Status.OPEN and complaint.mobile_masked == "139****5678"


def test_routing_by_window_by_person_and_a_number_that_is_not_found(world):
    file(world, subject="window", window=world.window.pk)
    assert Complaint.objects.get().department == world.dept
    refused = file(world, subject="person", person="", department=world.other.pk)
    assert refused.status_code == 400 and "请填写涉及工作人员" in refused.content.decode()
    file(world, subject="person", person="工号0123", department=world.other.pk)
    assert Complaint.objects.get(subject="person").department == world.other
    unknown = file(world, case_number="20260101ABCDEFGH")
    assert unknown.status_code == 400 and "未找到该办件编号" in unknown.content.decode()
    file(world, case_number="20260101ABCDEFGH", department=world.other.pk)
    assert Complaint.objects.get(subject="case").case is None
    bad_mobile = file(world, subject="window", window=world.window.pk, mobile="12345")
    assert bad_mobile.status_code == 400 and "手机号码" in bad_mobile.content.decode()


@override_settings(COMPLAINT_ANSWER_DAYS=3)
def test_the_answer_deadline_is_a_setting(world):
    freeze(at(2026, 9, 29))
    complaint = services.file_complaint(services.ComplaintInput(
        subject="window", complainant="王五", mobile=MOBILE, content="排队太久。", window_id=world.window.pk))
    assert complaint.answer_due == get_calendar().add(dt.date(2026, 9, 29), 3)


@pytest.mark.clocks
def test_answering_notifies_the_complainant_who_then_sees_the_answer(world):
    file(world, subject="window", window=world.window.pk)
    complaint = Complaint.objects.get()
    before = track(complaint.number, MOBILE).content.decode()
    assert "待答复" in before and "窗口要求重复提交材料" in before

    staff = world.client(world.people["liaison"])
    response = staff.post(f"/workbench/feedback/complaints/{complaint.number}/", {"answer": "已约谈窗口人员并整改。"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.ANSWERED and complaint.answered_at is not None
    sms = Notification.objects.get(template="complaint_answered")
    assert sms.address == MOBILE and complaint.number in sms.body and "已约谈窗口人员并整改" in sms.body
    assert "已约谈窗口人员并整改" in track(complaint.number.lower(), MOBILE).content.decode()
    with pytest.raises(Conflict):
        services.answer_complaint(complaint, actor=world.people["liaison"], answer="再答一次")


def test_a_wrong_mobile_gets_the_same_message_as_a_wrong_number_and_tries_are_limited(world, settings):
    file(world, subject="window", window=world.window.pk)
    number = Complaint.objects.get().number
    wrong_mobile, wrong_number = track(number, "13800000000"), track("TS20260101ABCDEFGH", MOBILE)
    assert error_of(wrong_mobile) == error_of(wrong_number) == services.TRACK_WRONG
    assert "窗口要求" not in wrong_mobile.content.decode()
    settings.QUERY_ATTEMPTS = 3
    track(number, "13800000001")  # the third failure from this address
    limited = track(number, MOBILE)
    assert limited.status_code == 429 and "窗口要求" not in limited.content.decode()
    assert track(number, MOBILE, ip="10.0.0.10").status_code == 200


def test_supervisors_see_all_complaints_departments_their_own(world):
    file(world, subject="window", window=world.window.pk)
    file(world, subject="person", person="李某", department=world.other.pk, content="态度生硬。")
    own = services.visible_complaints(world.people["liaison"])
    assert {c.department for c in own} == {world.dept}
    assert services.visible_complaints(world.people["supervisor"]).count() == 2
    assert services.visible_complaints(world.people["clerk"]).count() == 0
    other_number = Complaint.objects.get(department=world.other).number
    liaison = world.client(world.people["liaison"])
    assert "态度生硬" not in liaison.get("/workbench/feedback/complaints/").content.decode()
    assert liaison.get(f"/workbench/feedback/complaints/{other_number}/").status_code == 404
    board = world.client(world.people["supervisor"]).get("/workbench/feedback/complaints/").content.decode()
    assert other_number in board
    with pytest.raises(Forbidden):  # supervisors watch; the department answers
        services.answer_complaint(Complaint.objects.get(department=world.other), actor=world.people["supervisor"],
                                  answer="监察员代答")
    assert world.client(world.people["clerk"]).get("/workbench/feedback/complaints/").status_code == 403


def test_missing_fields_are_refused_with_chinese_messages(world):
    with pytest.raises(InvalidInput) as error:
        services.file_complaint(services.ComplaintInput(subject="window", complainant="", mobile=MOBILE,
                                                        content="x", window_id=world.window.pk))
    assert "投诉人姓名" in error.value.message
    assert file(world, subject="nonsense").status_code == 400
    assert Complaint.objects.count() == 0


def test_public_and_staff_pages_render(world):
    for url in ("/complaints/", "/complaints/track/", "/ratings/", "/ratings/appeal/", "/consult/"):
        assert Client().get(url).status_code == 200, url
    file(world, subject="window", window=world.window.pk)
    services.rate_window(world.window, services.RatingInput(level=1, reason="差"))
    number = Complaint.objects.get().number
    supervisor = world.client(world.people["supervisor"])
    for url in ("/workbench/feedback/", "/workbench/feedback/complaints/?status=overdue",
                f"/workbench/feedback/complaints/{number}/", "/workbench/feedback/questions/?status=answered",
                "/workbench/feedback/follow-ups/", "/workbench/feedback/follow-ups/?status=done",
                "/workbench/feedback/appeals/"):
        response = supervisor.get(url)
        assert response.status_code == 200 and "咨询投诉评价" in response.content.decode(), url
    assert Client().get("/workbench/feedback/complaints/").status_code == 302  # to the login
