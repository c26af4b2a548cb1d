"""`shenpi workdays …`: the result alone on stdout, one Chinese line on stderr for the rest."""

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shenpi import clock
from shenpi.workdays.management.commands.workdays import Command
from shenpi.workdays.models import CalendarYear

PROVISIONAL_2027 = "注意：2027年尚无国务院节假日安排通知，结果按法定节假日估算（provisional）。\n"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "holidays-2027.yaml"
NOTICE_2026 = Path(__file__).with_name("fixtures") / "state_council_2026.txt"
# 2027-01-01 is a Friday: the text contradicts itself and must be refused whole.
WRONG_WEEKDAY = "国务院办公厅关于2027年部分节假日安排的通知\n一、元旦：1月1日（周三）放假1天。\n"
BAD_TEXT_MESSAGE = "第一条（元旦）：2027年1月1日是星期五，通知写的是周三——年份是否填错？"


def run(*args):
    """The command as code calls it: (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("workdays", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_on_console(*args):
    """The command as the console script runs it: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        Command(stdout=out, stderr=err).run_from_argv(["shenpi", "workdays", *args])
    return exited.value.code, out.getvalue(), err.getvalue()


# -- results ------------------------------------------------------------------------------------

@pytest.mark.usefixtures("seeded")
class TestResults:
    def test_add(self):
        assert run("add", "2026-09-24", "5") == ("2026-10-09\n", "")

    def test_add_zero_is_the_start_day(self):
        assert run("add", "2026-10-03", "0") == ("2026-10-03\n", "")

    def test_between(self):
        assert run("between", "2026-09-24", "2026-10-09") == ("5\n", "")
        assert run("between", "2026-10-09", "2026-09-24") == ("-5\n", "")

    def test_hours_uses_the_office_hours_setting(self, settings):
        assert run("hours", "2026-09-30 16:00", "4") == ("2026-10-08T11:30\n", "")
        settings.OFFICE_OPENS_AT, settings.OFFICE_CLOSES_AT = "08:00", "17:00"
        assert run("hours", "2026-09-30 16:00", "4") == ("2026-10-08T11:00\n", "")
        assert run("hours", "2026-09-30T16:00:30", "1.5") == ("2026-10-08T08:30:30\n", "")

    def test_a_result_in_a_year_without_notice_says_so_on_one_stderr_line(self):
        assert run("add", "2026-12-20", "10") == ("2027-01-04\n", PROVISIONAL_2027)
        assert run("between", "2026-12-20", "2027-01-04") == ("10\n", PROVISIONAL_2027)
        out, err = run("hours", "2026-12-31 16:00", "4")
        assert (out, err) == ("2027-01-04T11:30\n", PROVISIONAL_2027)

    def test_several_estimated_years_are_named_on_the_same_line(self):
        out, err = run("add", "2027-06-01", "300")
        assert out.startswith("2028-")
        assert err == "注意：2027、2028年尚无国务院节假日安排通知，结果按法定节假日估算（provisional）。\n"

    def test_a_run_of_estimated_years_is_shortened(self):
        out, err = run("between", "2026-06-01", "2030-06-01")
        assert err == "注意：2027–2030年尚无国务院节假日安排通知，结果按法定节假日估算（provisional）。\n"

    def test_the_note_goes_once_the_notice_is_imported(self):
        run("import", str(EXAMPLE))
        assert run("add", "2026-12-20", "10") == ("2027-01-04\n", "")

    def test_the_console_prints_the_same(self, monkeypatch):
        # run_from_argv closes the connections at the end; the test's transaction must survive it.
        monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
        out, err = io.StringIO(), io.StringIO()
        Command(stdout=out, stderr=err).run_from_argv(["shenpi", "workdays", "add", "2026-12-20", "10"])
        assert (out.getvalue(), err.getvalue()) == ("2027-01-04\n", PROVISIONAL_2027)


# -- years and import ------------------------------------------------------------------------------

