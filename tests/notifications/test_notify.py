"""notify(): rows written in the caller's transaction, rendered in Chinese, delivered after commit."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import connection, transaction
from django.utils import timezone

from shenpi.accounts.models import Role
from shenpi.celery import app as shenpi_celery
from shenpi.notifications import services
from shenpi.notifications.models import Notification
from shenpi.notifications.rendering import _FOLDER, TEMPLATES
from shenpi.notifications.tasks import deliver_notifications

pytestmark = pytest.mark.django_db

MOBILE = "13912345678"


def test_messages_roll_back_with_the_callers_transaction(accepted_case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        services.notify("case_accepted", case=accepted_case, mobile=MOBILE, email="lisi@example.com")
        assert Notification.objects.count() == 2
        raise RuntimeError("the caller's change fails after notifying")
    assert Notification.objects.count() == 0
    assert callbacks == [], "nothing may be delivered for a rolled-back change"


def test_one_delivery_after_commit_however_many_messages(accepted_case, org, django_capture_on_commit_callbacks):
    _, people = org
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        services.notify("case_accepted", case=accepted_case, mobile=MOBILE)
        services.notify("alert_raised", case=accepted_case, user=people[Role.HANDLER],
                        context={"level": "黄牌", "rule": "承诺时限超期"})
        assert Notification.objects.filter(status=Notification.Status.PENDING).count() == 2
    assert len(callbacks) == 1
    # Embedded mode (no broker): delivered in-process through the log backend.
    assert set(Notification.objects.values_list("status", flat=True)) == {Notification.Status.SENT}


def test_with_a_broker_the_task_is_queued_after_commit(accepted_case, settings, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    queued = []
    monkeypatch.setattr(shenpi_celery, "send_task", lambda name, *args, **kwargs: queued.append(name))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.notify("case_accepted", case=accepted_case, mobile=MOBILE)
        assert queued == []
    # Queued by name: the name a worker knows the delivery task by.
    assert queued == [deliver_notifications.name]
    assert Notification.objects.get().status == Notification.Status.PENDING


def test_a_broker_outage_does_not_break_the_committed_change(accepted_case, settings, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    def unreachable(name, *args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(shenpi_celery, "send_task", unreachable)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.notify("case_accepted", case=accepted_case, mobile=MOBILE)
    # The message waits in the outbox for the next pass (beat runs one every minute).
    assert Notification.objects.get().status == Notification.Status.PENDING


def test_case_accepted_in_chinese(accepted_case):
    [sms] = services.notify("case_accepted", case=accepted_case, mobile=MOBILE)
    assert sms.subject == "受理通知：食品经营许可证核发"
    due = accepted_case.promised_due
    assert sms.body == (
        f"李四：您申请的“食品经营许可证核发”已于2026年3月2日受理，办件编号 {accepted_case.number}。"
        f"承诺办结期限为{due.year}年{due.month}月{due.day}日。您可凭办件编号和查询密码在 http://127.0.0.1:8000 "
        "查询办理进度。【示范市政务服务中心】")
    assert sms.channel == "sms" and sms.case == accepted_case and sms.template == "case_accepted"


def test_correction_lists_every_material_at_once(accepted_case):
    materials = ["营业执照复印件", "食品安全管理制度文本"]
    [mail] = services.notify("correction_requested", case=accepted_case, email="lisi@example.com",
                             context={"materials": materials, "note": "复印件须加盖公章"})
    assert mail.subject == "补正告知：食品经营许可证核发"
    assert ("请一次性补正以下材料：\n1. 营业执照复印件\n2. 食品安全管理制度文本\n"
            "说明：复印件须加盖公章\n补正材料齐全后即予受理。") in mail.body


def test_refusal_and_completion_name_the_reason_and_the_remedy(accepted_case):
    [refused] = services.notify("case_refused", case=accepted_case, mobile=MOBILE,
                                context={"reason": "申请事项不属于本机关职权范围。"})
    assert ("不予受理。\n理由：申请事项不属于本机关职权范围。\n"
            "如不服，可以依法申请行政复议或者提起行政诉讼。") in refused.body
    accepted_case.decision = "grant"
    [done] = services.notify("case_completed", case=accepted_case, mobile=MOBILE,
                             context={"pickup": "请持身份证到3号窗口领取证照。"})
    assert done.subject == "办结通知：食品经营许可证核发"
    assert "已办结，决定：准予许可。办理结果：建筑工程施工许可证。请持身份证到3号窗口领取证照。" in done.body


def test_portal_and_supervision_templates(accepted_case, org):
    _, people = org
    start = timezone.make_aware(dt.datetime(2026, 3, 5, 9, 30))
    [booked] = services.notify("appointment_booked", mobile=MOBILE, context={
        "name": "王五", "item_name": "食品经营许可证核发", "window": "市场监管3号窗口", "start": start,
        "end": start + dt.timedelta(minutes=30), "code": "Y0305-012"})
    assert booked.body.startswith(
        "王五：您已预约2026年3月5日 09:30至10:00在市场监管3号窗口办理“食品经营许可证核发”，预约号 Y0305-012。")
    [answer] = services.notify("complaint_answered", email="ww@example.com",
                               context={"complaint_number": "TS2026-0042", "answer": "已责成窗口改正并致歉。"})
    assert answer.subject == "投诉答复：TS2026-0042" and "已责成窗口改正并致歉。" in answer.body
    [alert] = services.notify("alert_raised", user=people[Role.HANDLER], case=accepted_case, topic="alert:7",
                              context={"level": "红牌", "rule": "黄牌后仍未办结"})
    assert alert.subject == f"【红牌】黄牌后仍未办结：{accepted_case.number}"
    assert alert.body.startswith(
        f"{people[Role.HANDLER]}：电子监察对办件 {accepted_case.number}（食品经营许可证核发，李四）发出红牌。")
    assert alert.address == "handler@zwfw.example.gov.cn" and alert.recipient == people[Role.HANDLER]
    [order] = services.notify("supervision_order", email="liaison@example.gov.cn", case=accepted_case, context={
        "order_number": "DB2026-003", "content": "说明超期原因并限期办结", "reply_due": dt.date(2026, 3, 9),
        "department": "市市场监督管理局"})
    assert order.subject == "督办通知：DB2026-003"
    assert "督办事项：说明超期原因并限期办结\n请于2026年3月9日前办理并反馈整改情况。" in order.body


def test_text_is_not_html_escaped(accepted_case):
    [mail] = services.notify("complaint_answered", email="a@example.com",
                             context={"complaint_number": "T1", "answer": "“水电气”联办 & <一窗>受理"})
    assert "“水电气”联办 & <一窗>受理" in mail.body


def test_unknown_template_and_missing_context_are_refused_before_writing(accepted_case):
    with pytest.raises(ValueError, match="未知的通知模板“case_lost”"):
        services.notify("case_lost", case=accepted_case, mobile=MOBILE)
    with pytest.raises(ValueError, match="缺少内容：case"):
        services.notify("case_accepted", mobile=MOBILE)
    with pytest.raises(ValueError, match="缺少内容：level、rule"):
        services.notify("alert_raised", case=accepted_case, email="a@example.com")
    # Also when no address is known: the caller's mistake shows in its own tests.
    with pytest.raises(ValueError, match="缺少内容：materials"):
        services.notify("correction_requested", case=accepted_case)
    assert Notification.objects.count() == 0


def test_every_template_has_a_file_with_a_subject_line():
    for code in TEMPLATES:
        assert (_FOLDER / f"{code}.txt").read_text().splitlines()[0].strip(), code


# -- addresses -------------------------------------------------------------------------------------

def test_channels_follow_the_addresses_known(accepted_case, org):
    _, people = org
    handler = people[Role.HANDLER]
    both = services.notify("alert_raised", user=handler, mobile="+86 139-1234-5678", case=accepted_case,
                           context={"level": "预警", "rule": "即将到期"})
    assert [(m.channel, m.address, m.address_masked) for m in both] == [
        ("email", "handler@zwfw.example.gov.cn", "h***@zwfw.example.gov.cn"), ("sms", MOBILE, "139****5678")]
    # An explicit address wins over the user's.
    [mail] = services.notify("alert_raised", user=handler, email="duty@example.gov.cn", case=accepted_case,
                             context={"level": "预警", "rule": "即将到期"})
    assert mail.address == "duty@example.gov.cn" and mail.recipient == handler


def test_no_usable_address_queues_nothing(accepted_case, org, caplog):
    _, people = org
    clerk = people[Role.CLERK]  # no e-mail address
    with caplog.at_level(logging.INFO, logger="shenpi.notifications"):
        assert services.notify("case_accepted", case=accepted_case, user=clerk) == []
        # A landline cannot take an SMS: the acceptance must not fail because of it.
        assert services.notify("case_accepted", case=accepted_case, mobile="0571-87654321") == []
        assert services.notify("case_accepted", case=accepted_case, email="not an address") == []
    assert Notification.objects.count() == 0
    assert "不是手机号码" in caplog.text and "0571-87654321" not in caplog.text


def test_addresses_are_encrypted_at_rest(accepted_case):
    [sms] = services.notify("case_accepted", case=accepted_case, mobile=MOBILE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT address, address_masked FROM notifications_notification WHERE id = %s", [sms.pk])
        stored, masked = cursor.fetchone()
    assert stored.startswith("sm4gcm:v1:") and MOBILE not in stored
    assert masked == "139****5678"
    assert Notification.objects.get(pk=sms.pk).address == MOBILE


def test_a_queued_message_keeps_its_text(accepted_case):
    [sms] = services.notify("case_accepted", case=accepted_case, mobile=MOBILE)
    accepted_case.applicant_name = "改名后的申请人"
    accepted_case.save(update_fields=["applicant_name"])
    assert Notification.objects.get(pk=sms.pk).body.startswith("李四：")
