"""Importing a year's notice: good files change the calendar, bad files change nothing."""

import datetime as dt
from pathlib import Path

import pytest

from shenpi.workdays import services
from shenpi.workdays.calendar import estimated_holidays
from shenpi.workdays.models import CalendarDay, CalendarYear
from shenpi.workdays.services import NoticeError, import_notice

pytestmark = pytest.mark.usefixtures("seeded")

D = dt.date
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "holidays-2027.yaml"

NOTICE_2027 = """\
year: 2027
source: 国务院办公厅关于2027年部分节假日安排的通知
holidays:
  - {date: 2027-01-01, name: 元旦}
  - {from: 2027-02-05, to: 2027-02-11, name: 春节}
  - date: 2027-04-05
    name: 清明节
  - {from: 2027-10-01, to: 2027-10-07, name: 国庆节}
workdays:
  - {date: 2027-02-20, name: 春节调休上班}
  - {date: 2027-10-09, name: 国庆节调休上班}
"""

CSV_2027 = """\
date,kind,name
2027-01-01,holiday,元旦
2027-10-01,holiday,国庆节
2027-10-02,holiday,国庆节
2027-10-03,holiday,国庆节
2027-10-04,holiday,国庆节
2027-10-05,holiday,国庆节
2027-10-06,holiday,国庆节
2027-10-07,holiday,国庆节
2027-10-09,workday,国庆节调休上班
"""


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def snapshot():
    return (
        sorted(CalendarDay.objects.values_list("date", "is_workday", "name")),
        sorted(CalendarYear.objects.values_list("year", "official", "source")),
    )


# -- good files -------------------------------------------------------------------------------------

def test_yaml_import_makes_the_year_official_and_changes_results(tmp_path):
    before = services.get_calendar()  # cached now: the import must drop it
    assert before.is_provisional(D(2027, 10, 6))
    assert before.add(D(2027, 9, 30), 1) == D(2027, 10, 6)  # estimate: 10-1..10-5 off
    assert not before.is_workday(D(2027, 10, 9))

    result = import_notice(write(tmp_path, "holidays-2027.yaml", NOTICE_2027))

    assert (result.year, result.holidays, result.workdays) == (2027, 1 + 7 + 1 + 7, 2)
    assert not result.replaced_official
    year = CalendarYear.objects.get(year=2027)
    assert year.official and year.source == "国务院办公厅关于2027年部分节假日安排的通知"
    assert CalendarDay.objects.get(date=D(2027, 2, 11)).name == "春节"
    after = services.get_calendar()
    assert after is not before
    assert not after.is_provisional(D(2027, 10, 6))
    assert not after.is_workday(D(2027, 10, 6))
    assert after.is_workday(D(2027, 10, 9))
    assert after.add(D(2027, 9, 30), 1) == D(2027, 10, 8)
    assert after.add(D(2027, 9, 30), 2) == D(2027, 10, 9)
    # Only the notice counts now: the estimate's 补假 on 5-3 is an ordinary Monday.
    assert after.is_workday(D(2027, 5, 3))


def test_csv_import_takes_the_year_from_the_dates(tmp_path):
    result = import_notice(write(tmp_path, "notice.csv", CSV_2027))
    assert (result.year, result.holidays, result.workdays) == (2027, 8, 1)
    assert CalendarYear.objects.get(year=2027).official
    assert "notice.csv" in result.source
    calendar = services.get_calendar()
    assert not calendar.is_workday(D(2027, 10, 7)) and calendar.is_workday(D(2027, 10, 9))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_saved_by_excel_is_read(tmp_path, encoding):
    result = import_notice(write(tmp_path, "notice.csv", CSV_2027.replace("\n", "\r\n"), encoding))
    assert result.holidays == 8
    assert CalendarDay.objects.get(date=D(2027, 10, 9)).name == "国庆节调休上班"


def test_text_import_needs_the_format():
    assert import_notice(CSV_2027, "csv").year == 2027
    with pytest.raises(NoticeError, match="格式"):
        import_notice(CSV_2027)


