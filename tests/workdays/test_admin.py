"""The calendar in the admin: lists, the missing-notice warning, the import page."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shenpi import clock
from shenpi.workdays import services
from shenpi.workdays.models import CalendarDay, CalendarYear
from tests.factories import login_staff

pytestmark = pytest.mark.usefixtures("seeded")

IMPORT_URL = "admin:workdays_calendaryear_import"
GOOD = "date,kind,name\n2027-10-01,holiday,国庆节\n2027-10-09,workday,国庆节调休上班\n"


@pytest.fixture
def admin(client):
    user = get_user_model().objects.create_superuser("calendar-admin", "a@example.org", "x" * 16)
    login_staff(client, user)
    clock.set_now(dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC))
    return client


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def test_year_list_warns_about_the_missing_notice_and_offers_the_import(admin):
    response = admin.get(reverse("admin:workdays_calendaryear_changelist"))
    assert response.status_code == 200
    assert any(message.startswith("2027年尚无国务院节假日安排通知") for message in messages_of(response))
    assert reverse(IMPORT_URL) in response.content.decode()
    assert "chinesecalendar" in response.content.decode()


def test_no_warning_once_both_years_are_official(admin):
    CalendarYear.objects.create(year=2027, official=True, source="测试")
    response = admin.get(reverse("admin:workdays_calendaryear_changelist"))
    assert not any("尚无" in message for message in messages_of(response))


def test_day_list_with_year_filter_and_search(admin):
    url = reverse("admin:workdays_calendarday_changelist")
    response = admin.get(url, {"year": "2026", "q": "国庆"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "2026年10月1日" in page or "2026-10-01" in page
    # Seven days off and the two make-up days named after the holiday.
    assert response.context["cl"].result_count == 9
    rest_only = admin.get(url, {"year": "2026", "q": "国庆", "is_workday__exact": "0"})
    assert rest_only.context["cl"].result_count == 7
    assert admin.get(url, {"date__year": "2026", "date__month": "2"}).status_code == 200


def test_upload_imports_the_year(admin):
    upload = SimpleUploadedFile("holidays-2027.csv", GOOD.encode())
    response = admin.post(reverse(IMPORT_URL), {"file": upload}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:workdays_calendaryear_changelist")
    assert "已导入2027年节假日安排：放假 1 天，调休上班 1 天。该年度已标记为正式。" in messages_of(response)
    assert CalendarYear.objects.get(year=2027).official
    assert services.get_calendar().is_workday(dt.date(2027, 10, 9))


def test_a_bad_upload_shows_the_reason_and_changes_nothing(admin):
    upload = SimpleUploadedFile("holidays-2027.csv", (GOOD + "2027-10-10,rest,x\n").encode())
    response = admin.post(reverse(IMPORT_URL), {"file": upload})
    assert response.status_code == 200
    assert "第 4 行：类别“rest”无效" in response.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_the_import_page_needs_the_rights(client):
    staff = get_user_model().objects.create_user("clerk", password="x" * 16, is_staff=True)
    login_staff(client, staff)
    assert client.get(reverse(IMPORT_URL)).status_code == 403


def test_editing_a_day_of_an_estimated_year_warns_that_it_is_not_used(admin):
    response = admin.post(
        reverse("admin:workdays_calendarday_add"),
        {"date": "2027-10-06", "is_workday": "", "name": "国庆节"}, follow=True,
    )
    assert CalendarDay.objects.filter(date=dt.date(2027, 10, 6)).exists()
    assert any("2027年尚未标记" in message for message in messages_of(response))
