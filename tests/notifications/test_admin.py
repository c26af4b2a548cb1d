"""The outbox in the admin: read-only, masked addresses, 重新发送 for failed messages."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import reverse

from shenpi.accounts.models import User
from shenpi.notifications import services
from shenpi.notifications.models import Notification
from tests.factories import login_staff

pytestmark = pytest.mark.django_db

MOBILE = "13912345678"
CHANGELIST = reverse("admin:notifications_notification_changelist")


@pytest.fixture
def failed(accepted_case):
    with transaction.atomic():
        [sms] = services.create_notifications("case_accepted", case=accepted_case, mobile=MOBILE)
    Notification.objects.filter(pk=sms.pk).update(status=Notification.Status.FAILED, attempts=6,
                                                  last_error="短信网关返回 HTTP 500")
    return sms


def admin_user(*codenames) -> User:
    user = User.objects.create_user("ops", password="Shenpi-test-2026", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="notifications",
                                                        codename__in=codenames))
    return user


def test_the_outbox_shows_masked_addresses_and_cannot_be_edited(client, failed):
    login_staff(client, admin_user("view_notification"))
    page = client.get(CHANGELIST).content.decode()
    assert "139****5678" in page and MOBILE not in page
    detail = client.get(reverse("admin:notifications_notification_change", args=[failed.pk])).content.decode()
    assert "短信网关返回 HTTP 500" in detail and MOBILE not in detail
    assert 'name="_save"' not in detail
    assert client.get(reverse("admin:notifications_notification_add")).status_code == 403
    # Viewing does not give the right to resend.
    assert 'value="resend"' not in page


def test_resend_queues_failed_messages_and_delivers_them(client, failed, accepted_case,
                                                         django_capture_on_commit_callbacks):
    with transaction.atomic():
        [sent] = services.create_notifications("case_accepted", case=accepted_case, email="lisi@example.com")
    Notification.objects.filter(pk=sent.pk).update(status=Notification.Status.SENT)
    login_staff(client, admin_user("view_notification", "change_notification"))
    assert 'value="resend"' in client.get(CHANGELIST).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHANGELIST, {"action": "resend", "_selected_action": [failed.pk, sent.pk]},
                               follow=True)
    assert "已重新排队发送1条通知；1条不是“发送失败”状态，未处理。" in response.content.decode()
    failed = Notification.objects.get(pk=failed.pk)
    assert (failed.status, failed.attempts) == (Notification.Status.SENT, 1)
