"""The seed from `chinesecalendar`: complete, named in Chinese, safe to run again."""

import datetime as dt
import importlib

import chinese_calendar
import pytest
from django.apps import apps

from shenpi.workdays import services
from shenpi.workdays.models import CalendarDay, CalendarYear
from shenpi.workdays.notices import chinesecalendar_version

pytestmark = pytest.mark.usefixtures("seeded")

FIRST = min(chinese_calendar.holidays).year
LAST = max(chinese_calendar.holidays).year
migration = importlib.import_module("shenpi.workdays.migrations.0002_seed_chinesecalendar")


def table():
    return sorted(CalendarDay.objects.values_list("date", "is_workday", "name"))


def years():
    return sorted(CalendarYear.objects.values_list("year", "official", "source"))


def test_every_day_of_the_package_is_stored():
    stored = dict(CalendarDay.objects.values_list("date", "is_workday"))
    assert {d for d, is_workday in stored.items() if not is_workday} == set(chinese_calendar.holidays)
    assert {d for d, is_workday in stored.items() if is_workday} == set(chinese_calendar.workdays)


def test_every_year_of_the_package_is_official_with_its_source():
    source = f"国务院办公厅节假日安排通知（chinesecalendar {chinesecalendar_version()}）"
    rows = dict(CalendarYear.objects.filter(year__range=(FIRST, LAST)).values_list("year", "source"))
    assert sorted(rows) == list(range(FIRST, LAST + 1))
    assert set(rows.values()) == {source}
    assert CalendarYear.objects.filter(year__range=(FIRST, LAST), official=False).count() == 0


def test_every_holiday_name_is_chinese():
    names = set(CalendarDay.objects.values_list("name", flat=True))
    assert {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节", "抗战胜利纪念日"} <= names
    assert all(not any("a" <= ch.lower() <= "z" for ch in name) for name in names)
    assert CalendarDay.objects.filter(is_workday=True).exclude(name__endswith="调休上班").count() == 0


def test_seeding_again_changes_nothing():
    before = (table(), years())
    result = services.seed_from_chinesecalendar()
    assert result.seeded == []
    assert result.kept == list(range(FIRST, LAST + 1))
    assert (table(), years()) == before


def test_the_migration_is_idempotent_and_equals_the_service():
    expected = (table(), years())
    migration.seed(apps, None)
    assert (table(), years()) == expected
    CalendarDay.objects.filter(date__year=2026).delete()
    CalendarYear.objects.filter(year=2026).delete()
    migration.seed(apps, None)
    assert table() == expected[0]
    assert [row[:2] for row in years()] == [row[:2] for row in expected[1]]


def test_seeding_fills_a_missing_year_and_repairs_an_estimated_one():
    CalendarDay.objects.filter(date__year=2025).delete()
    CalendarYear.objects.filter(year=2025).update(official=False)
    CalendarDay.objects.filter(date__year=2024).delete()
    CalendarYear.objects.filter(year=2024).delete()
    result = services.seed_from_chinesecalendar()
    assert result.seeded == [2024, 2025]
    assert services.get_calendar().add(dt.date(2025, 9, 30), 1) == dt.date(2025, 10, 9)


def test_an_imported_year_wins_over_the_package_even_on_refresh():
    services.import_notice("date,kind,name\n2026-10-08,holiday,国庆节（延长）\n", "csv")
    edited = CalendarDay.objects.get(date=dt.date(2025, 10, 1))
    edited.name = "改过的名称"
    edited.save()

    services.seed_from_chinesecalendar()
    assert CalendarDay.objects.get(date=dt.date(2025, 10, 1)).name == "改过的名称"

    result = services.seed_from_chinesecalendar(refresh=True)
    assert 2026 in result.kept and 2025 in result.seeded
    # Package years are stored again; the imported year keeps the administrator's notice.
    assert CalendarDay.objects.get(date=dt.date(2025, 10, 1)).name == "国庆节"
    assert CalendarDay.objects.filter(date__year=2026).count() == 1
    assert not services.get_calendar().is_workday(dt.date(2026, 10, 8))
