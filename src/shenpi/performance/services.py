"""The operations of performance assessment: the indicator table, the ranking, manual scores.

Pages, the Excel export and the `assess` command call these and nothing else. Who sees what:
supervisors and administrators every department; other staff their own department's rows (the
department, its windows, its people), ranked among all.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.db import transaction

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.catalog.models import Department

from .indicators import LEVELS, Subject, compute, subjects
from .measures import Indicators
from .models import ManualScore, ScoringArea
from .periods import Period, PeriodError
from .scoring import Scheme, SubjectScore, rank, score_month


class AssessmentError(Exception):
    """Input the assessment cannot work with; `message` is shown to the user as is."""

    def __init__(self, message: str, fields: dict | None = None, status: int = 400):
        super().__init__(message)
        self.message, self.fields, self.status = message, fields or {}, status


# -- who may see and do what ---------------------------------------------------------------------

def sees_all(user) -> bool:
    return user.sees_all_departments


def may_assess(user) -> bool:
    """Staff with a role: centre-wide roles see everything, the others their own department."""
    return sees_all(user) or (bool(user.role_codes()) and user.department_id is not None)


def may_enter_scores(user) -> bool:
    return user.is_superuser or user.has_role(Role.SUPERVISOR, Role.ADMIN)


def visible(subject: Subject, user) -> bool:
    return sees_all(user) or (user.department_id is not None and subject.department_id == user.department_id)


def check_period(period: Period, today: dt.date | None = None) -> list[Period]:
    """The months of the period that have begun; a period not begun yet is refused."""
    months = period.months(today or clock.today())
    if not months:
        raise AssessmentError(f"{period.label}尚未开始，无法考核。", {"period": ["所选期间尚未开始。"]})
    return months


def parse_period(text: str) -> Period:
    try:
        return Period.parse(text)
    except PeriodError as error:
        raise AssessmentError(str(error), {"period": [str(error)]}) from None


def check_level(level: str) -> str:
    if level not in LEVELS:
        message = f"考核对象“{level}”不正确，应为 department（部门）、window（窗口）或 person（个人）。"
        raise AssessmentError(message, {"level": [message]})
    return level


# -- indicators -------------------------------------------------------------------------------------

@dataclass
class IndicatorTable:
    period: Period
    level: str
    rows: list[tuple[Subject, Indicators]]
    total: Indicators | None  # every department together (department level, centre-wide readers only)
    seconds: float = 0.0


def indicator_table(period: Period, level: str, user=None, *,
                    computed: dict[int, Indicators] | None = None) -> IndicatorTable:
    """The indicators of every subject over the whole period (`computed`: already counted)."""
    started = time.perf_counter()
    check_period(period)
    computed = compute(period, level) if computed is None else computed
    by_key = {key: ind for key, ind in computed.items() if ind.active}
    subs = subjects(level, by_key)
    rows = sorted(((subs[key], ind) for key, ind in by_key.items()), key=lambda row: row[0].order)
    total = None
    if level == "department":
        total = Indicators()
        for _, ind in rows:
            total.add(ind)
    if user is not None and not sees_all(user):
        rows, total = [row for row in rows if visible(row[0], user)], None
    return IndicatorTable(period, level, rows, total, time.perf_counter() - started)


# -- scores and ranking -------------------------------------------------------------------------------

@dataclass
class Ranking:
    period: Period
    level: str
    scheme: Scheme
    months: list[Period]
    rows: list[SubjectScore] = field(default_factory=list)
    seconds: float = 0.0
    # The indicators of every subject when the period is one month (they are the period's).
    computed: dict[int, Indicators] | None = None

    @property
    def single_month(self) -> bool:
        return self.period.kind == "month"

    @property
    def by_department(self) -> bool:
        return self.level == "department"

    def area_heads(self) -> list[tuple[ScoringArea, Fraction]]:
        """The areas that apply at this level, each with what it is worth (the cells add up to it)."""
        full = self.scheme.full_points(self.by_department)
        return [(area, full[area.pk]) for area in self.scheme.areas if area.pk in full]

    @property
    def incomplete(self) -> list[SubjectScore]:
        """Subjects with a month whose manual areas are not all scored yet."""
        return [row for row in self.rows if not all(m.complete for m in row.months)]


def assess(period: Period, level: str = "department", *, user=None, scheme: Scheme | None = None,
           today: dt.date | None = None) -> Ranking:
    """Score every subject with anything to assess in each month of the period; rank by the mean."""
    started = time.perf_counter()
    scheme = scheme or Scheme.load()
    months = check_period(period, today)
    rows, indicators = _scored(scheme, months, level, user)
    computed = indicators if period.kind == "month" else None
    return Ranking(period, level, scheme, months, rows, time.perf_counter() - started, computed)


def _scored(scheme: Scheme, months: list[Period], level: str, user) -> tuple[list[SubjectScore], dict]:
    """Every subject with anything to assess, scored month by month and ranked by the mean."""
    scores: dict[int, SubjectScore] = {}
    indicators: dict[int, Indicators] = {}
    for month in months:
        indicators = compute(month, level)
        manual = manual_scores(scheme, month) if level == "department" else None
        keys = {key for key, ind in indicators.items() if ind.active} | set(manual or ())
        for key in keys:
            entries = None if manual is None else manual.get(key, {})
            monthly = score_month(scheme, month, indicators.get(key) or Indicators(), entries)
            scores.setdefault(key, SubjectScore(None)).months.append(monthly)
    subs = subjects(level, scores)
    for key, row in scores.items():
        row.subject = subs[key]
    rows = rank(list(scores.values()))
    if user is not None and not sees_all(user):
        rows = [row for row in rows if visible(row.subject, user)]
    return rows, indicators


TREND_MONTHS = 6


@dataclass
class Trend:
    """Monthly scores of the subjects over the months up to a period's last: the ranking's trend chart."""

    months: list[Period]
    series: list[tuple[Subject, list[Fraction | None]]]


def trend(ranking: Ranking, *, user=None, months: int = TREND_MONTHS, top: int = 8) -> Trend:
    """The last `months` months up to the end of the ranking's period, for its `top` subjects (or the
    user's own when they see only their department)."""
    last = ranking.months[-1]
    wanted = [last]
    while len(wanted) < months:
        wanted.insert(0, wanted[0].previous())
    rows, _ = _scored(ranking.scheme, wanted, ranking.level, user)
    by_key = {row.subject.key: row for row in rows}
    series = []
    for row in ranking.rows[:top]:
        monthly = {m.month: m.score for m in by_key[row.subject.key].months} if row.subject.key in by_key else {}
        series.append((row.subject, [monthly.get(m) for m in wanted]))
    return Trend(wanted, series)


