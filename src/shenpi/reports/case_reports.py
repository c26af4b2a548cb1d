"""The case reports that read the case aggregates: volume by hour, timeliness, convenience, days used.

Each figure is a counter of shenpi.figures.counters or a derived figure of shenpi.figures.definitions;
rows are sums of the aggregates over the period (shenpi.figures.query), the drill-down gives the cases
a cell counts (shenpi.reports.case_common). Comparisons are in case_compare, the overdue list in
case_overdue.
"""

from __future__ import annotations

from shenpi.figures.counters import HOURS

from .case_common import BY_ANY, counter_column, derived_column, drill, figure_rows, reads_of
from .registry import Column, Report, register


def _report(code: str, title: str, group: str, definition: str, columns: tuple[Column, ...], *,
            groupings: tuple[str, ...] = BY_ANY, chart: str = "bar") -> Report:
    codes = [c.code for c in columns]
    return register(Report(
        code=code, title=title, group=group, definition=definition, columns=columns,
        rows=lambda ask: figure_rows(ask, codes),
        cases=lambda ask, key, column: drill(ask, key, column),
        groupings=groupings, chart=chart, reads=reads_of(codes)))


HOURLY = _report(
    "received-by-hour", "按小时收件", "办件量",
    "统计期内收件（不含已作废）按收件时刻（北京时间）所在的小时分布：23:30收件计入23时及当天，"
    "次日00:30收件计入0时及次日。可按部门、申报渠道分组。",
    (counter_column("received"), *(counter_column(f"received_h{h:02d}") for h in HOURS)),
    groupings=("department", "channel"), chart="line")

TIMELINESS = _report(
    "timeliness", "办结时效", "时效",
    "统计期内办结（状态为已办结、办结时间在统计期内，不含已作废）的办件，按办结日期（北京时间）与承诺办结期限、"
    "法定办结期限分别比较：不晚于期限为按时，早于期限为提前，晚于期限（或无期限）为超期。"
    "承诺时限与法定时限分列，互不替代。",
    (counter_column("completed"), counter_column("on_time"), derived_column("on_time_rate"),
     counter_column("early"), derived_column("early_rate"), derived_column("overdue_rate"),
     counter_column("statutory_on_time"), derived_column("statutory_on_time_rate"),
     derived_column("statutory_overdue_rate")))

CONVENIENCE = _report(
    "convenience", "网办与便利", "网办",
    "网办率、全程网办率、最多跑一次率以统计期内收件（不含已作废）为分母；即办率以统计期内办结件为分母。"
    "收件按收件时间、办结件按办结时间所在的北京时间日期归入统计期。",
    (counter_column("received"), counter_column("online"), derived_column("online_rate"),
     counter_column("full_online"), derived_column("full_online_rate"),
     counter_column("at_most_once"), derived_column("at_most_once_rate"),
     counter_column("completed"), counter_column("on_the_spot"), derived_column("on_the_spot_rate")))

USED_DAYS = _report(
    "used-days", "用时分析", "时效",
    "统计期内办结件的实际用时（工作日，不含暂停计时）与承诺时限、法定时限的平均数，"
    "以及实际用时占承诺时限比例的分布（≤25%、25%–50%、50%–75%、75%–100%、超承诺）。"
    "即办件（承诺时限0）用时0计入≤25%，用时大于0计入超承诺。",
    (counter_column("completed"), derived_column("avg_used_days"), derived_column("avg_promised_days"),
     derived_column("avg_statutory_days"), *(counter_column(f"used_q{n}") for n in range(1, 5)),
     counter_column("used_over")),
    chart="histogram")

