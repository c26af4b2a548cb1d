"""办件量 (case volume): cases received, accepted, completed and refused, by department, item,
channel, window, month or hour of the day, read from the case aggregates (shenpi.figures)."""

from __future__ import annotations

from dataclasses import replace

from shenpi.figures import query
from shenpi.figures.counters import COUNTERS, HOURS

from .drill import counted_cases
from .registry import Ask, AskError, Column, Report, register

NAMES = ("received", "accepted", "completed", "refused")
HOUR_COUNTERS = tuple(f"received_h{h:02d}" for h in HOURS)


def rows(ask: Ask) -> list[dict]:
    if "hour" in ask.by:
        return _by_hour(ask)
    if not ask.by:
        return [query.total(ask.first, ask.last, scope=ask.scope, names=NAMES)]
    return query.totals(ask.first, ask.last, by=ask.by, scope=ask.scope, names=NAMES)


def _by_hour(ask: Ask) -> list[dict]:
    """Only receipt has an hour of the day counted: the other columns have no figure by hour."""
    if ask.by != ("hour",):
        raise AskError("按时段统计时不能再按其他项分组。")
    counts = query.total(ask.first, ask.last, scope=ask.scope, names=HOUR_COUNTERS)
    return [{"hour": h, "received": counts[name], **dict.fromkeys(NAMES[1:])}
            for h, name in zip(HOURS, HOUR_COUNTERS, strict=True)]


def cases(ask: Ask, key: dict, column: str):
    if column not in NAMES:
        return None
    if key.get("hour") is not None and column != "received":
        return None
    return counted_cases(column, replace(ask, by=()), key)


VOLUME = register(Report(
    code="volume",
    title="办件量统计",
    group="办件量",
    definition=("统计期内各部门的收件、受理、办结和不予受理件数。每个数按相应时刻（收件时间、受理时间、办结时间、"
                "不予受理时间）所在的北京时间日期计入统计期，例如10月31日23:30办结的办件计入10月；"
                "已作废的办件不计。同一办件可在不同统计期分别计入收件和办结。按时段分组时只统计收件。"),
    columns=tuple(Column(name, COUNTERS[name].label, "count", COUNTERS[name].definition) for name in NAMES),
    rows=rows,
    groupings=("department", "item", "channel", "window", "month", "hour"),
    cases=cases,
    chart="bar",
    reads=NAMES + HOUR_COUNTERS,
))
