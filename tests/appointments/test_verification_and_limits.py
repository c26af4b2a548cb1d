"""A booking proves its mobile with an SMS code first, and the public is held to the booking limits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from shenpi import clock
from shenpi.appointments import services
from shenpi.appointments.models import Booking
from shenpi.notifications.models import Notification
from tests.applicants.helpers import client_for, last_code, person_id, verified

from .conftest import at, person
from .test_views import book_form, slots_url, with_code


def _codes_sent() -> int:
    return Notification.objects.filter(template="mobile_code").count()


def test_no_booking_without_the_code_and_a_wrong_code_counts(world):
    slot = world.slot(at(2026, 9, 28, 9, 30))
    client = Client()
    answer = client.post(slots_url(world), book_form(slot))
    assert answer.status_code == 400 and "请先获取验证码" in answer.content.decode()
    form = with_code(client, world, slot)
    wrong = "000000" if form["code"] != "000000" else "111111"
    answer = client.post(slots_url(world), {**form, "code": wrong})
    assert answer.status_code == 400 and "验证码不正确，还可尝试4次" in answer.content.decode()
    assert not Booking.objects.exists()
    assert client.post(slots_url(world), form).status_code == 302
    # Used up: the same code does not make a second booking.
    other_slot = world.slot(at(2026, 9, 29, 9, 30))
    answer = client.post(slots_url(world, "2026-09-29"), {**form, "slot": other_slot.pk})
    assert answer.status_code == 400 and "该验证码已使用" in answer.content.decode()
    assert Booking.objects.count() == 1


def test_a_code_is_kept_when_the_booking_is_refused_for_another_reason(world):
    full = world.slot(at(2026, 9, 28, 9, 30), capacity=1)
    services.book(trusted=True, slot_id=full.pk, item=world.item, person=person(9, mobile="13700001111"))
    client = Client()
    form = with_code(client, world, full)
    assert client.post(slots_url(world), form).status_code == 409
    free = world.slot(at(2026, 9, 28, 10, 0))
    assert client.post(slots_url(world), {**form, "slot": free.pk}).status_code == 302


def test_a_signed_in_applicant_with_a_verified_mobile_needs_no_code(world):
    applicant = verified(id_number=person_id("11010519900307001"), mobile="13912345678")
    client = client_for(applicant)
    slot = world.slot(at(2026, 9, 28, 9, 30))
    page = client.get(slots_url(world)).content.decode()
    assert "无需短信验证码" in page
    assert client.post(slots_url(world), book_form(slot)).status_code == 302
    # Another mobile must be proved.
    answer = client.post(slots_url(world, "2026-09-29"), book_form(world.slot(at(2026, 9, 29, 9, 30)),
                                                                   mobile="13800001111"))
    assert answer.status_code == 400 and "请先获取验证码" in answer.content.decode()


def test_an_id_number_holds_at_most_the_open_bookings_allowed(world, settings):
    settings.BOOKINGS_PER_ID = 2
    for day in (28, 29):
        services.book(trusted=True, slot_id=world.slot(at(2026, 9, day, 9, 30)).pk, item=world.item, person=person(1))
    slot = world.slot(at(2026, 9, 30, 9, 30))
    before = _codes_sent()
    answer = Client().post(slots_url(world, "2026-09-30"), {**book_form(slot), "send_code": "1"})
    body = answer.content.decode()
    assert answer.status_code == 429 and "您已有2个尚未办理的预约，每人最多同时保留2个" in body
    assert _codes_sent() == before  # no SMS for a booking that would be refused
    # Once one is cancelled (or done), the person may book again.
    services.cancel(Booking.objects.order_by("pk").first())
    client = Client()
    assert client.post(slots_url(world, "2026-09-30"), with_code(client, world, slot)).status_code == 302


def test_a_mobile_books_at_most_so_many_times_a_day(world, settings):
    settings.BOOKINGS_PER_MOBILE_DAY = 2
    for n, day in ((1, 28), (2, 29)):
        booking = services.book(trusted=True, slot_id=world.slot(at(2026, 9, day, 9, 30)).pk, item=world.item,
                                person=person(n))
    services.cancel(booking)  # cancelled bookings still count: booking and cancelling is no way round it
    slot = world.slot(at(2026, 9, 30, 9, 30))
    answer = Client().post(slots_url(world, "2026-09-30"), {**book_form(slot, 3), "send_code": "1"})
    assert answer.status_code == 429 and "该手机号码今日已预约2次，请明天再预约" in answer.content.decode()
    clock.set_now(at(2026, 9, 25, 9, 0))  # the next day
    client = Client()
    assert client.post(slots_url(world, "2026-09-30"), with_code(client, world, slot, 3)).status_code == 302


def test_an_address_books_at_most_so_many_times_an_hour(world, settings):
    settings.BOOKINGS_PER_ADDRESS_HOUR = 2
    client = Client(REMOTE_ADDR="203.0.113.7")
    for n, day in ((1, 28), (2, 29)):
        slot = world.slot(at(2026, 9, day, 9, 30))
        form = _proved(client, world, slot, n, day)
        assert client.post(slots_url(world, f"2026-09-{day}"), form).status_code == 302
    slot = world.slot(at(2026, 9, 30, 9, 30))
    answer = client.post(slots_url(world, "2026-09-30"), {**book_form(slot, 3), "send_code": "1"})
    assert answer.status_code == 429 and "当前网络预约过于频繁" in answer.content.decode()
    other = Client(REMOTE_ADDR="198.51.100.2")
    assert other.post(slots_url(world, "2026-09-30"), _proved(other, world, slot, 3, 30)).status_code == 302


def _proved(client, world, slot, n, day):
    clock.set_now(clock.now() + dt.timedelta(minutes=2))
    form = book_form(slot, n)
    client.post(slots_url(world, f"2026-09-{day}"), {**form, "send_code": "1"})
    return {**form, "code": last_code()}


@pytest.mark.parametrize("field, value, message", [("mobile", "1391234", "手机号码"),
                                                   ("id_number", "110105199003070012", "校验位")])
def test_no_code_is_sent_for_a_wrong_person(world, field, value, message):
    slot = world.slot(at(2026, 9, 28, 9, 30))
    answer = Client().post(slots_url(world), {**book_form(slot, **{field: value}), "send_code": "1"})
    assert answer.status_code == 400 and message in answer.content.decode()
    assert _codes_sent() == 0
