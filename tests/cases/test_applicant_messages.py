"""What the applicant is told by SMS after an action (cases.tell_applicant): every step they must know of."""

import datetime as dt

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.cases import services
from shenpi.notifications.models import Notification
from tests import factories as f

pytestmark = pytest.mark.django_db


def at(y, m, d, hh=10, mm=0):
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def sms(case, template):
    rows = Notification.objects.filter(case=case, template=template, channel=Notification.Channel.SMS)
    assert rows.count() == 1, template
    row = rows.get()
    assert row.address == "13812341234"
    return row.body


def in_progress(office):
    dept, people, it = office
    clock.set_now(at(2026, 9, 24))
    case = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    return services.perform(case, "pass", actor=people["handler"], params={"opinion": "同意"})


def test_supplement_lists_the_materials_and_the_date(office):
    dept, people, it = office
    case = in_progress(office)
    permit = case.materials.get(name="建设工程规划许可证")
    services.perform(case, "request_supplement", actor=people["reviewer"], params={
        "reason": "规划许可证与申请表项目名称不一致", "expected_days": 3,
        "materials": [{"material": permit.pk, "problem": "项目名称不一致"}, {"name": "情况说明"}]})
    body = sms(case, "supplement_requested")
    assert case.number in body
    assert "1. 建设工程规划许可证（项目名称不一致）\n2. 情况说明（需补交）" in body
    assert "2026年9月30日前补交" in body  # three working days after 24 September: 中秋 (25th) skipped
    assert "补交期间暂停计时" in body
    notice = case.notices.get(kind="supplement")
    assert notice.body["materials"][0]["name"] == "建设工程规划许可证" and notice.body["due"] == "2026-09-30"


def test_special_procedure_names_it_its_reason_and_length(office):
    dept, people, it = office
    case = in_progress(office)
    services.perform(case, "suspend", actor=people["reviewer"],
                     params={"kind": "expert_review", "reason": "结构安全需专家论证", "expected_days": 7})
    body = sms(case, "special_procedure")
    assert "需要依法进行专家评审，预计7个工作日" in body and "理由：结构安全需专家论证" in body
    assert "第四十五条" in body and "不计入办理期限" in body


def test_extension_tells_the_new_date_and_the_reason(office):
    dept, people, it = office
    case = in_progress(office)
    before = case.promised_due
    case = services.perform(case, "extend", actor=people["approver"], params={"days": 5, "reason": "需现场核查"})
    body = sms(case, "case_extended")
    assert case.promised_due > before
    due = case.promised_due
    assert f"延长5个工作日，办结期限延至{due.year}年{due.month}月{due.day}日" in body
    assert "理由：需现场核查" in body


def test_completion_carries_the_rating_link_of_the_case(office, settings):
    settings.PUBLIC_BASE_URL = "https://zwfw.example.gov.cn/"
    dept, people, it = office
    case = in_progress(office)
    for role in ("reviewer", "approver"):
        case = services.perform(case, "pass", actor=people[role], params={"opinion": "同意"})
    case = services.perform(case, "grant", actor=people["approver"])
    case = services.perform(case, "complete", actor=people["clerk"])
    body = sms(case, "case_completed")
    assert f"https://zwfw.example.gov.cn/ratings/?number={case.number}" in body
    assert "查询密码" in body


def test_an_on_the_spot_completion_carries_it_too(office):
    dept, people, it = office
    quick = f.item(dept, name="户籍证明", promised=0, statutory=0)
    case = services.perform(f.receive(people["clerk"], quick), "handle_on_the_spot", actor=people["clerk"])
    assert f"/ratings/?number={case.number}" in sms(case, "case_completed")


def test_no_phone_no_message(office):
    dept, people, it = office
    clock.set_now(at(2026, 9, 24))
    case = services.perform(f.receive(people["clerk"], it, phone=""), "accept", actor=people["clerk"])
    case = services.perform(case, "pass", actor=people["handler"])
    services.perform(case, "extend", actor=people["approver"], params={"days": 2, "reason": "核查"})
    assert not Notification.objects.filter(case=case).exists()
