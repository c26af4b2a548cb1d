"""Delivery: a real SMTP server and an HTTP SMS gateway on 127.0.0.1, retries with backoff, leases."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core import checks
from django.db import transaction

from shenpi import clock
from shenpi.notifications import services
from shenpi.notifications.models import Notification
from tests.notifications.conftest import START, free_port

pytestmark = pytest.mark.django_db

MOBILE = "13912345678"
Status = Notification.Status


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def queue(case, **addresses) -> list[Notification]:
    with transaction.atomic():
        return services.create_notifications("case_accepted", case=case, **addresses)


def fresh(message: Notification) -> Notification:
    return Notification.objects.get(pk=message.pk)


# -- e-mail ----------------------------------------------------------------------------------------

def test_email_arrives_at_the_smtp_server_in_utf8(accepted_case, smtp_server):
    [mail] = queue(accepted_case, email="lisi@example.com")
    outcome = services.deliver_due()
    assert (outcome.sent, outcome.retry, outcome.failed) == (1, 0, 0)
    [(sender, recipients, message)] = smtp_server.messages
    assert sender == "noreply@zwfw.example.gov.cn" and recipients == ["lisi@example.com"]
    assert message["Subject"] == "受理通知：食品经营许可证核发"
    assert message["To"] == "lisi@example.com"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().replace("\r\n", "\n").rstrip("\n") == mail.body  # CRLF on the wire
    assert "李四：您申请的“食品经营许可证核发”已于2026年3月2日受理" in message.get_content()
    assert message["X-Shenpi-Notification"] == str(mail.pk)
    stored = fresh(mail)
    assert (stored.status, stored.attempts, stored.sent_at, stored.last_error) == (Status.SENT, 1, START, "")


def test_one_smtp_connection_serves_a_batch_and_a_refusal_does_not_stop_it(accepted_case, smtp_server):
    smtp_server.refuse.add("gone@example.com")
    first, refused, last = (queue(accepted_case, email=a)[0]
                            for a in ("a@example.com", "gone@example.com", "b@example.com"))
    outcome = services.deliver_due()
    assert (outcome.sent, outcome.retry) == (2, 1)
    assert [m[1] for m in smtp_server.messages] == [["a@example.com"], ["b@example.com"]]
    refused = fresh(refused)
    assert refused.status == Status.PENDING and "550" in refused.last_error
    assert refused.next_attempt_at == START + minutes(1)


def test_an_unreachable_smtp_server_is_retried(accepted_case, settings):
    settings.NOTIFY_EMAIL, settings.EMAIL_HOST, settings.EMAIL_PORT = "smtp", "127.0.0.1", free_port()
    [mail] = queue(accepted_case, email="lisi@example.com")
    assert services.deliver_due().retry == 1
    mail = fresh(mail)
    assert mail.status == Status.PENDING and "ConnectionRefusedError" in mail.last_error


# -- SMS -------------------------------------------------------------------------------------------

def test_sms_gateway_gets_json_with_mobile_text_and_id(accepted_case, sms_gateway, settings):
    settings.SMS_TOKEN = "gateway-secret"
    [sms] = queue(accepted_case, mobile=MOBILE)
    assert services.deliver_due().sent == 1
    [request] = sms_gateway.received
    assert request["path"] == "/sms/send"
    assert request["json"] == {"mobile": MOBILE, "text": sms.body, "id": sms.pk}
    assert request["headers"]["Authorization"] == "Bearer gateway-secret"
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert fresh(sms).status == Status.SENT


def test_a_500_is_retried_after_1_2_4_8_16_minutes_then_fails(accepted_case, sms_gateway):
    sms_gateway.answers = [500] * 10
    [sms] = queue(accepted_case, mobile=MOBILE)
    moment = START
    for attempt, wait in enumerate([1, 2, 4, 8, 16], start=1):
        assert services.deliver_due().retry == 1
        sms = fresh(sms)
        assert (sms.status, sms.attempts, sms.last_error) == (Status.PENDING, attempt, "短信网关返回 HTTP 500")
        assert sms.next_attempt_at == moment + minutes(wait)
        # Not before its time.
        clock.set_now(sms.next_attempt_at - dt.timedelta(seconds=1))
        assert services.deliver_due().handled == 0
        moment = sms.next_attempt_at
        clock.set_now(moment)
    assert services.deliver_due().failed == 1
    sms = fresh(sms)
    assert (sms.status, sms.attempts) == (Status.FAILED, 6)
    assert len(sms_gateway.received) == 6
    clock.set_now(moment + dt.timedelta(days=1))
    assert services.deliver_due().handled == 0
    assert len(sms_gateway.received) == 6


def test_the_backoff_is_capped_at_an_hour(settings):
    assert [services.retry_delay(n) for n in (1, 2, 3, 6, 7, 12)] == [
        minutes(1), minutes(2), minutes(4), minutes(32), minutes(60), minutes(60)]


def test_the_attempt_limit_is_a_setting(accepted_case, sms_gateway, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    sms_gateway.answers = [503, 503]
    [sms] = queue(accepted_case, mobile=MOBILE)
    assert services.deliver_due().retry == 1
    clock.set_now(START + minutes(1))
    assert services.deliver_due().failed == 1
    assert fresh(sms).status == Status.FAILED


def test_a_gateway_that_does_not_answer_in_time_is_retried(accepted_case, sms_gateway, settings):
    settings.SMS_TIMEOUT = 0.3
    sms_gateway.answers = [("sleep", 1.5)]
    [sms] = queue(accepted_case, mobile=MOBILE)
    assert services.deliver_due().retry == 1
    assert fresh(sms).last_error == "短信网关 0.3 秒内无应答"
    clock.set_now(START + minutes(1))
    assert services.deliver_due().sent == 1
    assert fresh(sms).status == Status.SENT


def test_a_redirect_is_not_a_success(accepted_case, sms_gateway):
    sms_gateway.answers = [302]
    [sms] = queue(accepted_case, mobile=MOBILE)
    assert services.deliver_due().retry == 1
    assert fresh(sms).last_error == "短信网关返回 HTTP 302"
    assert len(sms_gateway.received) == 1


def test_an_unreachable_gateway_is_retried(accepted_case, settings):
    settings.NOTIFY_SMS, settings.SMS_URL = "http", f"http://127.0.0.1:{free_port()}/sms"
    [sms] = queue(accepted_case, mobile=MOBILE)
    assert services.deliver_due().retry == 1
    assert fresh(sms).last_error.startswith("无法连接短信网关")


# -- log backend and configuration -----------------------------------------------------------------

def test_the_log_backend_writes_one_masked_line_and_counts_as_sent(accepted_case, caplog):
    [sms] = queue(accepted_case, mobile=MOBILE)
    with caplog.at_level(logging.INFO, logger="shenpi.notifications"):
        assert services.deliver_due().sent == 1
    [record] = [r for r in caplog.records if r.name == "shenpi.notifications"]
    line = record.getMessage()
    assert "\n" not in line and MOBILE not in line
    assert line.startswith("短信 → 139****5678 [case_accepted] 受理通知：食品经营许可证核发｜李四：")
    assert fresh(sms).status == Status.SENT


def test_a_misconfigured_backend_keeps_the_message_for_later(accepted_case, settings):
    settings.NOTIFY_SMS, settings.SMS_URL = "http", ""
    [sms] = queue(accepted_case, mobile=MOBILE)
    assert services.deliver_due().retry == 1
    assert "SHENPI_SMS_URL" in fresh(sms).last_error
    assert [e.id for e in checks.run_checks() if e.id.startswith("notifications.")] == ["notifications.E003"]
    settings.NOTIFY_SMS, settings.NOTIFY_EMAIL = "sms", "smpt"
    assert {e.id for e in checks.run_checks() if e.id.startswith("notifications.")} == {
        "notifications.E001", "notifications.E002"}


# -- claiming --------------------------------------------------------------------------------------

def test_a_message_whose_sender_died_is_sent_again_after_its_lease(accepted_case, caplog):
    [sms] = queue(accepted_case, mobile=MOBILE)
    claimed = services._claim(Notification.objects.all(), 100)  # the process stops before sending
    assert [m.pk for m in claimed] == [sms.pk]
    assert services.deliver_due().handled == 0, "a message being sent is nobody else's"
    clock.set_now(fresh(sms).next_attempt_at)
    assert services.deliver_due().sent == 1
    assert fresh(sms).attempts == 2


def test_an_interrupted_last_attempt_fails_for_good(accepted_case, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 1
    [sms] = queue(accepted_case, mobile=MOBILE)
    services._claim(Notification.objects.all(), 100)
    clock.set_now(fresh(sms).next_attempt_at)
    assert services.deliver_due().failed == 1
    assert fresh(sms).status == Status.FAILED and "投递中断" in fresh(sms).last_error


def test_a_late_result_of_an_expired_claim_does_not_overwrite_the_next(accepted_case):
    [sms] = queue(accepted_case, mobile=MOBILE)
    [stale] = services._claim(Notification.objects.all(), 100)
    clock.set_now(stale.next_attempt_at)
    assert services.deliver_due().sent == 1
    services._record_failure(stale, RuntimeError("the first sender wakes up"))
    assert fresh(sms).status == Status.SENT


def test_drain_works_through_a_backlog_in_batches(accepted_case):
    for n in range(5):
        queue(accepted_case, mobile=f"1391234560{n}")
    outcome = services.drain(limit=2)
    assert outcome.sent == 5
    assert not Notification.objects.exclude(status=Status.SENT).exists()


def test_resend_queues_failed_messages_again(accepted_case, sms_gateway, settings,
                                             django_capture_on_commit_callbacks):
    settings.NOTIFY_MAX_ATTEMPTS = 1
    sms_gateway.answers = [500]
    failed, sent = queue(accepted_case, mobile=MOBILE)[0], queue(accepted_case, mobile="13800000000")[0]
    services.deliver_due()
    assert (fresh(failed).status, fresh(sent).status) == (Status.FAILED, Status.SENT)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.resend(Notification.objects.all()) == 1
    failed = fresh(failed)
    assert (failed.status, failed.attempts) == (Status.SENT, 1)
    assert len(sms_gateway.received) == 3
