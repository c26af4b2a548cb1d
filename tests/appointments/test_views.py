"""The public booking pages and the window's pages, through the browser's requests."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from shenpi import clock
from shenpi.appointments import services
from shenpi.appointments.models import Booking, Slot
from shenpi.catalog.models import HoursException, WeeklyHours
from tests.applicants.helpers import client_for, last_code, real_named, verified

from .conftest import MOBILE, at, person


def slots_url(world, day="2026-09-28"):
    return reverse("appointments:slots", args=[world.item.code, world.window.number, day])


def book_form(slot, n=1, **changes):
    p = person(n)
    return {"slot": slot.pk, "name": p.name, "id_number": p.id_number, "mobile": p.mobile, **changes}


def with_code(client, world, slot, n=1, **changes):
    """The booking form after 获取验证码, with the code of the SMS filled in as the applicant would."""
    clock.set_now(clock.now() + dt.timedelta(minutes=2))  # past the one-code-a-minute limit of a mobile
    form = book_form(slot, n, **changes)
    answer = client.post(slots_url(world), {**form, "send_code": "1"})
    assert answer.status_code == 200 and "验证码已发送至 139****5678" in answer.content.decode()
    return {**form, "code": last_code()}


def test_choose_item_window_day_slot_and_book(world):
    slot = world.slot(at(2026, 9, 28, 9, 30), capacity=1)
    world.slot(at(2026, 9, 28, 10, 0), window=world.other_window)  # another department's: not offered here
    client = Client()
    listing = client.get(reverse("appointments:items")).content.decode()
    assert "食品经营许可证核发" in listing and "建筑工程施工许可证核发" in listing
    page = client.get(reverse("appointments:item", args=[world.item.code])).content.decode()
    assert "A08号窗口" in page and slots_url(world) in page and "余 1 个" in page and "B02" not in page
    assert "建筑工程施工许可证核发" not in client.get(reverse("appointments:items") + "?q=食品").content.decode()
    day = client.get(slots_url(world)).content.decode()
    assert "09:30–10:00" in day and 'name="slot"' in day
    answer = client.post(slots_url(world), with_code(client, world, slot))
    booking = Booking.objects.get()
    assert answer.status_code == 302 and answer.url == reverse("appointments:booking", args=[booking.code])
    shown = client.get(answer.url).content.decode()
    assert booking.code in shown and "110105********" in shown and booking.id_number not in shown
    # Full now: the day shows it and a second booking is refused with a message.
    assert "已约满" in client.get(reverse("appointments:item", args=[world.item.code])).content.decode()
    other = Client()
    refused = other.post(slots_url(world), with_code(other, world, slot, 2))
    assert refused.status_code == 409 and "已约满" in refused.content.decode()


def test_a_bad_id_number_is_refused_on_the_page(world):
    slot = world.slot(at(2026, 9, 28, 9, 30))
    answer = Client().post(slots_url(world), book_form(slot, id_number="110105199003070012"))
    assert answer.status_code == 400
    assert "身份证号码校验位不正确" in answer.content.decode()
    assert not Booking.objects.exists()


def test_nobody_else_sees_a_booking_and_the_mobile_proves_it(world):
    slot = world.slot(at(2026, 9, 28, 9, 30))
    booking = services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(1))
    stranger = Client()
    assert stranger.get(reverse("appointments:booking", args=[booking.code])).url == reverse("appointments:mine")
    assert stranger.post(reverse("appointments:cancel", args=[booking.code])).status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED
    wrong = stranger.post(reverse("appointments:mine"), {"code": booking.code, "mobile": "13800138000"})
    assert "没有找到相符的预约" in wrong.content.decode()
    found = stranger.post(reverse("appointments:mine"), {"id_number": person(1).id_number, "mobile": MOBILE})
    assert booking.code in found.content.decode()
    # Proven: the visitor may now cancel it, which frees the place.
    stranger.post(reverse("appointments:cancel", args=[booking.code]))
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and slot.booked == 0


def test_lookups_are_rate_limited(world, settings):
    settings.QUERY_ATTEMPTS = 2
    client = Client()
    for _ in range(2):
        assert client.post(reverse("appointments:mine"), {"code": "ABCDEFGHJK", "mobile": MOBILE}).status_code == 200
    limited = client.post(reverse("appointments:mine"), {"code": "ABCDEFGHJK", "mobile": MOBILE})
    assert limited.status_code == 429 and "次数过多" in limited.content.decode()


def test_a_signed_in_applicant_sees_and_books_with_their_own_details(world):
    applicant = verified(id_number=person(5).id_number, mobile="13912340000", name="赵六")
    slot = world.slot(at(2026, 9, 28, 9, 30))
    client = client_for(applicant)
    form = client.get(slots_url(world)).content.decode()
    assert person(5).id_number in form and "赵六" in form
    booking = services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(5, name="赵六"))
    services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(6))
    # Bookings made elsewhere under the ID number show only once the account is real-name verified.
    assert booking.code not in client.get(reverse("appointments:mine")).content.decode()
    assert client.get(reverse("appointments:booking", args=[booking.code])).status_code == 302  # to the lookup
    real_named(applicant)
    mine = client.get(reverse("appointments:mine")).content.decode()
    assert booking.code in mine and Booking.objects.exclude(pk=booking.pk).get().code not in mine
    assert client.get(reverse("appointments:booking", args=[booking.code])).status_code == 200


def test_cannot_cancel_on_the_page_after_the_start(world):
    slot = world.slot(at(2026, 9, 28, 9, 30))
    client = Client()
    client.post(slots_url(world), with_code(client, world, slot))
    booking = Booking.objects.get()
    clock.set_now(at(2026, 9, 28, 9, 45))
    page = client.get(reverse("appointments:booking", args=[booking.code])).content.decode()
    assert "取消预约</button>" not in page
    answer = client.post(reverse("appointments:cancel", args=[booking.code]), follow=True)
    assert "不能再取消" in answer.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


# -- the window ---------------------------------------------------------------------------------------

def test_the_window_sees_the_days_bookings_masked_and_marks_attendance(world):
    slot = world.slot(at(2026, 9, 28, 9, 30))
    booking = services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(1))
    services.book(trusted=True, slot_id=world.slot(at(2026, 9, 29, 9, 30)).pk, item=world.item,
                  person=person(2, name="王五"))
    clock.set_now(at(2026, 9, 28, 9, 35))
    clerk = world.client(world.clerk)
    page = clerk.get(reverse("appointments_staff:day")).content.decode()
    assert booking.code in page and "李四" in page and "王五" not in page
    assert booking.id_masked in page and booking.id_number not in page and "139****5678" in page
    assert "预约</a>" in page  # the nav link
    other_day = clerk.get(reverse("appointments_staff:day") + "?window=A08&day=2026-09-29").content.decode()
    assert "王五" in other_day and "李四" not in other_day
    clerk.post(reverse("appointments_staff:mark", args=[booking.code]), {"outcome": "attended"})
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ATTENDED and booking.marked_by == world.clerk


def test_other_departments_and_non_window_staff_are_kept_out(world):
    slot = world.slot(at(2026, 9, 28, 9, 30))
    booking = services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(1))
    clock.set_now(at(2026, 9, 28, 9, 35))
    other = world.client(world.other_clerk)
    page = other.get(reverse("appointments_staff:day") + "?window=A08&day=2026-09-28").content.decode()
    assert booking.code not in page
    assert other.post(reverse("appointments_staff:mark", args=[booking.code]),
                      {"outcome": "attended"}).status_code == 404
    assert world.client(world.handler).get(reverse("appointments_staff:day")).status_code == 403
    assert world.client(world.handler).get(reverse("appointments_staff:publish")).status_code == 403
    anonymous = Client().get(reverse("appointments_staff:day"))
    assert anonymous.status_code == 302 and "/login/" in anonymous.url
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_publishing_from_the_workbench(world):
    clerk = world.client(world.clerk)
    form = clerk.get(reverse("appointments_staff:publish")).content.decode()
    assert "A08" in form and "B02" not in form
    assert "窗口办公时间" in form and "周一至周五 9:00–12:00，13:30–17:30" in form
    answer = clerk.post(reverse("appointments_staff:publish"), {
        "window": world.window.pk, "item": world.item.pk, "first": "2026-09-30", "last": "2026-10-08",
        "every": "60", "capacity": "3"}, follow=True)
    text = answer.content.decode()
    assert "已发布 14 个时段，覆盖 2 个办公日" in text and "7 天窗口不办公" in text
    assert Slot.objects.filter(item=world.item, capacity=3).count() == 14
    refused = clerk.post(reverse("appointments_staff:publish"), {
        "window": world.window.pk, "first": "2026-10-08", "last": "2026-09-30", "every": "30", "capacity": "2"})
    assert refused.status_code == 400 and "结束日期不能早于开始日期" in refused.content.decode()
    wrong_window = clerk.post(reverse("appointments_staff:publish"), {
        "window": world.other_window.pk, "first": "2026-09-30", "last": "2026-09-30", "every": "30", "capacity": "2"})
    assert wrong_window.status_code == 400 and Slot.objects.filter(window=world.other_window).count() == 0


def test_the_day_list_defaults_to_today(world):
    assert clock.today() == dt.date(2026, 9, 24)
    page = world.client(world.clerk).get(reverse("appointments_staff:day")).content.decode()
    assert "2026年9月24日" in page


def test_the_item_page_and_the_guide_show_each_windows_hours(world):
    T = dt.time
    for weekday in range(1, 6):
        WeeklyHours.objects.create(window=world.window, weekday=weekday, morning_opens=T(9, 0),
                                   morning_closes=T(12, 0), afternoon_opens=T(13, 30), afternoon_closes=T(17, 0),
                                   extended_until=T(19, 0) if weekday == 3 else None)
    WeeklyHours.objects.create(window=world.window, weekday=6, morning_opens=T(9, 0), morning_closes=T(12, 0),
                               note="预约服务")
    HoursException.objects.create(window=world.window, day=dt.date(2026, 9, 29), kind=HoursException.Kind.CLOSED,
                                  note="设备检修")
    world.slot(at(2026, 9, 28, 9, 30))
    page = Client().get(reverse("appointments:item", args=[world.item.code])).content.decode()
    for line in ["周一至周二 9:00–12:00，13:30–17:00", "周三 9:00–12:00，13:30–17:00，延时服务至19:00",
                 "周六 9:00–12:00（预约服务）", "9月29日 周二 暂停服务：设备检修"]:
        assert line in page
    guide = Client().get(reverse("portal:guide_item", args=[world.item.code])).content.decode()
    assert "A08号窗口" in guide and "延时服务至19:00" in guide and "设备检修" in guide