def test_reimport_replaces_the_whole_year(tmp_path):
    import_notice(write(tmp_path, "a.yaml", NOTICE_2027))
    result = import_notice(write(tmp_path, "b.csv", CSV_2027))
    assert result.replaced_official
    assert not CalendarDay.objects.filter(date=D(2027, 2, 5)).exists()  # only in the first file
    assert CalendarDay.objects.filter(date__year=2027).count() == 9
    assert services.get_calendar().is_workday(D(2027, 2, 5))


def test_import_leaves_other_years_alone(tmp_path):
    def others():
        return sorted(CalendarDay.objects.exclude(date__year=2027).values_list("date", "is_workday", "name"))

    before = others()
    import_notice(write(tmp_path, "a.yaml", NOTICE_2027))
    assert others() == before


def test_the_shipped_example_is_valid_and_equals_the_estimate():
    estimate = services.get_calendar()
    import_notice(EXAMPLE)
    official = services.get_calendar()
    assert 2027 in official.official_years
    day = D(2027, 1, 1)
    while day.year == 2027:
        assert official.is_workday(day) == estimate.is_workday(day), day
        day += dt.timedelta(days=1)
    weekday_holidays = {d for d, w, _ in CalendarDay.objects.filter(date__year=2027).values_list(
        "date", "is_workday", "name") if not w and d.weekday() < 5}
    assert weekday_holidays == set(estimated_holidays(2027))


# -- bad files ----------------------------------------------------------------------------------------

def yaml_with(holidays="  - {date: 2027-01-01, name: 元旦}\n", workdays="", head="year: 2027\n"):
    return f"{head}holidays:\n{holidays}" + (f"workdays:\n{workdays}" if workdays else "")


BAD_YAML = {
    "not a real date": (yaml_with("  - {date: 2027-01-01, name: 元旦}\n  - {date: 2027-02-30, name: 春节}\n"),
                        "第 4 行，holidays 第 2 项：日期 2027-02-30 不存在"),
    "badly written date": (yaml_with("  - {date: 2027/10/01, name: 国庆节}\n"), "格式不对"),
    "date outside the year": (yaml_with("  - {date: 2026-12-31, name: 元旦}\n"), "不在通知年度 2027 年内"),
    "range outside the year": (yaml_with("  - {from: 2027-12-31, to: 2028-01-02, name: 元旦}\n"),
                               "2028-01-01 不在通知年度"),
    "range backwards": (yaml_with("  - {from: 2027-10-07, to: 2027-10-01, name: 国庆节}\n"), "早于起始日期"),
    "date and range": (yaml_with("  - {date: 2027-10-01, from: 2027-10-01, to: 2027-10-02, name: 国庆节}\n"),
                       "二选一"),
    "holiday and workday": (yaml_with(workdays="  - {date: 2027-01-01, name: 调休}\n"),
                            "既是节假日又是调休上班日"),
    "workday on a weekday": (yaml_with(workdays="  - {date: 2027-02-08, name: 调休}\n"), "本来就是工作日"),
    "duplicate": (yaml_with("  - {date: 2027-01-01, name: 元旦}\n"
                            "  - {from: 2027-01-01, to: 2027-01-03, name: 元旦}\n"),
                  "第 4 行，holidays 第 2 项：日期 2027-01-01 重复出现（另见第 3 行，holidays 第 1 项）"),
    "holiday without a name": (yaml_with("  - {date: 2027-01-01}\n"), "必须有名称"),
    "name too long": (yaml_with("  - {date: 2027-01-01, name: " + "元" * 51 + "}\n"), "超过 50 个字"),
    "unknown entry key": (yaml_with("  - {day: 2027-01-01, name: 元旦}\n"), "未知字段 day"),
    "unknown top key": (yaml_with(head="year: 2027\nholiday: []\n"), "未知的顶层字段：holiday"),
    "missing year": (yaml_with(head=""), "缺少 year"),
    "year not a number": (yaml_with(head="year: 二〇二七\n"), "不是整数"),
    "missing holidays": ("year: 2027\nworkdays: []\n", "缺少 holidays"),
    "empty holidays": ("year: 2027\nholidays: []\n", "没有任何节假日"),
    "holidays not a list": ("year: 2027\nholidays: {date: 2027-01-01}\n", "应为列表"),
    "entry not a mapping": (yaml_with("  - 2027-01-01\n"), "应为 {date: …, name: …}"),
    "time in a date": (yaml_with("  - {date: '2027-01-01 10:00', name: 元旦}\n"), "格式不对"),
    "broken yaml": ("year: 2027\nholidays:\n  - {date: 2027-01-01, name: [元旦}\n",
                    "YAML 格式错误（第 3 行）"),
    "not a mapping": ("- 2027-01-01\n", "顶层应为映射"),
}

