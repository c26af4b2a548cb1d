"""A citizen books at a window by its own hours, in a real browser.

Two windows of 公安局: 户籍 (H01) serves 9:00–12:00 and 13:30–17:00, Wednesdays until 19:00
(延时服务) and Saturday mornings (预约服务); 出入境 (H02) keeps the centre's default hours. Both
published 30-minute slots for the week of Monday 12 October 2026. The citizen reads the hours on
the item's page, finds Saturday only at H01, sees no slot in the noon break on a weekday, and books
the Saturday morning with the SMS code that proves the mobile. Screenshots go to test-artifacts/screenshots/.
"""

import datetime as dt
import os
import re

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.appointments import services
from shenpi.appointments.models import Booking
from shenpi.catalog.models import WeeklyHours, Window
from shenpi.workdays import services as workdays
from tests import factories as f
from tests.applicants.helpers import last_code, listening, person_id
from tests.browser import browser_windows, shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

T = dt.time
SATURDAY, TUESDAY, WEDNESDAY = dt.date(2026, 10, 17), dt.date(2026, 10, 13), dt.date(2026, 10, 14)


@pytest.fixture
def police():
    workdays.seed_from_chinesecalendar()  # a transactional test elsewhere may have flushed the table
    workdays.forget_calendar()
    cache.clear()
    clock.set_now(timezone.make_aware(dt.datetime(2026, 10, 12, 8, 0)))  # Monday, before opening
    dept = f.department("市公安局", short_name="公安局")
    household = Window.objects.create(department=dept, number="H01", name="户籍窗口", location="二楼B区")
    exit_entry = Window.objects.create(department=dept, number="H02", name="出入境窗口", location="二楼B区")
    for weekday in range(1, 6):
        WeeklyHours.objects.create(window=household, weekday=weekday, morning_opens=T(9, 0), morning_closes=T(12, 0),
                                   afternoon_opens=T(13, 30), afternoon_closes=T(17, 0),
                                   extended_until=T(19, 0) if weekday == 3 else None)
    WeeklyHours.objects.create(window=household, weekday=6, morning_opens=T(9, 0), morning_closes=T(12, 0),
                               note="预约服务")
    clerk = f.user(dept, Role.CLERK, full_name="户籍窗口甲", window=household)
    item = f.item(dept, name="居民户口迁移登记", promised=5, statutory=20)
    for window in (household, exit_entry):
        services.publish(window=window, first=dt.date(2026, 10, 12), last=dt.date(2026, 10, 18), every=30,
                         capacity=2, actor=clerk)
    return item, household, exit_entry


def slot_times(page) -> list[str]:
    return [re.search(r"\d\d:\d\d–\d\d:\d\d", text).group(0)
            for text in page.locator("label.slot-choice").all_inner_texts()]


def test_no_lunch_break_slots_and_a_saturday_slot_at_the_window_that_serves_saturdays(live_server, police):
    item, household, exit_entry = police
    base = live_server.url
    with browser_windows() as open_page:
        page = open_page()
        page.goto(f"{base}/appointments/?q=户口")
        page.get_by_role("link", name=re.compile("居民户口迁移登记")).first.click()
        page.wait_for_url(re.compile(rf"/appointments/items/{item.code}/$"))

        # Each window's own hours, read before choosing.
        h01 = page.locator("section.account-card", has_text="H01号窗口")
        h02 = page.locator("section.account-card", has_text="H02号窗口")
        expect(h01).to_contain_text("周三 9:00–12:00，13:30–17:00，延时服务至19:00")
        expect(h01).to_contain_text("周六 9:00–12:00（预约服务）")
        expect(h02).to_contain_text("周一至周五 9:00–12:00，13:30–17:30")
        saturday = f"/appointments/items/{item.code}/H01/{SATURDAY:%Y-%m-%d}/"
        expect(h01.locator(f"a[href='{saturday}']")).to_have_count(1)
        expect(h02.locator(f"a[href*='{SATURDAY:%Y-%m-%d}']")).to_have_count(0)
        shot(page, "appointments-window-hours")

        # A weekday: nothing starts or runs into 12:00–13:30, at either window.
        for window in ("H01", "H02"):
            page.goto(f"{base}/appointments/items/{item.code}/{window}/{TUESDAY:%Y-%m-%d}/")
            times = slot_times(page)
            assert times[:6] == ["09:00–09:30", "09:30–10:00", "10:00–10:30", "10:30–11:00", "11:00–11:30",
                                 "11:30–12:00"]
            assert times[6] == "13:30–14:00"
            assert not [t for t in times if "12:00" < t[:5] < "13:30" or "12:00" < t[-5:] <= "13:30"]
        # Wednesday evening at H01 only.
        page.goto(f"{base}/appointments/items/{item.code}/H01/{WEDNESDAY:%Y-%m-%d}/")
        assert slot_times(page)[-1] == "18:30–19:00"

        # Saturday morning at H01: book it.
        page.goto(f"{base}/appointments/items/{item.code}")
        page.locator(f"a[href='{saturday}']").click()
        page.wait_for_url(re.compile(re.escape(saturday) + "$"))
        assert slot_times(page) == ["09:00–09:30", "09:30–10:00", "10:00–10:30", "10:30–11:00", "11:00–11:30",
                                    "11:30–12:00"]
        page.locator("label.slot-choice", has_text="10:00–10:30").locator("input").check()
        page.fill("input[name=name]", "王芳")
        page.fill("input[name=id_number]", person_id("11010519900307021"))
        page.fill("input[name=mobile]", "13912345678")
        shot(page, "appointments-saturday-slots")
        # The mobile is proved first: the code comes by SMS (the log backend's outbox here).
        with listening(), page.expect_navigation():  # the live server sends the SMS at once
            page.get_by_role("button", name="获取验证码").click()
        expect(page.locator("main")).to_contain_text("验证码已发送至 139****5678")
        expect(page.locator("label.slot-choice", has_text="10:00–10:30").locator("input")).to_be_checked()
        expect(page.locator("input[name=id_number]")).to_have_value(person_id("11010519900307021"))
        page.fill("input[name=code]", last_code())
        shot(page, "appointments-saturday-code")
        with page.expect_navigation():
            page.press("input[name=code]", "Enter")  # Enter books: it does not ask for another code
        expect(page.locator("main")).to_contain_text("预约成功")
        booking = Booking.objects.get()
        assert booking.window == household and booking.day == SATURDAY
        assert timezone.localtime(booking.slot.start).time() == T(10, 0)
        shot(page, "appointments-saturday-booked")
