"""The State Council's holiday notice, pasted as published, becomes the year's calendar."""

import datetime as dt
from pathlib import Path

import chinese_calendar
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from shenpi import clock
from shenpi.workdays import services
from shenpi.workdays.models import CalendarDay, CalendarYear
from shenpi.workdays.notices import NoticeError
from shenpi.workdays.statecouncil import parse_state_council_notice
from tests.factories import login_staff

FIXTURES = Path(__file__).parent / "fixtures"
PASTE_URL = "admin:workdays_calendaryear_paste"


def text_of(year: int) -> str:
    return (FIXTURES / f"state_council_{year}.txt").read_text(encoding="utf-8")


def split(notice) -> tuple[set, set]:
    holidays = {day for day, (is_workday, _) in notice.days.items() if not is_workday}
    return holidays, set(notice.days) - holidays


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_real_notices_give_the_same_year_as_chinesecalendar(year):
    notice = parse_state_council_notice(text_of(year))
    holidays, workdays = split(notice)
    assert notice.year == year
    assert notice.source == f"国务院办公厅关于{year}年部分节假日安排的通知"
    assert holidays == {day for day in chinese_calendar.holidays if day.year == year}
    assert workdays == {day for day in chinese_calendar.workdays if day.year == year}


def test_the_2026_notice_day_by_day():
    notice = parse_state_council_notice(text_of(2026))
    holidays, workdays = split(notice)
    assert len(holidays) == 33
    assert sorted(workdays) == [dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 2, 28),
                                dt.date(2026, 5, 9), dt.date(2026, 9, 20), dt.date(2026, 10, 10)]
    assert notice.days[dt.date(2026, 2, 15)] == (False, "春节")
    assert notice.days[dt.date(2026, 2, 23)] == (False, "春节")
    assert notice.days[dt.date(2026, 9, 20)] == (True, "国庆节调休上班")


def test_a_holiday_shared_by_two_festivals_keeps_both_names():
    notice = parse_state_council_notice(text_of(2025))
    assert notice.days[dt.date(2025, 10, 6)] == (False, "国庆节、中秋节")
    assert notice.days[dt.date(2025, 1, 1)] == (False, "元旦")
    assert dt.date(2025, 1, 2) not in notice.days


def test_the_items_alone_on_one_line_with_the_year_given():
    line = ("一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。"
            "二、清明节：4月4日（周六）至6日（周一）放假，共3天。")
    notice = parse_state_council_notice(line, 2026)
    holidays, workdays = split(notice)
    assert holidays == {dt.date(2026, 1, d) for d in (1, 2, 3)} | {dt.date(2026, 4, d) for d in (4, 5, 6)}
    assert workdays == {dt.date(2026, 1, 4)}


@pytest.mark.parametrize(("text", "year", "message"), [
    ("一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。", 2025, "2025年1月1日是星期三，通知写的是周四"),
    ("一、元旦：1月1日（周四）至3日（周六）放假调休，共4天。", 2026, "是3天，通知写的是共4天"),
    ("一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月5日（周一）上班。", 2026, "本来就是工作日"),
    ("一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。", None, "通知正文中没有年份"),
    ("元旦放假三天", 2026, "没有找到“一、元旦"),
    ("一、元旦：2月30日放假1天。", 2026, "日期“2月30日”不存在"),
    (text_of(2026).replace("2026年部分", "2027年部分"), None, "2027年1月1日是星期五"),
])
def test_a_wrong_or_mistyped_notice_is_refused_saying_where(text, year, message):
    with pytest.raises(NoticeError, match=message):
        parse_state_council_notice(text, year)


def test_a_year_given_must_agree_with_the_title():
    with pytest.raises(NoticeError, match="所填年份 2025 与通知标题中的 2026 年不一致"):
        parse_state_council_notice(text_of(2026), 2025)


# --- the admin page: paste, preview, save ------------------------------------------------------

@pytest.fixture
def admin(client, db):
    user = get_user_model().objects.create_superuser("calendar-admin", "a@example.org", "x" * 16)
    login_staff(client, user)
    clock.set_now(dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC))
    return client


def test_preview_shows_the_year_and_stores_nothing_then_save_stores_it(admin):
    CalendarDay.objects.filter(date__year=2026).delete()
    CalendarYear.objects.filter(year=2026).delete()
    url = reverse(PASTE_URL)
    assert admin.get(url).status_code == 200
    response = admin.post(url, {"text": text_of(2026), "preview": "预览"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "2026年节假日安排预览：放假 33 天，调休上班 6 天" in page
    assert "2月15日（周日）至2月23日（周一）" in page and "2月14日（周六）、2月28日（周六）" in page
    assert "保存2026年安排" in page
    assert not CalendarDay.objects.filter(date__year=2026).exists()

    response = admin.post(url, {"text": text_of(2026), "save": "保存"})
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2026).source == "国务院办公厅关于2026年部分节假日安排的通知"
    assert CalendarDay.objects.filter(date__year=2026, is_workday=False).count() == 33
    calendar = services.get_calendar()
    assert not calendar.is_workday(dt.date(2026, 2, 16)) and calendar.is_workday(dt.date(2026, 2, 28))


def test_the_preview_names_the_days_that_change(admin):
    services.seed_from_chinesecalendar()
    CalendarDay.objects.filter(date=dt.date(2026, 10, 10)).delete()
    page = admin.post(reverse(PASTE_URL), {"text": text_of(2026), "preview": "预览"}).content.decode()
    assert "2026年10月10日（周六）：无 → 上班" in page and "2026年已有正式数据，保存将替换它" in page


def test_a_bad_paste_is_explained_and_changes_nothing(admin):
    before = CalendarDay.objects.count()
    bad = text_of(2026).replace("共9天", "共8天")
    response = admin.post(reverse(PASTE_URL), {"text": bad, "save": "保存"})
    assert response.status_code == 200
    assert "通知写的是共8天" in response.content.decode()
    assert CalendarDay.objects.count() == before


def test_only_those_who_may_import_may_paste(client, db):
    user = get_user_model().objects.create_user("viewer", "v@example.org", "x" * 16, is_staff=True)
    login_staff(client, user)
    assert client.get(reverse(PASTE_URL)).status_code == 403
