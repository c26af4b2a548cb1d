"""The rates and averages derived from the counters: the one home of each figure's definition.

Reports, the wall screen, the monthly department reports and the performance assessment all take a
rate's label, its formula and its definition from here (the counters themselves are defined in
shenpi.figures.counters). Rates are exact fractions in percent, None when there is nothing to divide
by (shown as "—").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction

HUNDRED = Fraction(100)


def percent(part: int, whole: int) -> Fraction | None:
    return None if not whole else HUNDRED * part / whole


def ratio(part: int, whole: int) -> Fraction | None:
    return None if not whole else Fraction(part, whole)


@dataclass(frozen=True)
class Derived:
    code: str
    label: str
    kind: str  # "rate" (percent) or "days" (an average in working days)
    definition: str
    reads: tuple[str, ...]  # the counters it is computed from
    formula: Callable[[Mapping[str, int]], Fraction | None]

    def of(self, counts: Mapping[str, int]) -> Fraction | None:
        return self.formula(counts)


DERIVED: dict[str, Derived] = {d.code: d for d in (
    Derived("on_time_rate", "按时办结率", "rate", "统计期内办结件中，办结日期（北京时间）不晚于承诺办结期限的比例",
            ("on_time", "completed"), lambda c: percent(c["on_time"], c["completed"])),
    Derived("early_rate", "提前办结率", "rate", "统计期内办结件中，早于承诺办结期限办结的比例",
            ("early", "completed"), lambda c: percent(c["early"], c["completed"])),
    Derived("overdue_rate", "超期办结率", "rate", "统计期内办结件中，晚于承诺办结期限办结的比例",
            ("on_time", "completed"), lambda c: percent(c["completed"] - c["on_time"], c["completed"])),
    Derived("statutory_on_time_rate", "法定时限内办结率", "rate", "统计期内办结件中，不晚于法定办结期限办结的比例",
            ("statutory_on_time", "completed"), lambda c: percent(c["statutory_on_time"], c["completed"])),
    Derived("statutory_overdue_rate", "超法定时限率", "rate", "统计期内办结件中，晚于法定办结期限办结的比例",
            ("statutory_on_time", "completed"),
            lambda c: percent(c["completed"] - c["statutory_on_time"], c["completed"])),
    Derived("on_the_spot_rate", "即办率", "rate", "统计期内办结件中，即办件（承诺时限为0）的比例",
            ("on_the_spot", "completed"), lambda c: percent(c["on_the_spot"], c["completed"])),
    Derived("online_rate", "网办率", "rate", "统计期内收件中，网上申报的比例",
            ("online", "received"), lambda c: percent(c["online"], c["received"])),
    Derived("full_online_rate", "全程网办率", "rate", "统计期内收件中，网上申报且事项为全程网办（四级）的比例",
            ("full_online", "received"), lambda c: percent(c["full_online"], c["received"])),
    Derived("at_most_once_rate", "最多跑一次率", "rate", "统计期内收件中，事项承诺最多跑动一次的比例",
            ("at_most_once", "received"), lambda c: percent(c["at_most_once"], c["received"])),
    Derived("procedure_rate", "规范办结率", "rate", "统计期内办结件中，未发生程序类、受理类监察告警的比例",
            ("procedure_flagged", "completed"),
            lambda c: percent(c["completed"] - c["procedure_flagged"], c["completed"])),
    Derived("fee_rate", "收费规范率", "rate", "统计期内办结件中，未发生收费类监察告警的比例",
            ("fee_flagged", "completed"), lambda c: percent(c["completed"] - c["fee_flagged"], c["completed"])),
    Derived("avg_used_days", "平均用时(工作日)", "days", "统计期内办结件实际用时（工作日，不含暂停计时）的平均数",
            ("used_days", "completed"), lambda c: ratio(c["used_days"], c["completed"])),
    Derived("avg_promised_days", "平均承诺时限(工作日)", "days", "统计期内办结件承诺时限的平均数",
            ("promised_days", "completed"), lambda c: ratio(c["promised_days"], c["completed"])),
    Derived("avg_statutory_days", "平均法定时限(工作日)", "days", "统计期内办结件法定时限的平均数",
            ("statutory_days", "completed"), lambda c: ratio(c["statutory_days"], c["completed"])),
)}
