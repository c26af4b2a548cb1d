"""`shenpi workdays …`: working-day arithmetic and the yearly notice, from the console.

Results go to stdout alone (one value per line, for scripts); remarks and errors go to stderr as
one Chinese line each, and bad input ends with a non-zero status instead of a traceback.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db.models import Count, Q
from django.db.models.functions import ExtractYear
from django.utils import timezone

from shenpi import clock
from shenpi.commandline import OneLineCommand, OneLineParser, Refused
from shenpi.workdays import services
from shenpi.workdays.calendar import MAX_YEAR, MIN_YEAR
from shenpi.workdays.models import CalendarDay, CalendarYear
from shenpi.workdays.notices import FORMATS, NoticeError

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")
_COUNT = re.compile(r"[+-]?\d+")






# -- reading the user's values -----------------------------------------------------------------

def parse_date(text: str, what: str = "日期") -> dt.date:
    text = text.strip()
    if not _DATE.fullmatch(text):
        raise Refused(f"{what}“{text}”格式不对，应为 YYYY-MM-DD，例如 2026-09-24。")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Refused(f"{what} {text} 不存在。") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise Refused(f"{what} {text} 超出日历范围（{MIN_YEAR}–{MAX_YEAR}年）。")
    return day


def parse_moment(text: str) -> dt.datetime:
    match = _MOMENT.fullmatch(text.strip())
    if not match:
        raise Refused(f"时刻“{text}”格式不对，应为 \"YYYY-MM-DD HH:MM\"，例如 \"2026-09-30 16:00\"。")
    day = parse_date(match.group(1), "时刻中的日期")
    try:
        moment = dt.time(int(match.group(2)), int(match.group(3)), int(match.group(4) or 0))
    except ValueError:
        raise Refused(f"时刻“{text}”中的时间不存在。") from None
    return dt.datetime.combine(day, moment)


def parse_count(text: str) -> int:
    text = text.strip()
    if not _COUNT.fullmatch(text):
        raise Refused(f"工作日数“{text}”不是整数。")
    count = int(text)
    if count < 0:
        raise Refused(f"工作日数不能为负数：{text}。")
    return count


def parse_year(text: str) -> int:
    text = text.strip()
    if not re.fullmatch(r"\d{4}", text):
        raise Refused(f"年份“{text}”格式不对，应为四位数字，例如 2027。")
    return int(text)


def parse_hours(text: str) -> Decimal:
    try:
        hours = Decimal(text.strip())
    except InvalidOperation:
        raise Refused(f"小时数“{text}”不是数字。") from None
    if not hours.is_finite():
        raise Refused(f"小时数“{text}”不是数字。")
    if hours < 0:
        raise Refused(f"小时数不能为负数：{text}。")
    return hours


def provisional_note(years: list[int]) -> str:
    return f"注意：{year_list(years)}年尚无国务院节假日安排通知，结果按法定节假日估算（provisional）。"


def year_list(years: list[int]) -> str:
    """2027、2028 for a pair, 2004–2026 for a longer run, so that the line stays one line."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    parts = []
    for run in runs:
        if len(run) > 2:
            parts.append(f"{run[0]}–{run[-1]}")
        else:
            parts.extend(str(year) for year in run)
    return "、".join(parts)


def iso_moment(moment: dt.datetime) -> str:
    precise = moment.second or moment.microsecond
    return moment.isoformat(timespec="seconds" if precise else "minutes")


# -- the command -------------------------------------------------------------------------------

