"""Reading a year's holiday notice (节假日安排通知) from YAML or CSV, and from `chinesecalendar`.

Nothing here touches the database: a notice is parsed and checked completely first, so that a
bad file is refused before a single row changes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import chinese_calendar
import yaml

from .calendar import MAX_YEAR, MIN_YEAR

NAME_MAX_LENGTH = 50  # CalendarDay.name
SOURCE_MAX_LENGTH = 200  # CalendarYear.source
DEFAULT_WORKDAY_NAME = "调休上班"
FORMATS = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}
CSV_HEADER = ["date", "kind", "name"]
_KINDS = {"holiday": False, "workday": True}
_WEEKDAYS = "一二三四五六日"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# chinesecalendar names its holidays in English; the table keeps the names of the notices.
CHINESE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
CHINESECALENDAR_SOURCE = "国务院办公厅节假日安排通知（chinesecalendar {version}）"


class NoticeError(ValueError):
    """A notice file that cannot be imported; the message says where and why, in Chinese."""


@dataclass
class Notice:
    """One year's exceptions to the weekday rule, checked and ready to store."""

    year: int
    source: str
    days: dict[dt.date, tuple[bool, str]] = field(default_factory=dict)

    @property
    def holiday_count(self) -> int:
        return sum(1 for is_workday, _ in self.days.values() if not is_workday)

    @property
    def workday_count(self) -> int:
        return sum(1 for is_workday, _ in self.days.values() if is_workday)


# -- chinesecalendar ---------------------------------------------------------------------------

def chinese_holiday_name(english: str) -> str:
    if english in CHINESE_NAMES:
        return CHINESE_NAMES[english]
    try:
        return chinese_calendar.Holiday(english).chinese[:NAME_MAX_LENGTH]
    except ValueError:
        # A holiday added by a newer package than this mapping knows: better English than nothing.
        return english[:NAME_MAX_LENGTH]


def chinesecalendar_version() -> str:
    try:
        return metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:
        return getattr(chinese_calendar, "__version__", "?")


def chinesecalendar_notices() -> list[Notice]:
    """Every year the installed `chinesecalendar` covers, one Notice per year."""
    source = CHINESECALENDAR_SOURCE.format(version=chinesecalendar_version())
    first = min(chinese_calendar.holidays).year
    last = max(chinese_calendar.holidays).year
    notices = {year: Notice(year=year, source=source) for year in range(first, last + 1)}
    for day, english in chinese_calendar.holidays.items():
        notices[day.year].days[day] = (False, chinese_holiday_name(english))
    for day, english in chinese_calendar.workdays.items():
        notices[day.year].days[day] = (True, f"{chinese_holiday_name(english)}{DEFAULT_WORKDAY_NAME}")
    return [notices[year] for year in sorted(notices)]


# -- reading files -----------------------------------------------------------------------------

def format_of(path: str | Path) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise NoticeError(f"无法识别文件格式“{Path(path).name}”：扩展名应为 .yaml、.yml 或 .csv。")
    return fmt


def read_source(path_or_text: str | Path, fmt: str | None) -> tuple[str, str, str]:
    """(text, format, origin) of a file path or of the notice text itself.

    A str with a line break is the text itself; any other str is a path.
    """
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        if fmt is None:
            raise NoticeError("直接导入文本时必须指明格式（yaml 或 csv）。")
        return path_or_text, _known_format(fmt), "导入文本"
    path = Path(path_or_text)
    fmt = _known_format(fmt) if fmt else format_of(path)
    return read_text_file(path), fmt, path.name


