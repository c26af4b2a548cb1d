"""From indicators to a score: the scheme's areas, deductions and bonuses, for one subject and month.

    score = Σ points of the areas − deductions + bonuses            (not below 0 with 扣完为止)
    points of an area = full × value / 100,   full = base × weight / Σ weights of the areas that apply

What a ranking's column heads say (满分 per area) is what its cells add up to. For a department every
area applies, and the weights add up to 100 %, so an area of 14 % is worth 14 of 100 points. Windows
and persons are not scored by hand: only the measured areas apply to them, and they share the base
(14 of 42 % → 33.33 points), which the heads of their ranking say.

An area that applies but has no value:
- manual and not scored yet for the department and month (未录入): 0 points, and the month is
  marked incomplete (`MonthScore.complete`), so the page says the score still lacks it;
- measured with nothing to divide by (无数据: no case completed in the month): full points, as for
  a month without yellow or red cards — there is nothing to reproach.
Deductions and bonuses count full units: floor(indicator / every) × points, at most `cap`.
Pure arithmetic on exact fractions; the rules are the model rows of the scheme.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .measures import Indicators, value_of
from .models import BonusRule, DeductionRule, ManualScore, ScoringArea, ScoringScheme
from .periods import Period


class NoScheme(LookupError):
    """No scoring scheme is in use."""


@dataclass
class Scheme:
    scheme: ScoringScheme
    areas: list[ScoringArea]
    deductions: list[DeductionRule]
    bonuses: list[BonusRule]

    @classmethod
    def load(cls, scheme: ScoringScheme | None = None) -> Scheme:
        if scheme is None:
            scheme = ScoringScheme.objects.filter(active=True).first()
            if scheme is None:
                raise NoScheme("没有正在使用的考核方案，请在管理后台启用一个考核方案。")
        return cls(scheme, list(scheme.areas.all()), list(scheme.deductions.all()), list(scheme.bonuses.all()))

    @property
    def manual_areas(self) -> list[ScoringArea]:
        return [a for a in self.areas if a.kind == ScoringArea.Kind.MANUAL]

    def applies(self, area: ScoringArea, by_department: bool) -> bool:
        """Manual areas are scored per department; windows and persons on the measured areas alone."""
        return by_department or area.kind == ScoringArea.Kind.MEASURED

    def full_points(self, by_department: bool) -> dict[int, Fraction]:
        """What each area that applies is worth, by area id: the base shared in proportion to the weights."""
        applying = [a for a in self.areas if self.applies(a, by_department)]
        total = sum((Fraction(a.weight) for a in applying), Fraction(0))
        base = Fraction(self.scheme.base)
        return {a.pk: (base * Fraction(a.weight) / total if total else Fraction(0)) for a in applying}


class Source:
    MEASURED = "measured"
    MANUAL = "manual"
    NOT_ENTERED = "not_entered"      # manual, not scored yet for this department and month
    NO_DATA = "no_data"              # measured, nothing to divide by (or the data do not exist yet)
    DEPARTMENT_ONLY = "department_only"  # manual areas are scored per department, not per window or person

    LABELS = {MEASURED: "系统计算", MANUAL: "人工评分", NOT_ENTERED: "未录入", NO_DATA: "无数据，计满分",
              DEPARTMENT_ONLY: "仅考核部门"}


@dataclass
class AreaScore:
    area: ScoringArea
    source: str
    value: Fraction | None = None   # 0–100
    points: Fraction | None = None  # None: the area does not apply (a manual area for a window or person)
    manual: ManualScore | None = None
    full: Fraction | None = None    # what the area is worth for this subject

    @property
    def source_label(self) -> str:
        return Source.LABELS[self.source]


@dataclass
class AdjustmentLine:
    rule: DeductionRule | BonusRule
    value: Fraction | int | None
    points: Fraction


@dataclass
class MonthScore:
    month: Period
    indicators: Indicators
    areas: list[AreaScore]
    deductions: list[AdjustmentLine]
    bonuses: list[AdjustmentLine]
    weighted: Fraction
    score: Fraction

    @property
    def deducted(self) -> Fraction:
        return sum((line.points for line in self.deductions), Fraction(0))

    @property
    def added(self) -> Fraction:
        return sum((line.points for line in self.bonuses), Fraction(0))

    @property
    def not_entered(self) -> list[str]:
        return [a.area.name for a in self.areas if a.source == Source.NOT_ENTERED]

    @property
    def complete(self) -> bool:
        """Every manual area scored: the score will not change but through the data themselves."""
        return not self.not_entered

    def area(self, code: str) -> AreaScore | None:
        return next((a for a in self.areas if a.area.code == code), None)


@dataclass
class SubjectScore:
    """A subject's score over a period: the mean of its monthly scores."""

    subject: object
    months: list[MonthScore] = field(default_factory=list)
    rank: int = 0

    @property
    def score(self) -> Fraction:
        return sum((m.score for m in self.months), Fraction(0)) / len(self.months)


def score_month(scheme: Scheme, month: Period, indicators: Indicators,
                manual: dict[int, ManualScore] | None) -> MonthScore:
    """`manual` is the department's manual scores by area id; None for windows and persons."""
    full = scheme.full_points(by_department=manual is not None)
    areas = [_area_score(area, indicators, manual, full.get(area.pk)) for area in scheme.areas]
    weighted = sum((a.points for a in areas if a.points is not None), Fraction(0))
    deductions = [_adjust(rule, value_of(indicators, rule.indicator)) for rule in scheme.deductions]
    bonuses = [_adjust(rule, value_of(indicators, rule.indicator)) for rule in scheme.bonuses]
    score = weighted - sum((d.points for d in deductions), Fraction(0)) + sum((b.points for b in bonuses), Fraction(0))
    if scheme.scheme.floor_at_zero:
        score = max(score, Fraction(0))
    return MonthScore(month, indicators, areas, deductions, bonuses, weighted, score)


def _area_score(area: ScoringArea, indicators: Indicators, manual: dict[int, ManualScore] | None,
                full: Fraction | None) -> AreaScore:
    if full is None:
        return AreaScore(area, Source.DEPARTMENT_ONLY)
    if area.kind == ScoringArea.Kind.MEASURED:
        value = value_of(indicators, area.measure)
        if value is None:  # nothing completed to fault
            return AreaScore(area, Source.NO_DATA, None, full, full=full)
        return AreaScore(area, Source.MEASURED, value, full * value / 100, full=full)
    entry = (manual or {}).get(area.pk)
    if entry is None:
        return AreaScore(area, Source.NOT_ENTERED, None, Fraction(0), full=full)
    value = Fraction(entry.score)
    return AreaScore(area, Source.MANUAL, value, full * value / 100, manual=entry, full=full)


def _adjust(rule: DeductionRule | BonusRule, value: Fraction | int | None) -> AdjustmentLine:
    if not value:
        return AdjustmentLine(rule, value, Fraction(0))
    units = Fraction(value) // Fraction(rule.every)
    points = units * Fraction(rule.points)
    if rule.cap is not None:
        points = min(points, Fraction(rule.cap))
    return AdjustmentLine(rule, value, points)


def rank(scores: list[SubjectScore]) -> list[SubjectScore]:
    """Highest score first; equal scores (to 0.01) share a rank (1, 2, 2, 4)."""
    ordered = sorted(scores, key=lambda s: (-round(s.score, 2), s.subject.order))
    previous, current = None, 0
    for position, row in enumerate(ordered, start=1):
        shown = round(row.score, 2)
        if shown != previous:
            current, previous = position, shown
        row.rank = current
    return ordered
