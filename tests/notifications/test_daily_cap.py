"""SHENPI_SMS_PER_MOBILE_DAY: one cap per mobile and day over every feature; more messages are kept, never sent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.applicants import services as applicants
from shenpi.errors import InvalidInput
from shenpi.notifications import services
from shenpi.notifications.models import Notification

pytestmark = pytest.mark.django_db

MOBILE = "13912345678"
Status = Notification.Status


def _at(day: int, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 3, day, hour, 0))


def test_sms_over_the_daily_cap_are_kept_as_refused_and_never_sent(settings, django_capture_on_commit_callbacks):
    settings.SMS_PER_MOBILE_DAY = 3
    clock.set_now(_at(2, 9))
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            services.notify("notify_test", mobile=MOBILE, email="lisi@example.com", context={"channel_name": "x"})
        over = services.notify("notify_test", mobile=f"+86 {MOBILE}", email="lisi@example.com",
                               context={"channel_name": "x"})
    refused = [message for message in over if message.channel == Notification.Channel.SMS][0]
    refused.refresh_from_db()
    assert refused.status == Status.REFUSED and refused.sent_at is None and refused.attempts == 0
    assert "今日短信已达上限（3条），未发送" in refused.last_error
    # E-mail has no such cap, other mobiles their own.
    assert Notification.objects.filter(channel="email", status=Status.SENT).count() == 4
    assert Notification.objects.filter(channel="sms", status=Status.SENT).count() == 3
    services.notify("notify_test", mobile="13800001111", context={"channel_name": "x"})
    assert Notification.objects.filter(address_masked="138****1111", status=Status.PENDING).count() == 1
    assert services.deliver_due().sent == 1 and services.resend(Notification.objects.all()) == 0


def test_the_cap_counts_the_local_day(settings):
    settings.SMS_PER_MOBILE_DAY = 1
    clock.set_now(_at(2, 23))  # 23:00 in Asia/Shanghai, 15:00 UTC
    services.notify("notify_test", mobile=MOBILE, context={"channel_name": "x"})
    assert services.sms_cap_reached(MOBILE)
    clock.set_now(_at(3, 0) + dt.timedelta(minutes=5))  # after local midnight: a new day, though UTC's is not
    assert not services.sms_cap_reached(MOBILE)
    assert services.notify("notify_test", mobile=MOBILE, context={"channel_name": "x"})[0].status == Status.PENDING


def test_verification_codes_count_and_a_code_over_the_cap_is_refused_with_a_message(settings):
    settings.SMS_PER_MOBILE_DAY = 2
    clock.set_now(_at(2, 9))
    for _ in range(2):
        services.notify("notify_test", mobile=MOBILE, context={"channel_name": "x"})
    with pytest.raises(InvalidInput, match="今日接收短信已达上限"):
        applicants.send_mobile_code(MOBILE, applicants.Purpose.BOOKING)
    code = Notification.objects.get(template="mobile_code")
    assert code.status == Status.REFUSED  # kept, with its reason, after the refusal