@pytest.mark.usefixtures("seeded")
class TestYearsAndImport:
    def test_years_lists_each_year_and_the_missing_notice(self):
        clock.set_now(dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC))
        out, err = run("years")
        lines = out.splitlines()
        assert err == ""
        assert lines[0].startswith("2004  正式  ")
        seeded_2026 = "2026  正式  放假 33 天，调休上班 6 天  国务院办公厅节假日安排通知（chinesecalendar"
        assert any(line.startswith(seeded_2026) for line in lines)
        assert "2027  估算  尚无记录" in lines
        assert lines[-1].startswith("缺少国务院节假日安排通知：2027年")

    def test_years_once_the_notices_are_in(self):
        clock.set_now(dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC))
        assert run("years")[0].splitlines()[-1] == "2025年和2026年的国务院节假日安排通知均已录入。"
        CalendarYear.objects.create(year=2028, official=False, source="待通知")
        assert "2028  估算  无节假日记录  待通知" in run("years")[0]

    def test_import_reports_what_it_stored(self):
        out, err = run("import", str(EXAMPLE))
        assert out.startswith("已导入2027年节假日安排：放假 19 天，调休上班 0 天；该年度已标记为正式。")
        assert err == ""
        assert CalendarYear.objects.get(year=2027).official

    def test_import_of_a_bad_file_is_one_line_and_changes_nothing(self, tmp_path):
        bad = tmp_path / "bad.csv"
        bad.write_text("date,kind,name\n2027-01-01,holiday,元旦\n2027-02-30,holiday,春节\n")
        with pytest.raises(CommandError) as refused:
            run("import", str(bad))
        assert str(refused.value) == "第 3 行：日期 2027-02-30 不存在。"
        assert refused.value.returncode != 0
        assert not CalendarYear.objects.filter(year=2027).exists()

    def test_import_reads_the_state_council_notice_from_a_text_file(self):
        out, err = run("import", str(NOTICE_2026))
        assert (out, err) == ("已导入2026年节假日安排：放假 33 天，调休上班 6 天；该年度已标记为正式"
                              "（替换了该年度原有的正式数据）。来源：国务院办公厅关于2026年部分节假日安排的通知\n", "")
        assert CalendarYear.objects.get(year=2026).source == "国务院办公厅关于2026年部分节假日安排的通知"
        assert run("add", "2026-09-30", "1")[0] == "2026-10-08\n"  # 国庆节 1–7 October

    def test_text_under_another_extension_is_read_with_the_text_flag(self, tmp_path):
        pasted = tmp_path / "notice.md"
        # Without the title, the year is given on the command line.
        pasted.write_text(NOTICE_2026.read_text(encoding="utf-8").split("\n", 1)[1], encoding="gb18030")
        out, _ = run("import", str(pasted), "--text", "--year", "2026")
        assert out.startswith("已导入2026年节假日安排：放假 33 天，调休上班 6 天")

    def test_a_bad_notice_text_is_refused_and_changes_nothing(self, tmp_path):
        bad = tmp_path / "2027.txt"
        bad.write_text(WRONG_WEEKDAY, encoding="utf-8")
        with pytest.raises(CommandError) as refused:
            run("import", str(bad))
        assert str(refused.value) == BAD_TEXT_MESSAGE and refused.value.returncode == 1
        assert not CalendarYear.objects.filter(year=2027).exists()

    def test_seed_reports_what_it_kept(self):
        out, _ = run("seed")
        assert out.startswith("已有正式数据、未改动：2004–2026年")


# -- refusals ----------------------------------------------------------------------------------------