BAD_CSV = {
    "bad header": ("day,kind,name\n2027-01-01,holiday,元旦\n", "第 1 行：表头应为 date,kind,name"),
    "unknown kind": ("date,kind,name\n2027-01-01,holiday,元旦\n2027-01-02,rest,休息\n",
                     "第 3 行：类别“rest”无效"),
    "wrong column count": ("date,kind,name\n2027-01-01,holiday\n", "第 2 行：应有 3 列"),
    "not a real date": ("date,kind,name\n2027-01-01,holiday,元旦\n2027-13-01,holiday,x\n",
                        "第 3 行：日期 2027-13-01 不存在"),
    "two years": ("date,kind,name\n2027-01-01,holiday,元旦\n2028-01-01,holiday,元旦\n",
                  "只能包含一个年度的日期，此文件涉及：2027年（第 2 行）；2028年（第 3 行）"),
    "holiday and workday": ("date,kind,name\n2027-10-09,holiday,国庆节\n2027-10-09,workday,调休\n",
                            "第 3 行：日期 2027-10-09 既是节假日又是调休上班日（另见第 2 行）"),
    "only workdays": ("date,kind,name\n2027-10-09,workday,调休\n", "没有节假日"),
    "only a header": ("date,kind,name\n", "只有表头"),
    "empty": ("", "CSV 文件为空"),
}


@pytest.mark.parametrize(("text", "message"), BAD_YAML.values(), ids=BAD_YAML.keys())
def test_bad_yaml_is_refused_and_changes_nothing(tmp_path, text, message):
    before = snapshot()
    with pytest.raises(NoticeError) as refused:
        import_notice(write(tmp_path, "bad.yaml", text))
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert isinstance(refused.value, ValueError)
    assert snapshot() == before


@pytest.mark.parametrize(("text", "message"), BAD_CSV.values(), ids=BAD_CSV.keys())
def test_bad_csv_is_refused_and_changes_nothing(tmp_path, text, message):
    before = snapshot()
    with pytest.raises(NoticeError) as refused:
        import_notice(write(tmp_path, "bad.csv", text))
    assert message in str(refused.value)
    assert snapshot() == before


def test_a_bad_line_at_the_end_of_an_official_year_keeps_that_year(tmp_path):
    # A writer that stored rows as it read them would already have replaced 2026 here.
    before = snapshot()
    text = "date,kind,name\n2026-01-01,holiday,元旦\n2026-10-01,holiday,国庆节\n2026-10-10,workday,调休\n" \
           "2026-10-11,holliday,x\n"
    with pytest.raises(NoticeError, match="第 5 行"):
        import_notice(write(tmp_path, "bad.csv", text))
    assert snapshot() == before
    assert services.get_calendar().add(D(2026, 9, 24), 5) == D(2026, 10, 9)


def test_a_failure_while_writing_rolls_the_year_back(tmp_path, monkeypatch):
    before = snapshot()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(CalendarYear.objects, "update_or_create", broken)
    with pytest.raises(RuntimeError):
        import_notice(write(tmp_path, "2026.csv", "date,kind,name\n2026-01-01,holiday,元旦\n"))
    assert snapshot() == before


@pytest.mark.parametrize(("name", "message"),
                         [("missing.yaml", "文件不存在"), ("notice.txt", "无法识别文件格式")])
def test_missing_or_unknown_files_are_refused(tmp_path, name, message):
    if name.endswith(".txt"):
        write(tmp_path, name, NOTICE_2027)
    with pytest.raises(NoticeError, match=message):
        import_notice(tmp_path / name)