class Command(OneLineCommand):
    refusals = (NoticeError, ValueError)
    help = "工作日历：按工作日推算日期、统计工作日、按办公时间推算时刻、查看和导入节假日安排通知。"
    # A calculator has nothing to check, and check warnings would add lines to stderr.
    requires_system_checks = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{add,between,hours,years,import,seed}",
            parser_class=OneLineParser,
        )
        add = actions.add_parser("add", help="起始日之后第 N 个工作日（起始日不计入，N=0 即起始日）")
        add.add_argument("start", help="起始日期 YYYY-MM-DD，如受理日")
        add.add_argument("days", help="工作日数 N（非负整数）")
        between = actions.add_parser("between", help="两个日期之间的工作日数（起始日不计入，截止日计入）")
        between.add_argument("start", help="起始日期 YYYY-MM-DD")
        between.add_argument("end", help="截止日期 YYYY-MM-DD")
        hours = actions.add_parser("hours", help="某时刻之后若干办公小时的时刻")
        hours.add_argument("start", help='起始时刻 "YYYY-MM-DD HH:MM"')
        hours.add_argument("hours", help="办公小时数（非负，可带小数）")
        actions.add_parser("years", help="各年度日历来源（正式/估算），以及今明两年是否缺少通知")
        notice = actions.add_parser(
            "import", help="导入某一年的节假日安排通知（.yaml/.yml/.csv，或国务院办公厅通知正文 .txt）")
        notice.add_argument("file", help="通知文件路径")
        notice.add_argument("--text", action="store_true",
                            help="文件是国务院办公厅节假日安排通知的正文（扩展名为 .txt 时无需指明）")
        notice.add_argument("--year", help="通知正文不含标题时的年份，如 2027（仅用于通知正文）")
        seed = actions.add_parser("seed", help="从 chinesecalendar 包补录尚无正式数据的年度")
        seed.add_argument("--refresh", action="store_true",
                          help="同时用当前 chinesecalendar 重写此前由它录入的年度（导入的年度不受影响）")




    # -- subcommands ---------------------------------------------------------------------------
    def _add(self, options):
        start, count = parse_date(options["start"], "起始日期"), parse_count(options["days"])
        calendar = services.get_calendar()
        end = calendar.add(start, count)
        self._result(end.isoformat(), calendar, start, end)

    def _between(self, options):
        start, end = parse_date(options["start"], "起始日期"), parse_date(options["end"], "截止日期")
        calendar = services.get_calendar()
        self._result(str(calendar.between(start, end)), calendar, start, end)

    def _hours(self, options):
        start, hours = parse_moment(options["start"]), parse_hours(options["hours"])
        calendar = services.get_calendar()
        end, _ = services.add_office_hours(start, float(hours), calendar)
        self._result(iso_moment(end), calendar, start.date(), end.date())

    def _result(self, value: str, calendar, first: dt.date, last: dt.date) -> None:
        self.stdout.write(value)
        first, last = min(first, last), max(first, last)
        estimated = [y for y in range(first.year, last.year + 1) if y not in calendar.official_years]
        if estimated:
            self.stderr.write(provisional_note(estimated), style_func=self.style.WARNING)

    def _years(self, options):
        today = clock.today()
        rows = {row.year: row for row in CalendarYear.objects.all()}
        counts = {
            row["year"]: row for row in CalendarDay.objects.annotate(year=ExtractYear("date"))
            .values("year").annotate(holidays=Count("date", filter=Q(is_workday=False)),
                                     workdays=Count("date", filter=Q(is_workday=True)))
        }
        for year in sorted(set(rows) | {today.year, today.year + 1}):
            self.stdout.write(self._year_line(year, rows.get(year), counts.get(year)))
        missing = services.missing_notice_years(today)
        if missing:
            self.stdout.write(f"缺少国务院节假日安排通知：{year_list(missing)}年（这些年度的期限按法定节假日估算，"
                              "通知发布后请用 shenpi workdays import 文件 导入）。")
        else:
            self.stdout.write(f"{today.year}年和{today.year + 1}年的国务院节假日安排通知均已录入。")

    @staticmethod
    def _year_line(year: int, row: CalendarYear | None, count: dict | None) -> str:
        if row is None:
            return f"{year}  估算  尚无记录"
        status = "正式" if row.official else "估算"
        days = f"放假 {count['holidays']} 天，调休上班 {count['workdays']} 天" if count else "无节假日记录"
        updated = f"  更新于 {timezone.localdate(row.updated_at).isoformat()}" if row.updated_at else ""
        return f"{year}  {status}  {days}  {row.source or '（未注明来源）'}{updated}"

    def _import(self, options):
        path, year = options["file"], options["year"]
        if options["text"] or services.is_state_council_text(path):
            result = services.import_notice_file(path, parse_year(year) if year is not None else None)
        else:
            if year is not None:
                raise Refused("--year 仅用于国务院办公厅通知正文（.txt 或 --text）；YAML/CSV 文件中已写明年份。")
            if Path(path).suffix.lower() not in FORMATS:
                raise Refused(f"无法识别文件格式“{Path(path).name}”：扩展名应为 .yaml、.yml、.csv，"
                              "或国务院办公厅通知正文 .txt。")
            result = services.import_notice(path)
        replaced = "（替换了该年度原有的正式数据）" if result.replaced_official else ""
        self.stdout.write(
            f"已导入{result.year}年节假日安排：放假 {result.holidays} 天，调休上班 {result.workdays} 天；"
            f"该年度已标记为正式{replaced}。来源：{result.source}"
        )

    def _seed(self, options):
        result = services.seed_from_chinesecalendar(refresh=options["refresh"])
        if result.seeded:
            self.stdout.write(f"已从 chinesecalendar 写入：{year_list(result.seeded)}年。")
        if result.kept:
            self.stdout.write(f"已有正式数据、未改动：{year_list(result.kept)}年。")
