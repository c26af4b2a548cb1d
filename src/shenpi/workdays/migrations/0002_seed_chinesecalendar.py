"""Seed the working-day calendar from the `chinesecalendar` package.

The code is a frozen copy of services.seed_from_chinesecalendar() on purpose: a migration must
keep doing what it did when it was written, whatever the live models and services become.
Only years without an official entry are filled, so running it again (or after an
administrator's import) changes nothing.
"""

from importlib import metadata

from django.db import migrations

NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _name(english):
    return NAMES.get(english, english)[:50]


def seed(apps, schema_editor):
    import chinese_calendar

    CalendarDay = apps.get_model("workdays", "CalendarDay")
    CalendarYear = apps.get_model("workdays", "CalendarYear")
    try:
        version = metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:
        version = getattr(chinese_calendar, "__version__", "?")
    source = f"国务院办公厅节假日安排通知（chinesecalendar {version}）"
    first = min(chinese_calendar.holidays).year
    last = max(chinese_calendar.holidays).year
    official = set(CalendarYear.objects.filter(official=True).values_list("year", flat=True))
    for year in range(first, last + 1):
        if year in official:
            continue
        days = {d: (False, _name(n)) for d, n in chinese_calendar.holidays.items() if d.year == year}
        days.update(
            {d: (True, f"{_name(n)}调休上班") for d, n in chinese_calendar.workdays.items() if d.year == year}
        )
        CalendarDay.objects.filter(date__year=year).delete()
        CalendarDay.objects.bulk_create(
            CalendarDay(date=d, is_workday=is_workday, name=name) for d, (is_workday, name) in sorted(days.items())
        )
        CalendarYear.objects.update_or_create(year=year, defaults={"official": True, "source": source})


class Migration(migrations.Migration):

    dependencies = [
        ("workdays", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop, elidable=False),
    ]
