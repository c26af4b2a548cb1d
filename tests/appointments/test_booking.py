"""预约: a place is taken in the booking's own transaction; never more than the capacity; cancel frees it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from shenpi import clock
from shenpi.appointments import services
from shenpi.appointments.models import Booking, Slot
from shenpi.errors import InvalidInput, TransitionRefused
from shenpi.notifications.models import Notification

from .conftest import MOBILE, at, person


def test_booking_takes_a_place_stores_personal_data_encrypted_and_writes_the_sms(world):
    slot = world.slot(at(2026, 9, 28, 9, 30))
    booking = services.book(trusted=True, slot_id=slot.pk, item=world.item,
                            person=person(1, name=" 李四 ", mobile="139 1234 5678"))
    slot.refresh_from_db()
    assert slot.booked == 1
    assert booking.status == Booking.Status.BOOKED and booking.day == dt.date(2026, 9, 28)
    assert booking.applicant_name == "李四" and booking.item_name == "食品经营许可证核发"
    assert len(booking.code) == services.CODE_LENGTH and set(booking.code) <= set(services.CODE_ALPHABET)
    assert booking.id_masked == "110105********" + booking.id_number[-4:]
    assert booking.mobile_masked == "139****5678"
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, mobile FROM appointments_booking WHERE id = %s", [booking.pk])
        stored_id, stored_mobile = cursor.fetchone()
    assert stored_id.startswith("sm4gcm:v1:") and booking.id_number not in stored_id
    assert stored_mobile.startswith("sm4gcm:v1:")
    message = Notification.objects.get(template="appointment_booked")
    assert message.channel == Notification.Channel.SMS and message.address == MOBILE
    assert message.topic == f"appointment:{booking.pk}"
    assert "食品经营许可证核发" in message.body and booking.code in message.body
    assert "2026年9月28日 09:30至10:00" in message.body and "A08号窗口" in message.body


def test_a_slot_is_never_booked_beyond_its_capacity(world):
    slot = world.slot(at(2026, 9, 28, 9, 30), capacity=2)
    services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(1))
    services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(2))
    with pytest.raises(TransitionRefused, match="已约满"):
        services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(3))
    slot.refresh_from_db()
    assert slot.booked == 2
    assert Booking.objects.count() == 2
    assert Notification.objects.filter(template="appointment_booked").count() == 2


def test_the_database_itself_refuses_an_overbooked_slot(world):
    slot = world.slot(at(2026, 9, 28, 9, 30), capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked=2)


def test_one_booking_per_id_number_per_window_and_day(world):
    morning, afternoon = world.slot(at(2026, 9, 28, 9, 30)), world.slot(at(2026, 9, 28, 14, 0))
    first = services.book(trusted=True, slot_id=morning.pk, item=world.item, person=person(1))
    with pytest.raises(TransitionRefused, match="每人每天只能预约一次") as refused:
        services.book(trusted=True, slot_id=afternoon.pk, item=world.item, person=person(1, mobile="13800138000"))
    assert "id_number" in refused.value.fields
    afternoon.refresh_from_db()
    assert afternoon.booked == 0
    # Another day, and the same day after cancelling, are fine.
    services.book(trusted=True, slot_id=world.slot(at(2026, 9, 29, 9, 30)).pk, item=world.item, person=person(1))
    services.cancel(first)
    services.book(trusted=True, slot_id=afternoon.pk, item=world.item, person=person(1))
    assert Booking.objects.filter(status=Booking.Status.BOOKED).count() == 2


def test_the_unique_index_backs_the_duplicate_check(world):
    """Two requests of one person at once both pass the check: the index refuses the second row."""
    booking = services.book(trusted=True, slot_id=world.slot(at(2026, 9, 28, 9, 30)).pk, item=world.item,
                            person=person(1))
    other = world.slot(at(2026, 9, 28, 14, 0))
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(code="X" * 10, slot=other, window=other.window, day=booking.day, item=world.item,
                               item_name="x", applicant_name="x", id_number="x", id_index=booking.id_index,
                               id_masked="x", mobile="x", mobile_index="x", mobile_masked="x",
                               created_at=clock.now())


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"id_number": "110105199003070012"}, "id_number", "校验位不正确"),
    ({"id_number": "11010519900300"}, "id_number", "应为18位"),
    ({"mobile": "0571-87654321"}, "mobile", "11位数字"),
    ({"name": "  "}, "name", "请填写姓名"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(world, changes, field, message):
    slot = world.slot(at(2026, 9, 28, 9, 30))
    values = {"name": "李四", "id_number": person(1).id_number, "mobile": MOBILE, **changes}
    with pytest.raises(InvalidInput) as refused:
        services.book(trusted=True, slot_id=slot.pk, item=world.item, person=services.Person(**values))
    assert message in refused.value.fields[field][0]
    slot.refresh_from_db()
    assert slot.booked == 0
    assert not Booking.objects.exists() and not Notification.objects.exists()


def test_a_slot_of_another_department_or_item_cannot_be_used(world):
    theirs = world.slot(at(2026, 9, 28, 9, 30), window=world.other_window)
    with pytest.raises(InvalidInput, match="可预约的时段"):
        services.book(trusted=True, slot_id=theirs.pk, item=world.item, person=person(1))
    only_other = world.slot(at(2026, 9, 28, 9, 30), item=f_item(world))
    with pytest.raises(InvalidInput):
        services.book(trusted=True, slot_id=only_other.pk, item=world.item, person=person(1))
    mine = world.slot(at(2026, 9, 28, 10, 0), item=world.item)
    services.book(trusted=True, slot_id=mine.pk, item=world.item, person=person(1))


def f_item(world):
    from tests import factories as f

    return f.item(world.dept, name="餐饮服务许可证变更")


def test_a_slot_that_has_started_cannot_be_booked(world):
    slot = world.slot(at(2026, 9, 28, 9, 30))
    clock.set_now(at(2026, 9, 28, 9, 30))
    with pytest.raises(TransitionRefused, match="已经开始"):
        services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(1))


def test_cancelling_frees_the_place(world):
    slot = world.slot(at(2026, 9, 28, 9, 30), capacity=1)
    booking = services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(1))
    with pytest.raises(TransitionRefused):
        services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(2))
    clock.set_now(at(2026, 9, 28, 9, 0))
    cancelled = services.cancel(booking)
    assert cancelled.status == Booking.Status.CANCELLED and cancelled.cancelled_at == at(2026, 9, 28, 9, 0)
    slot.refresh_from_db()
    assert slot.booked == 0
    services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(2))
    with pytest.raises(TransitionRefused, match="已取消或已办理"):
        services.cancel(booking)
    slot.refresh_from_db()
    assert slot.booked == 1


def test_no_cancelling_once_the_slot_has_started(world):
    slot = world.slot(at(2026, 9, 28, 9, 30))
    booking = services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(1))
    clock.set_now(at(2026, 9, 28, 9, 30))
    with pytest.raises(TransitionRefused, match="已经开始"):
        services.cancel(booking)
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED and slot.booked == 1


def test_finding_bookings_by_id_or_code_always_with_the_mobile(world):
    a = services.book(trusted=True, slot_id=world.slot(at(2026, 9, 28, 9, 30)).pk, item=world.item, person=person(1))
    b = services.book(trusted=True, slot_id=world.slot(at(2026, 9, 29, 9, 30)).pk, item=world.item, person=person(1))
    services.book(trusted=True, slot_id=world.slot(at(2026, 9, 29, 10, 0)).pk, item=world.item, person=person(2))
    assert [x.code for x in services.find_bookings(mobile=MOBILE, id_number=person(1).id_number)] == [b.code, a.code]
    assert [x.code for x in services.find_bookings(mobile=MOBILE, code=a.code.lower())] == [a.code]
    assert services.find_bookings(mobile="13800138000", id_number=person(1).id_number) == []
    assert services.find_bookings(mobile="13800138000", code=a.code) == []
    with pytest.raises(InvalidInput) as refused:
        services.find_bookings(mobile="12", id_number="1101")
    assert set(refused.value.fields) == {"mobile", "id_number"}


def test_failed_lookups_are_limited_per_address(world, settings):
    settings.QUERY_ATTEMPTS = 3
    for _ in range(3):
        assert services.find_bookings(mobile=MOBILE, code="ABCDEFGHJK", ip="10.0.0.9") == []
    with pytest.raises(services.TooManyLookups):
        services.find_bookings(mobile=MOBILE, code="ABCDEFGHJK", ip="10.0.0.9")
    assert services.find_bookings(mobile=MOBILE, code="ABCDEFGHJK", ip="10.0.0.10") == []


def test_marking_attendance(world):
    slot = world.slot(at(2026, 9, 28, 9, 30))
    came = services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(1))
    absent = services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(2))
    with pytest.raises(TransitionRefused, match="日期未到"):
        services.mark(came, "attended", actor=world.clerk)
    clock.set_now(at(2026, 9, 28, 9, 0))
    with pytest.raises(TransitionRefused, match="尚未开始"):
        services.mark(absent, "no_show", actor=world.clerk)
    assert services.mark(came, "attended", actor=world.clerk).status == Booking.Status.ATTENDED
    from shenpi.errors import Forbidden

    clock.set_now(at(2026, 9, 28, 10, 5))
    with pytest.raises(Forbidden):
        services.mark(absent, "no_show", actor=world.other_clerk)
    marked = services.mark(absent, "no_show", actor=world.clerk)
    assert marked.status == Booking.Status.NO_SHOW and marked.marked_by == world.clerk
    with pytest.raises(TransitionRefused, match="已取消或已登记"):
        services.mark(came, "no_show", actor=world.clerk)
    with pytest.raises(TransitionRefused):
        services.cancel(came)