def manual_scores(scheme: Scheme, month: Period) -> dict[int, dict[int, ManualScore]]:
    """The month's manual scores of the scheme, by department and area."""
    out: dict[int, dict[int, ManualScore]] = {}
    for entry in ManualScore.objects.filter(area__scheme=scheme.scheme, month=month.first).select_related(
            "entered_by"):
        out.setdefault(entry.department_id, {})[entry.area_id] = entry
    return out


# -- manual scores --------------------------------------------------------------------------------------

def parse_score(text: str) -> Decimal | None:
    """A score as typed: empty for none, else a number 0–100 with at most two decimals."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"“{text}”不是数字。") from None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise ValueError("得分应在0到100之间。")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("得分最多保留两位小数。")
    return value


@dataclass
class ManualResult:
    created: int = 0
    updated: int = 0
    removed: int = 0


def enter_manual_scores(*, actor, area: ScoringArea, month: Period,
                        entries: dict[int, tuple[Decimal | None, str]]) -> ManualResult:
    """Record a manual area's scores of one month for the departments given, in one transaction.

    `entries` maps department ids to (score, note); a score of None removes an earlier entry.
    Who entered each score and when is kept; unchanged entries keep their author.
    """
    if not may_enter_scores(actor):
        raise AssessmentError("只有监察员或中心管理员可以录入人工评分。", status=403)
    if area.kind != ScoringArea.Kind.MANUAL:
        raise AssessmentError(f"“{area.name}”由系统计算，不能人工评分。", {"area": ["该考核项由系统计算。"]})
    if month.kind != "month":
        raise AssessmentError("人工评分按月录入。", {"month": ["请选择月份。"]})
    check_period(month)
    unknown = set(entries) - set(Department.objects.filter(pk__in=entries).values_list("pk", flat=True))
    if unknown:
        raise AssessmentError("所列部门不存在。", {"department": sorted(unknown)})
    for dept, (score, note) in entries.items():
        if score is not None and not Decimal(0) <= score <= Decimal(100):
            raise AssessmentError("得分应在0到100之间。", {str(dept): ["得分应在0到100之间。"]})
        if len(note) > 300:
            raise AssessmentError("评分说明不超过300字。", {str(dept): ["评分说明不超过300字。"]})
    result, now = ManualResult(), clock.now()
    with transaction.atomic():
        existing = {m.department_id: m for m in ManualScore.objects.select_for_update().filter(
            area=area, month=month.first, department_id__in=entries)}
        for dept, (score, note) in entries.items():
            current = existing.get(dept)
            if score is None:
                if current is not None:
                    current.delete()
                    result.removed += 1
                continue
            if current is None:
                ManualScore.objects.create(area=area, department_id=dept, month=month.first, score=score,
                                           note=note, entered_by=actor, entered_at=now)
                result.created += 1
            elif current.score != score or current.note != note:
                current.score, current.note, current.entered_by, current.entered_at = score, note, actor, now
                current.save(update_fields=["score", "note", "entered_by", "entered_at"])
                result.updated += 1
    return result
