"""One-time codes by SMS: kept only as a keyed digest, valid ten minutes, five wrong tries, resend limits."""

import datetime as dt

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.applicants import services
from shenpi.applicants.models import MobileCode
from shenpi.errors import InvalidInput
from tests.factories import login_staff

from .helpers import last_code, person_id, register

pytestmark = pytest.mark.django_db

START = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))


@pytest.fixture
def frozen():
    clock.set_now(START)
    return START


def _move(seconds=0, minutes=0):
    clock.set_now(clock.now() + dt.timedelta(seconds=seconds, minutes=minutes))


def _refusal(applicant, code) -> str:
    with pytest.raises(InvalidInput) as refused:
        services.verify_registration(applicant, code)
    return refused.value.fields["code"][0]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_only_a_keyed_digest_of_the_code_is_stored(frozen):
    applicant = register()
    code = last_code()
    row = MobileCode.objects.get()
    stored = " ".join(str(getattr(row, f.attname)) for f in MobileCode._meta.concrete_fields)
    assert code not in stored
    assert row.code_hash == services.code_digest(row.salt, code)
    assert row.expires_at == START + dt.timedelta(minutes=10)
    assert row.applicant == applicant and row.purpose == "register"


def test_the_right_code_verifies_once(frozen):
    applicant = register()
    code = last_code()
    _move(minutes=9, seconds=59)
    applicant = services.verify_registration(applicant, code)
    assert applicant.verified and applicant.mobile_verified_at == clock.now()
    assert MobileCode.objects.get().used_at == clock.now()


def test_a_wrong_code_counts_and_says_how_many_tries_are_left(frozen):
    applicant = register()
    code = last_code()
    assert _refusal(applicant, _wrong(code)) == "验证码不正确，还可尝试4次。"
    assert _refusal(applicant, _wrong(code)) == "验证码不正确，还可尝试3次。"
    # The refusal is raised after the attempt was written: it survives the refused call.
    assert MobileCode.objects.get().attempts == 2
    assert _refusal(applicant, "12a456") == "请输入短信中的6位数字验证码。"
    assert MobileCode.objects.get().attempts == 2
    applicant.refresh_from_db()
    assert not applicant.verified


def test_after_five_wrong_codes_even_the_right_one_is_refused(frozen):
    applicant = register()
    code = last_code()
    for _ in range(4):
        _refusal(applicant, _wrong(code))
    assert _refusal(applicant, _wrong(code)) == "验证码不正确，错误次数过多，请重新获取。"
    assert _refusal(applicant, code) == "验证码错误次数过多，请重新获取。"
    _move(seconds=61)
    services.send_code(applicant, services.Purpose.REGISTER)
    assert services.verify_registration(applicant, last_code()).verified


def test_an_expired_code_is_refused(frozen):
    applicant = register()
    code = last_code()
    _move(minutes=10)
    assert _refusal(applicant, code) == "验证码已过期，请重新获取。"
    assert MobileCode.objects.get().attempts == 0


def test_a_new_code_replaces_the_old_one(frozen):
    applicant = register()
    old = last_code()
    _move(seconds=60)
    services.send_code(applicant, services.Purpose.REGISTER)
    new = last_code()
    if old != new:
        assert _refusal(applicant, old).startswith("验证码不正确")
    assert services.verify_registration(applicant, new).verified


def test_a_used_code_cannot_be_used_again(frozen):
    applicant = services.verify_registration(register(), last_code())
    _move(seconds=61)
    assert services.start_password_reset(applicant.id_number, "13912345678") == applicant
    code = last_code()
    services.reset_password(applicant, code, "Xin-mima-2026-ok")
    with pytest.raises(InvalidInput, match="该验证码已使用，请重新获取。"):
        services.reset_password(applicant, code, "Ling-yige-2026-ok")
    applicant.user.refresh_from_db()
    assert applicant.user.check_password("Xin-mima-2026-ok")


def test_a_code_for_one_purpose_does_not_serve_another(frozen):
    applicant = register()
    with pytest.raises(InvalidInput, match="请先获取验证码。"):
        services.reset_password(applicant, last_code(), "Xin-mima-2026-ok")


def test_resending_waits_a_minute(frozen):
    applicant = register()
    _move(seconds=20)
    with pytest.raises(InvalidInput) as refused:
        services.send_code(applicant, services.Purpose.REGISTER)
    assert refused.value.fields["mobile"] == ["验证码已发送，请40秒后再重新获取。"]
    assert MobileCode.objects.count() == 1
    _move(seconds=40)
    services.send_code(applicant, services.Purpose.REGISTER)
    assert MobileCode.objects.count() == 2


