"""同比环比: the main case figures of a period against the same period a year before and the period before.

The periods compared (all local days):
- 上年同期: the same dates one year earlier (29 February becomes 28 February);
- 上期: when the period is whole calendar months, the same number of whole months just before it
  (November → October, Q4 → Q3); otherwise the same number of days just before it.
A count's change is in percent of the earlier figure (— when that is 0); a rate's change is the
difference in percentage points (— when either rate is undefined).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from shenpi.figures import query
from shenpi.figures.counters import COUNTERS
from shenpi.figures.definitions import DERIVED, HUNDRED

from .case_common import drill, reads_of, value_of
from .registry import Ask, Column, Report, register
from .row_keys import key_order

FIGURES = ("received", "completed", "on_time_rate", "on_the_spot_rate", "online_rate")


@dataclass(frozen=True)
class Periods:
    current: tuple[dt.date, dt.date]
    year_before: tuple[dt.date, dt.date]
    previous: tuple[dt.date, dt.date]


def _shift_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after day's month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _year_earlier(day: dt.date) -> dt.date:
    if day.month == 2 and day.day == 29:
        return dt.date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def periods(first: dt.date, last: dt.date) -> Periods:
    whole_months = first.day == 1 and (last + dt.timedelta(days=1)).day == 1
    if whole_months:
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        previous = (_shift_months(first, -months), first - dt.timedelta(days=1))
    else:
        length = last - first + dt.timedelta(days=1)
        previous = (first - length, first - dt.timedelta(days=1))
    return Periods((first, last), (_year_earlier(first), _year_earlier(last)), previous)


def _is_count(code: str) -> bool:
    return code in COUNTERS


def _label(code: str) -> str:
    return COUNTERS[code].label if _is_count(code) else DERIVED[code].label


def _definition(code: str) -> str:
    return COUNTERS[code].definition if _is_count(code) else DERIVED[code].definition


def _columns() -> tuple[Column, ...]:
    columns = []
    for code in FIGURES:
        kind = "count" if _is_count(code) else "rate"
        change = ("较比较期的增减百分比（比较期为0时不计）" if _is_count(code)
                  else "本期与比较期之差（百分点；任一期无分母时不计）")
        base = _definition(code)
        columns += [
            Column(code, f"{_label(code)}(本期)", kind, f"{base}；统计期为所选期间"),
            Column(f"{code}__year", f"{_label(code)}(上年同期)", kind, f"{base}；统计期为上年同期"),
            Column(f"{code}__yoy", f"{_label(code)}同比" + ("(%)" if _is_count(code) else "(百分点)"), "rate",
                   f"同比：本期{change}，比较期为上年同期", drill=False),
            Column(f"{code}__prev", f"{_label(code)}(上期)", kind, f"{base}；统计期为上期"),
            Column(f"{code}__mom", f"{_label(code)}环比" + ("(%)" if _is_count(code) else "(百分点)"), "rate",
                   f"环比：本期{change}，比较期为上期", drill=False),
        ]
    return tuple(columns)


def change(code: str, now, before) -> Fraction | None:
    if _is_count(code):
        return None if not before else HUNDRED * (now - before) / before
    return None if now is None or before is None else now - before


def _by_key(ask: Ask, span: tuple[dt.date, dt.date]) -> dict[tuple, dict]:
    rows = query.totals(*span, by=ask.by, scope=ask.scope, names=reads_of(FIGURES))
    return {tuple(row[g] for g in ask.by): row for row in rows}


def rows(ask: Ask) -> list[dict]:
    p = periods(ask.first, ask.last)
    now, year, previous = (_by_key(ask, span) for span in (p.current, p.year_before, p.previous))
    zero = dict.fromkeys(reads_of(FIGURES), 0)
    keys = sorted(set(now) | set(year) | set(previous),
                  key=key_order)
    out = []
    for key in keys:
        row = dict(zip(ask.by, key, strict=True))
        counts = [source.get(key, zero) for source in (now, year, previous)]
        for code in FIGURES:
            current, last_year, before = (value_of(code, c) for c in counts)
            row.update({code: current, f"{code}__year": last_year, f"{code}__yoy": change(code, current, last_year),
                        f"{code}__prev": before, f"{code}__mom": change(code, current, before)})
        out.append(row)
    return out


def cases(ask: Ask, key: Mapping, column: str):
    code, _, which = column.partition("__")
    p = periods(ask.first, ask.last)
    span = {"": p.current, "year": p.year_before, "prev": p.previous}.get(which)
    if span is None or code not in FIGURES:
        return None
    return drill(ask, key, code, *span)


COMPARISON = register(Report(
    code="comparison", title="同比环比", group="对比",
    definition="所选期间（本期）的收件数、办结数、按时办结率、即办率、网办率，与上年同期及上期对比。"
               "上年同期为提前一年的相同日期（2月29日按2月28日）；上期：所选期间为整月时为紧邻其前的相同月数"
               "（如11月对10月、第四季度对第三季度），否则为紧邻其前的相同天数。各数的口径与本期相同。"
               "数量的同比、环比为增减百分比（比较期为0时不计）；比率的同比、环比为相差的百分点。",
    columns=_columns(), rows=rows, cases=cases, groupings=("department", "item", "channel", "window"),
    chart="bar", reads=reads_of(FIGURES)))