REFUSALS = {
    "not a date": (["add", "2026-9-24", "5"],
                   "起始日期“2026-9-24”格式不对，应为 YYYY-MM-DD，例如 2026-09-24。"),
    "no such date": (["add", "2026-02-30", "5"], "起始日期 2026-02-30 不存在。"),
    "negative count": (["add", "2026-09-24", "-3"], "工作日数不能为负数：-3。"),
    "fractional count": (["add", "2026-09-24", "2.5"], "工作日数“2.5”不是整数。"),
    "word count": (["add", "2026-09-24", "five"], "工作日数“five”不是整数。"),
    "outside the calendar": (["between", "1800-01-01", "2026-01-01"],
                             "起始日期 1800-01-01 超出日历范围（1990–2200年）。"),
    "bad end": (["between", "2026-09-24", "tomorrow"],
                "截止日期“tomorrow”格式不对，应为 YYYY-MM-DD，例如 2026-09-24。"),
    "bad moment": (["hours", "2026-09-30", "4"],
                   "时刻“2026-09-30”格式不对，应为 \"YYYY-MM-DD HH:MM\"，例如 \"2026-09-30 16:00\"。"),
    "no such hour": (["hours", "2026-09-30 24:00", "4"], "时刻“2026-09-30 24:00”中的时间不存在。"),
    "negative hours": (["hours", "2026-09-30 16:00", "-1"], "小时数不能为负数：-1。"),
    "word hours": (["hours", "2026-09-30 16:00", "nan"], "小时数“nan”不是数字。"),
    "missing file": (["import", "/nonexistent/holidays-2027.yaml"],
                     "文件不存在：/nonexistent/holidays-2027.yaml"),
    "unknown extension": (["import", "holidays-2027.xlsx"],
                          "无法识别文件格式“holidays-2027.xlsx”：扩展名应为 .yaml、.yml、.csv，"
                          "或国务院办公厅通知正文 .txt。"),
    "missing notice text": (["import", "/nonexistent/2027.txt"], "文件不存在：/nonexistent/2027.txt"),
    "year with a yaml file": (["import", "holidays-2027.yaml", "--year", "2027"],
                              "--year 仅用于国务院办公厅通知正文（.txt 或 --text）；YAML/CSV 文件中已写明年份。"),
    "bad year": (["import", "notice.txt", "--year", "27"], "年份“27”格式不对，应为四位数字，例如 2027。"),
}


@pytest.mark.parametrize(("args", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_bad_input_called_from_code_raises_one_line(args, message):
    # Refused before the calendar is read: no database needed.
    with pytest.raises(CommandError) as refused:
        run(*args)
    assert str(refused.value) == message
    assert refused.value.returncode == 1


@pytest.mark.parametrize(("args", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_bad_input_on_the_console_is_one_clean_line_and_a_failure_status(args, message):
    status, out, err = run_on_console(*args)
    assert status == 1
    assert out == ""
    assert err == message + "\n"


def test_a_bad_notice_text_on_the_console_is_one_line_and_a_failure_status(tmp_path):
    # Refused while the text is read, before the database is touched.
    bad = tmp_path / "2027.txt"
    bad.write_text(WRONG_WEEKDAY, encoding="utf-8")
    assert run_on_console("import", str(bad)) == (1, "", BAD_TEXT_MESSAGE + "\n")


def test_argument_mistakes_on_the_console_are_one_line_too(capsys):
    status, out, err = run_on_console("add", "2026-09-24")
    captured = capsys.readouterr()
    assert status == 2 and out == err == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("参数有误（shenpi workdays add）：")
    status, _, _ = run_on_console("frobnicate")
    assert status == 2
    assert capsys.readouterr().err.startswith("参数有误（shenpi workdays）：")


# -- the real console script -------------------------------------------------------------------------

def shenpi(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "shenpi.cli", *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_the_console_script_refuses_bad_input_without_a_traceback(tmp_path):
    done = shenpi("workdays", "add", "2026-09-24", "-3", env={"SHENPI_VAR_DIR": str(tmp_path)})
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == "工作日数不能为负数：-3。\n"


def test_the_console_script_end_to_end_on_a_fresh_database(tmp_path):
    env = {"SHENPI_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.sqlite3'}"}
    migrated = shenpi("migrate", "--noinput", "-v", "0", env=env)
    assert migrated.returncode == 0, migrated.stderr
    done = shenpi("workdays", "add", "2026-09-24", "5", env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "2026-10-09\n", "")
    done = shenpi("workdays", "add", "2026-12-20", "10", env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "2027-01-04\n", PROVISIONAL_2027)
