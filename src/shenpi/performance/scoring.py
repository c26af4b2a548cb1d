"""From indicators to a score: the scheme's areas, deductions and bonuses, for one subject and month.

    score = Σ points of the areas − deductions + bonuses            (not below 0 with 扣完为止)
    points of an area = base × weight / (Σ weights of the areas with a value) × value / 100

An area has a value when it is measured and its measure has something to divide by, or when it is
manual and a supervisor scored it for that department and month. Areas without a value are left out
and the weights of the others scaled up to the base, so a missing figure neither rewards nor punishes.
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


class Source:
    MEASURED = "measured"
    MANUAL = "manual"
    NOT_ENTERED = "not_entered"      # manual, not scored yet for this department and month
    NO_DATA = "no_data"              # measured, nothing to divide by (or the data do not exist yet)
    DEPARTMENT_ONLY = "department_only"  # manual areas are scored per department, not per window or person

    LABELS = {MEASURED: "系统计算", MANUAL: "人工评分", NOT_ENTERED: "未录入", NO_DATA: "无数据",
              DEPARTMENT_ONLY: "仅考核部门"}


@dataclass
class AreaScore:
    area: ScoringArea
    source: str
    value: Fraction | None = None   # 0–100
    points: Fraction | None = None
    manual: ManualScore | None = None

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
    areas = [_area_score(area, indicators, manual) for area in scheme.areas]
    counted = [a for a in areas if a.value is not None]
    base = Fraction(scheme.scheme.base)
    total_weight = sum((Fraction(a.area.weight) for a in counted), Fraction(0))
    if total_weight:
        for a in counted:
            a.points = base * Fraction(a.area.weight) / total_weight * a.value / 100
        weighted = sum((a.points for a in counted), Fraction(0))
    else:
        weighted = base
    deductions = [_adjust(rule, value_of(indicators, rule.indicator)) for rule in scheme.deductions]
    bonuses = [_adjust(rule, value_of(indicators, rule.indicator)) for rule in scheme.bonuses]
    score = weighted - sum((d.points for d in deductions), Fraction(0)) + sum((b.points for b in bonuses), Fraction(0))
    if scheme.scheme.floor_at_zero:
        score = max(score, Fraction(0))
    return MonthScore(month, indicators, areas, deductions, bonuses, weighted, score)


def _area_score(area: ScoringArea, indicators: Indicators, manual: dict[int, ManualScore] | None) -> AreaScore:
    if area.kind == ScoringArea.Kind.MEASURED:
        value = value_of(indicators, area.measure)
        return AreaScore(area, Source.NO_DATA if value is None else Source.MEASURED, value)
    if manual is None:
        return AreaScore(area, Source.DEPARTMENT_ONLY)
    entry = manual.get(area.pk)
    if entry is None:
        return AreaScore(area, Source.NOT_ENTERED)
    return AreaScore(area, Source.MANUAL, Fraction(entry.score), manual=entry)


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