def test_a_mobile_gets_at_most_ten_codes_a_day_whatever_the_account(frozen):
    applicant = register(mobile="13912345678")
    for _ in range(9):
        _move(seconds=61)
        services.send_code(applicant, services.Purpose.REGISTER)
    _move(seconds=61)
    with pytest.raises(InvalidInput, match="今日获取验证码已达10次"):
        services.send_code(applicant, services.Purpose.REGISTER)
    # Registering again (another identifier, same phone) does not reset the count.
    with pytest.raises(InvalidInput, match="今日获取验证码已达10次"):
        register(id_number=person_id("11010519851111222"), mobile="13912345678")
    # The next day the phone can receive codes again.
    clock.set_now(START + dt.timedelta(days=1))
    services.send_code(applicant, services.Purpose.REGISTER)


def test_the_verify_page_shows_the_refusal_and_the_resend_limit(frozen, client):
    client.post("/account/register/", {"kind": "person", "name": "李四", "id_number": "110105199003071239",
                                       "mobile": "13912345678", "password": "Kaishi-banshi-2026",
                                       "password2": "Kaishi-banshi-2026"})
    code = last_code()
    response = client.post("/account/verify/", {"code": _wrong(code)})
    assert response.status_code == 400 and "验证码不正确，还可尝试4次。" in response.content.decode()
    response = client.post("/account/verify/resend/", follow=True)
    assert "请60秒后再重新获取" in response.content.decode()
    _move(seconds=61)
    response = client.post("/account/verify/resend/", follow=True)
    assert "新的验证码已发送至 139****5678" in response.content.decode()
    assert client.post("/account/verify/", {"code": last_code()})["Location"] == "/account/"


def test_the_code_is_not_readable_in_the_outbox_nor_in_the_admin(frozen, client, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Permission
    from django.db import connection
    from django.urls import reverse

    from shenpi.accounts.models import User
    from shenpi.notifications import services as outbox
    from shenpi.notifications.models import Notification

    with django_capture_on_commit_callbacks():  # queued, not yet delivered
        register()
    code = last_code()
    sms = Notification.objects.get(template="mobile_code")
    assert sms.body.startswith("您的验证码为******，") and code not in sms.body and code not in sms.subject
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM notifications_notification")
        row = " ".join(str(value) for value in cursor.fetchone())
    assert code not in row  # the sealed copy is encrypted
    staff = User.objects.create_user("ops", password="Shenpi-test-2026", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename="view_notification"))
    login_staff(client, staff)
    page = client.get(reverse("admin:notifications_notification_change", args=[sms.pk])).content.decode()
    assert "验证码为******" in page and code not in page
    # It leaves with the code, and then nothing readable of it is kept.
    assert outbox.deliver_due().sent == 1
    sms.refresh_from_db()
    assert sms.status == "sent" and sms.sealed_body == "" and code not in sms.outgoing_body()


def test_a_code_retried_after_a_failure_still_leaves_until_it_expires(frozen, settings, monkeypatch):
    from shenpi.notifications import backends
    from shenpi.notifications import services as outbox
    from shenpi.notifications.models import Notification

    register()
    code = last_code()
    sent = []

    def flaky(self, message):
        if not sent:
            sent.append(None)
            raise backends.DeliveryError("短信网关返回 HTTP 503")
        sent.append(message.outgoing_body())

    monkeypatch.setattr(backends.LogBackend, "send", flaky)
    assert outbox.deliver_due().retry == 1
    assert Notification.objects.get().sealed_body  # kept for the retry
    _move(minutes=1)
    assert outbox.deliver_due().sent == 1 and code in sent[-1]
    # A second code whose every attempt fails until it expires is never sent late.
    _move(seconds=61)
    services.send_code(services.find_applicant(person_id()), "register")
    sent.clear()
    monkeypatch.setattr(backends.LogBackend, "send", lambda self, message: (_ for _ in ()).throw(
        backends.DeliveryError("短信网关返回 HTTP 503")))
    assert outbox.deliver_due().retry == 1
    _move(minutes=10)
    outcome = outbox.deliver_due()
    assert outcome.failed == 1 and outcome.sent == 0
    latest = Notification.objects.order_by("-pk").first()
    assert latest.status == "failed" and latest.sealed_body == "" and latest.last_error == outbox.SEALED_EXPIRED
