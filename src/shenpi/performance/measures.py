"""The indicators of one subject over one period, and the rates and measures derived from them.

Pure data and arithmetic, no database: shenpi.performance.indicators fills `Indicators` with a few
aggregate queries; scoring reads the rates through MEASURES, deductions and bonuses through
DEDUCTION_INDICATORS and BONUS_INDICATORS. The definitions are written out in docs/performance.md.
Rates are exact fractions (percent) so that "each full 10 %" is never decided by a rounding error.

The rates and averages the statistics reports show too (按时办结率, 即办率, 网办率 …) take their
formula, label and definition from shenpi.figures.definitions.DERIVED, their one home; the counters
they divide are the case aggregates' (shenpi.figures.counters), under the same names here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from fractions import Fraction

from shenpi.figures.definitions import DERIVED, HUNDRED, percent


@dataclass
class Indicators:
    received: int = 0           # 收件: received in the period
    online: int = 0             # … of which through the online channel (网上申报)
    accepted: int = 0           # 受理: accepted in the period (即办件 included)
    completed: int = 0          # 办结: completed in the period
    on_time: int = 0            # … on or before the promised due date
    early: int = 0              # … strictly before it
    on_the_spot: int = 0        # … 即办件 (promised limit 0)
    denied: int = 0             # … with the decision 不予许可
    used_days: int = 0          # sum of working days used by the completed cases
    promised_days: int = 0      # sum of their promised limits
    refused: int = 0            # 不予受理 in the period
    suspensions: int = 0        # clock stops begun in the period (特别程序 and 补件)
    warnings: int = 0           # 预警 detected in the period
    yellow_cards: int = 0       # 黄牌
    red_cards: int = 0          # 红牌
    cards_answered: int = 0     # yellow and red cards of the period with a rectification answer (整改反馈)
    procedure_flagged: int = 0  # completed cases with a procedure or acceptance alert
    fee_flagged: int = 0        # completed cases with a fee alert
    # Complaints and ratings (投诉, 好差评) have no data yet: None is shown as "—".
    complaints: int | None = None
    satisfied: int | None = None
    rated: int | None = None
    bad_ratings: int | None = None   # 不满意 and 非常不满意
    bad_visited: int | None = None   # … with the follow-up visit (回访) recorded
    bad_rectified: int | None = None  # … with the follow-up done (整改)

    def add(self, other: Indicators) -> None:
        """Sum of two disjoint sets of cases (totals over departments)."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            both_missing = mine is None and theirs is None
            setattr(self, f.name, None if both_missing else (mine or 0) + (theirs or 0))

    @property
    def active(self) -> bool:
        """Anything to assess: a case received, accepted, completed, refused or suspended, or an alert."""
        return any((self.received, self.accepted, self.completed, self.refused, self.suspensions,
                    self.warnings, self.yellow_cards, self.red_cards))

    # -- rates in percent (None: nothing to divide by, or no data) --------------------------------
    @property
    def cards(self) -> int:
        return self.yellow_cards + self.red_cards

    @property
    def on_time_rate(self) -> Fraction | None:
        return DERIVED["on_time_rate"].of(vars(self))

    @property
    def early_rate(self) -> Fraction | None:
        return DERIVED["early_rate"].of(vars(self))

    @property
    def on_the_spot_rate(self) -> Fraction | None:
        return DERIVED["on_the_spot_rate"].of(vars(self))

    @property
    def online_rate(self) -> Fraction | None:
        return DERIVED["online_rate"].of(vars(self))

    @property
    def procedure_rate(self) -> Fraction | None:
        return DERIVED["procedure_rate"].of(vars(self))

    @property
    def fee_rate(self) -> Fraction | None:
        return DERIVED["fee_rate"].of(vars(self))

    @property
    def rectification_rate(self) -> Fraction | None:
        # No card to answer is nothing to reproach: full marks.
        return HUNDRED if not self.cards else percent(self.cards_answered, self.cards)

    @property
    def satisfaction_rate(self) -> Fraction | None:
        if self.satisfied is None or not self.rated:
            return None
        return percent(self.satisfied, self.rated)

    @property
    def rectify_rate(self) -> Fraction | None:
        return None if not self.bad_ratings else percent(self.bad_rectified, self.bad_ratings)

    @property
    def visit_rate(self) -> Fraction | None:
        return None if not self.bad_ratings else percent(self.bad_visited, self.bad_ratings)

    @property
    def avg_used_days(self) -> Fraction | None:
        return DERIVED["avg_used_days"].of(vars(self))

    @property
    def avg_promised_days(self) -> Fraction | None:
        return DERIVED["avg_promised_days"].of(vars(self))


@dataclass(frozen=True)
class Measure:
    label: str
    attr: str
    description: str


def _shared(code: str) -> Measure:
    """A rate the reports show too: its label and definition are the statistics' (one home)."""
    derived = DERIVED[code]
    return Measure(derived.label, code, derived.definition)


# Rates of the case aggregates, defined in shenpi.figures.definitions.
SHARED = ("on_time_rate", "early_rate", "on_the_spot_rate", "online_rate", "procedure_rate", "fee_rate")

# What a measured area (考核项) can be computed from: a rate in percent, 0–100.
MEASURES: dict[str, Measure] = {m.attr: m for m in (
    *(_shared(code) for code in SHARED),
    Measure("黄红牌整改反馈率", "rectification_rate", "本期黄牌、红牌中已反馈整改情况的比例；无黄红牌为100"),
    Measure("满意率", "satisfaction_rate", "好差评中满意的比例（非常满意、满意，按设置含基本满意）"),
    Measure("差评整改率", "rectify_rate", "差评（不满意、非常不满意）中已完成整改的比例"),
    Measure("差评回访率", "visit_rate", "差评中已回访核实的比例"),
)}

DEDUCTION_INDICATORS: dict[str, str] = {
    "warnings": "预警次数",
    "yellow_cards": "黄牌次数",
    "red_cards": "红牌次数",
    "complaints": "投诉件数",
}

BONUS_INDICATORS: dict[str, str] = {code: MEASURES[code].label for code in (
    "early_rate", "on_time_rate", "on_the_spot_rate", "online_rate", "satisfaction_rate")}


def value_of(indicators: Indicators, code: str) -> Fraction | int | None:
    return getattr(indicators, code)
