"""Reading the text of the State Council's holiday notice (国务院办公厅关于…年部分节假日安排的通知).

The administrator pastes the notice as published; each numbered item reads like

    一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。

Every statement the text makes is checked against the dates it yields — the weekday in
brackets, the "共N天" count — so a notice pasted under the wrong year, or mistyped, is refused
before anything is stored.
"""

from __future__ import annotations

import datetime as dt
import re

from .calendar import MAX_YEAR, MIN_YEAR
from .notices import (
    DEFAULT_WORKDAY_NAME,
    NAME_MAX_LENGTH,
    SOURCE_MAX_LENGTH,
    Notice,
    NoticeError,
    _Collector,
)

_WEEKDAYS = "一二三四五六日"
_CN_DIGITS = "一二三四五六七八九十"
_TITLE = re.compile(r"(?:国务院办公厅)?关于\s*(\d{4})\s*年\s*部分节假日安排的通知")
_YEAR_IN_TEXT = re.compile(r"(\d{4})\s*年\s*(?:部分)?节假日")
# "一、元旦：…" — the item number, the holiday's name, what follows up to the next item.
_ITEM = re.compile(rf"(?:^|(?<=[。\s]))([{_CN_DIGITS}]+)、\s*([^：:\n。]{{1,{NAME_MAX_LENGTH}}}?)\s*[：:]")
# A date as the notice writes it: [2025年]1月28日, or 3日 after a range's "至"; then its bracket.
_DATE = re.compile(r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日(?:[（(]([^）)]*)[）)])?")
_COUNT = re.compile(r"共\s*(\d+)\s*天")
_WEEKDAY_NOTE = re.compile(r"(?:周|星期)([一二三四五六日天])")


def parse_state_council_notice(text: str, year: int | None = None) -> Notice:
    """The year's holidays and make-up workdays from the notice's text.

    `year` is needed only when the pasted text lacks the title naming it; when both are there
    they must agree.
    """
    text = text.replace("\u3000", " ").replace("\r", "")
    year = _notice_year(text, year)
    items = list(_ITEM.finditer(text))
    if not items:
        raise NoticeError("没有找到“一、元旦：1月1日……放假”形式的条目，请粘贴通知正文。")
    collector = _Collector(year)
    for index, match in enumerate(items):
        # An item ends at the next one or at its line's end (the closing paragraph is not part of it).
        end = items[index + 1].start() if index + 1 < len(items) else len(text)
        line_end = text.find("\n", match.end())
        end = min(end, line_end) if line_end != -1 else end
        _item(collector, year, match.group(1), match.group(2).strip(), text[match.end():end])
    notice = Notice(year=year, source=_source(text, year), days=collector.days)
    if notice.holiday_count == 0:
        raise NoticeError(f"{year}年的通知中没有找到放假日期。")
    return notice


def _notice_year(text: str, given: int | None) -> int:
    found = _TITLE.search(text) or _YEAR_IN_TEXT.search(text)
    stated = int(found.group(1)) if found else None
    if given is not None and stated is not None and given != stated:
        raise NoticeError(f"所填年份 {given} 与通知标题中的 {stated} 年不一致。")
    year = given if given is not None else stated
    if year is None:
        raise NoticeError("通知正文中没有年份：请粘贴含标题（关于XXXX年部分节假日安排的通知）的全文，或填写年份。")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise NoticeError(f"年份 {year} 超出范围（{MIN_YEAR}–{MAX_YEAR}）。")
    return year


def _source(text: str, year: int) -> str:
    title = _TITLE.search(text)
    source = re.sub(r"\s+", "", title.group(0)) if title else f"国务院办公厅关于{year}年部分节假日安排的通知"
    return source[:SOURCE_MAX_LENGTH]


def _item(collector: _Collector, year: int, number: str, name: str, body: str) -> None:
    where = f"第{number}条（{name}）"
    sentences = [s.strip() for s in re.split(r"[。；;\n]", body) if s.strip()]
    rests = [s for s in sentences if "放假" in s]
    if not rests:
        raise NoticeError(f"{where}：没有找到放假日期（“……放假，共N天”）。")
    for sentence in rests:
        days = _holiday_days(sentence, year, where)
        for day in days:
            collector.add(day, False, name, where)
    for sentence in (s for s in sentences if "上班" in s and "放假" not in s):
        dates = _dates(sentence, year, where)
        if not dates:
            raise NoticeError(f"{where}：“{sentence}”中没有上班日期。")
        for day in dates:
            collector.add(day, True, f"{name}{DEFAULT_WORKDAY_NAME}"[:NAME_MAX_LENGTH], where)


def _holiday_days(sentence: str, year: int, where: str) -> list[dt.date]:
    """The days of '1月28日（…）至2月4日（…）放假调休，共8天' or of '1月1日（周三）放假1天'."""
    head = sentence.split("放假", 1)[0]
    parts = head.split("至")
    if len(parts) > 2:
        raise NoticeError(f"{where}：“{sentence}”中的日期范围无法识别。")
    first = _dates(parts[0], year, where)
    if len(first) != 1:
        raise NoticeError(f"{where}：“{sentence}”中应有一个放假起始日期。")
    last = _dates(parts[1], year, where, month=first[0].month) if len(parts) == 2 else first
    if len(last) != 1 or last[0] < first[0]:
        raise NoticeError(f"{where}：“{sentence}”中的放假结束日期无法识别或早于起始日期。")
    days = [first[0] + dt.timedelta(days=n) for n in range((last[0] - first[0]).days + 1)]
    count = _COUNT.search(sentence) or re.search(r"放假\s*(\d+)\s*天", sentence)
    if count and int(count.group(1)) != len(days):
        raise NoticeError(f"{where}：{days[0]}至{days[-1]}是{len(days)}天，通知写的是共{count.group(1)}天。")
    return days


def _dates(fragment: str, year: int, where: str, month: int | None = None) -> list[dt.date]:
    """Dates in a fragment; a day without its month takes the previous date's month."""
    found = []
    for match in _DATE.finditer(fragment):
        year_text, month_text, day_text, note = match.groups()
        month = int(month_text) if month_text else month
        if month is None:
            raise NoticeError(f"{where}：“{match.group(0)}”缺少月份。")
        try:
            day = dt.date(int(year_text) if year_text else year, month, int(day_text))
        except ValueError:
            raise NoticeError(f"{where}：日期“{match.group(0)}”不存在。") from None
        _check_weekday(day, note or "", where)
        found.append(day)
    return found


def _check_weekday(day: dt.date, note: str, where: str) -> None:
    stated = _WEEKDAY_NOTE.search(note)
    if stated is None:
        return
    weekday = "日" if stated.group(1) == "天" else stated.group(1)
    actual = _WEEKDAYS[day.weekday()]
    if weekday != actual:
        raise NoticeError(f"{where}：{day.year}年{day.month}月{day.day}日是星期{actual}，通知写的是周{weekday}"
                          "——年份是否填错？")