def read_text_file(path: str | Path) -> str:
    """A notice file's text, UTF-8 or GBK; a missing or unreadable file is a NoticeError."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NoticeError(f"文件不存在：{path}") from None
    except IsADirectoryError:
        raise NoticeError(f"这是一个目录，不是文件：{path}") from None
    except OSError as error:
        raise NoticeError(f"无法读取文件 {path}：{error.strerror}") from None
    return decode(raw, path.name)


def _known_format(fmt: str) -> str:
    fmt = fmt.lower().lstrip(".")
    if fmt in ("yaml", "yml"):
        return "yaml"
    if fmt == "csv":
        return "csv"
    raise NoticeError(f"不支持的格式“{fmt}”：只支持 yaml 和 csv。")


def decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Excel on a Chinese Windows saves CSV as GBK unless told otherwise.
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise NoticeError(f"文件 {name} 不是 UTF-8 或 GBK 编码的文本。") from None


def parse_notice(text: str, fmt: str, origin: str = "导入文件") -> Notice:
    notice = _parse_yaml(text, origin) if _known_format(fmt) == "yaml" else _parse_csv(text, origin)
    if not notice.days:
        raise NoticeError(f"{notice.year}年的通知中没有任何节假日或调休日期。")
    if notice.holiday_count == 0:
        raise NoticeError(f"{notice.year}年的通知中没有节假日：请检查是否漏填。")
    return notice


# -- shared checks -----------------------------------------------------------------------------

class _Collector:
    """Gathers days entry by entry and refuses duplicates and contradictions, naming both places."""

    def __init__(self, year: int | None):
        self.year = year
        self.days: dict[dt.date, tuple[bool, str]] = {}
        self.where: dict[dt.date, str] = {}

    def add(self, day: dt.date, is_workday: bool, name: str, where: str) -> None:
        if self.year is not None and day.year != self.year:
            raise NoticeError(f"{where}：日期 {day} 不在通知年度 {self.year} 年内。")
        if day in self.days:
            kinds = "既是节假日又是调休上班日" if self.days[day][0] != is_workday else "重复出现"
            raise NoticeError(f"{where}：日期 {day} {kinds}（另见{self.where[day]}）。")
        if is_workday and day.weekday() < 5:
            raise NoticeError(f"{where}：{day} 是星期{_WEEKDAYS[day.weekday()]}，本来就是工作日，"
                              "调休上班日只能是周六或周日。")
        self.days[day] = (is_workday, name)
        self.where[day] = where


def _date(value: object, where: str, what: str = "日期") -> dt.date:
    if isinstance(value, dt.datetime):
        raise NoticeError(f"{where}：{what}不应带时间：{value}。")
    if isinstance(value, dt.date):
        return value
    text = str(value).strip() if value is not None else ""
    if not text:
        raise NoticeError(f"{where}：缺少{what}。")
    if not _ISO_DATE.fullmatch(text):
        raise NoticeError(f"{where}：{what}“{text}”格式不对，应为 YYYY-MM-DD，例如 2027-10-01。")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise NoticeError(f"{where}：{what} {text} 不存在。") from None


def _name(value: object, where: str, default: str | None) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        if default is None:
            raise NoticeError(f"{where}：节假日必须有名称（例如 春节、国庆节）。")
        return default
    if len(text) > NAME_MAX_LENGTH:
        raise NoticeError(f"{where}：名称超过 {NAME_MAX_LENGTH} 个字：“{text[:20]}…”。")
    return text


def _year(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise NoticeError(f"{where}：年份应为整数，例如 year: 2027。")
    text = str(value).strip()
    if not text.isdigit():
        raise NoticeError(f"{where}：年份“{text}”不是整数。")
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise NoticeError(f"{where}：年份 {year} 超出范围（{MIN_YEAR}–{MAX_YEAR}）。")
    return year


def _source(value: object, default: str) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > SOURCE_MAX_LENGTH:
        raise NoticeError(f"source（来源）超过 {SOURCE_MAX_LENGTH} 个字。")
    return text or default


def _default_source(year: int, origin: str) -> str:
    return f"{year}年节假日安排通知（{origin}）"[:SOURCE_MAX_LENGTH]


# -- YAML --------------------------------------------------------------------------------------

class _LineDict(dict):
    """A YAML mapping that remembers the line it starts on, so that messages can point at it."""

    line = 0


class _NoticeLoader(yaml.SafeLoader):
    """Safe loading, dates left as text (checked here with clear messages), lines remembered."""


_NoticeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _NoticeLoader, node: yaml.MappingNode) -> _LineDict:
    mapping = _LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


_NoticeLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)

_TOP_KEYS = {"year", "source", "holidays", "workdays"}
_SECTION_NAMES = {"holidays": "节假日", "workdays": "调休上班日"}


def _parse_yaml(text: str, origin: str) -> Notice:
    try:
        document = yaml.load(text, Loader=_NoticeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        place = f"第 {mark.line + 1} 行" if mark is not None else "文件中"
        raise NoticeError(f"YAML 格式错误（{place}）：{error.problem}。") from None
    except yaml.YAMLError as error:
        raise NoticeError(f"YAML 格式错误：{error}。") from None
    if not isinstance(document, dict):
        raise NoticeError("YAML 文件的顶层应为映射，包含 year、source、holidays、workdays。")
    unknown = sorted(str(key) for key in document if key not in _TOP_KEYS)
    if unknown:
        listed = "、".join(unknown)
        raise NoticeError(f"未知的顶层字段：{listed}（只允许 year、source、holidays、workdays）。")
    if "year" not in document:
        raise NoticeError("缺少 year（年份），例如 year: 2027。")
    year = _year(document["year"], "year")
    collector = _Collector(year)
    for key in ("holidays", "workdays"):
        for where, entry in _entries(document.get(key), key):
            _yaml_entry(collector, entry, where, is_workday=(key == "workdays"))
    source = _source(document.get("source"), _default_source(year, origin))
    return Notice(year=year, source=source, days=collector.days)


def _entries(section: object, key: str) -> Iterable[tuple[str, object]]:
    if section is None:
        if key == "holidays":
            raise NoticeError("缺少 holidays（节假日）列表。")
        return
    if not isinstance(section, list):
        raise NoticeError(f"{key}（{_SECTION_NAMES[key]}）应为列表，每项以“- ”开头。")
    for index, entry in enumerate(section, start=1):
        line = getattr(entry, "line", 0)
        place = f"第 {line} 行，" if line else ""
        yield f"{place}{key} 第 {index} 项", entry


def _yaml_entry(collector: _Collector, entry: object, where: str, is_workday: bool) -> None:
    if not isinstance(entry, dict):
        raise NoticeError(f"{where}：应为 {{date: …, name: …}} 形式的映射。")
    allowed = {"date", "name"} if is_workday else {"date", "from", "to", "name"}
    unknown = sorted(str(key) for key in entry if key not in allowed)
    if unknown:
        raise NoticeError(f"{where}：未知字段 {'、'.join(unknown)}（允许：{'、'.join(sorted(allowed))}）。")
    name = _name(entry.get("name"), where, DEFAULT_WORKDAY_NAME if is_workday else None)
    for day in _yaml_days(entry, where):
        collector.add(day, is_workday, name, where)


def _yaml_days(entry: dict, where: str) -> list[dt.date]:
    has_range = "from" in entry or "to" in entry
    if "date" in entry and has_range:
        raise NoticeError(f"{where}：date 与 from/to 只能二选一。")
    if not has_range:
        return [_date(entry.get("date"), where)]
    first = _date(entry.get("from"), where, "起始日期 from")
    last = _date(entry.get("to"), where, "结束日期 to")
    if last < first:
        raise NoticeError(f"{where}：结束日期 {last} 早于起始日期 {first}。")
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


# -- CSV ---------------------------------------------------------------------------------------

def _parse_csv(text: str, origin: str) -> Notice:
    reader = csv.reader(io.StringIO(text))
    header = None
    collector = _Collector(year=None)
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in row]
            if header != CSV_HEADER:
                found = ",".join(row)
                raise NoticeError(f"第 {reader.line_num} 行：表头应为 date,kind,name，实际为 {found}。")
            continue
        _csv_row(collector, row, f"第 {reader.line_num} 行")
    if header is None:
        raise NoticeError("CSV 文件为空：第一行应为表头 date,kind,name。")
    if not collector.days:
        raise NoticeError("CSV 文件只有表头，没有日期。")
    years = sorted({day.year for day in collector.days})
    if len(years) > 1:
        first_of = {year: min(d for d in collector.days if d.year == year) for year in years}
        places = "；".join(f"{year}年（{collector.where[first_of[year]]}）" for year in years)
        raise NoticeError(f"一个 CSV 文件只能包含一个年度的日期，此文件涉及：{places}。")
    year = years[0]
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise NoticeError(f"年份 {year} 超出范围（{MIN_YEAR}–{MAX_YEAR}）。")
    return Notice(year=year, source=_default_source(year, origin), days=collector.days)


def _csv_row(collector: _Collector, row: list[str], where: str) -> None:
    if len(row) != len(CSV_HEADER):
        raise NoticeError(f"{where}：应有 3 列（date,kind,name），实际 {len(row)} 列。")
    date_text, kind_text, name_text = (cell.strip() for cell in row)
    kind = kind_text.lower()
    if kind not in _KINDS:
        raise NoticeError(f"{where}：类别“{kind_text}”无效，只能是 holiday（放假）或 workday（调休上班）。")
    is_workday = _KINDS[kind]
    day = _date(date_text, where)
    name = _name(name_text, where, DEFAULT_WORKDAY_NAME if is_workday else None)
    collector.add(day, is_workday, name, where)
