"""What the monthly department report shows, read from the aggregates, the assessment and the alerts.

Each figure is a counter of shenpi.figures.counters or a rate/average of shenpi.figures.definitions,
with its label and definition from there; the month before (环比) and the same month a year before
(同比) come from the same aggregates. Rendered by shenpi.reports.monthly_files, stored and sent by
shenpi.reports.monthly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Count

from shenpi import clock
from shenpi.catalog.models import Department
from shenpi.figures import counters, definitions, query, upkeep
from shenpi.figures.daytables import month_end
from shenpi.figures.query import Scope
from shenpi.performance import services as performance
from shenpi.performance.periods import Period, add_months
from shenpi.performance.scoring import NoScheme
from shenpi.supervision.models import Alert, Level

TITLE = "月度统计报告"


# -- what the report shows -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """One figure of the report: a counter (count) or a derived rate/average, in the one home's words."""

    code: str
    label: str
    kind: str  # count | rate | days
    definition: str

    def of(self, counts: dict) -> int | Fraction | None:
        if self.kind == "count":
            return counts[self.code]
        return definitions.DERIVED[self.code].of(counts)


def _counter(name: str) -> Line:
    c = counters.COUNTERS[name]
    return Line(name, c.label, "count", c.definition)


def _derived(code: str) -> Line:
    d = definitions.DERIVED[code]
    return Line(code, d.label, d.kind, d.definition)


LINES: tuple[Line, ...] = (
    _counter("received"), _counter("accepted"), _counter("completed"),
    _derived("on_time_rate"), _derived("early_rate"), _derived("overdue_rate"),
    _derived("statutory_on_time_rate"), _derived("statutory_overdue_rate"),
    _derived("on_the_spot_rate"), _derived("online_rate"), _derived("full_online_rate"),
    _derived("at_most_once_rate"), _derived("avg_used_days"), _derived("avg_promised_days"),
    _counter("refused"), _counter("denied"),
)
UNITS = {"count": "件", "rate": "%", "days": "工作日"}


@dataclass(frozen=True)
class Row:
    line: Line
    value: int | Fraction | None
    previous: int | Fraction | None     # the month before (环比)
    year_before: int | Fraction | None  # the same month a year before (同比)

    @property
    def month_on_month(self) -> str:
        return change(self.line.kind, self.value, self.previous)

    @property
    def year_on_year(self) -> str:
        return change(self.line.kind, self.value, self.year_before)


@dataclass(frozen=True)
class Card:
    detected_at: dt.datetime
    level: str
    category: str
    rule: str
    case_number: str
    responsible: str
    answered: bool


@dataclass
class Assessment:
    score: Fraction | None = None
    rank: int | None = None
    of: int = 0
    scheme: str = ""
    note: str = ""  # why there is no score


@dataclass
class Content:
    department: Department
    month: dt.date
    counts: dict[str, int]
    rows: list[Row]
    assessment: Assessment
    alerts: dict[str, int]  # level label -> alerts detected in the month
    cards: list[Card] = field(default_factory=list)
    as_of: dt.datetime | None = None
    generated_at: dt.datetime | None = None

    @property
    def label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"

    @property
    def title(self) -> str:
        return f"{self.department.name}{self.label}{TITLE}"


def number(kind: str, value) -> str:
    if value is None:
        return "—"
    if kind == "count":
        return str(value)
    text = f"{float(value):.1f}"
    return f"{text}%" if kind == "rate" else text


def change(kind: str, now, before) -> str:
    """Counts: the change in percent of the earlier figure; rates: in percentage points; days: in days."""
    if now is None or before is None:
        return "—"
    if kind == "count":
        if not before:
            return "—"
        delta = float(Fraction(now - before, before) * 100)
        return f"{delta:+.1f}%"
    delta = float(now - before)
    return f"{delta:+.1f}个百分点" if kind == "rate" else f"{delta:+.1f}天"


def _counts(department: Department, month: dt.date) -> dict[str, int]:
    return query.total(month, month_end(month), scope=Scope(departments=(department.pk,)))


def active_departments(month: dt.date) -> list[Department]:
    """Departments with anything in the month: a case counted by any counter, or an alert."""
    start, end = clock.days_range(month, month_end(month))
    names = [c.name for c in counters.CASE_COUNTERS if not c.total]
    ids = {row["department"] for row in query.totals(month, month_end(month), by=("department",), names=names)
           if any(row[n] for n in names)}
    ids |= set(Alert.objects.filter(detected_at__gte=start, detected_at__lt=end)
               .values_list("department_id", flat=True).distinct())
    return list(Department.objects.filter(pk__in=ids).order_by("sort", "code"))


def ranking_of(month: dt.date):
    """The month's department ranking, once for all departments (None: no scheme in use)."""
    try:
        return performance.assess(Period.month_of(month), "department")
    except (NoScheme, performance.AssessmentError) as error:
        return str(getattr(error, "message", error))


def _assessment(ranking, department: Department) -> Assessment:
    if isinstance(ranking, str) or ranking is None:
        return Assessment(note=ranking or "本月未考核。")
    scheme = ranking.scheme.scheme.name
    for row in ranking.rows:
        if row.subject.key == department.pk:
            return Assessment(row.score, row.rank, len(ranking.rows), scheme)
    return Assessment(of=len(ranking.rows), scheme=scheme, note="本月无考核数据。")


def _alerts(department: Department, month: dt.date) -> tuple[dict[str, int], list[Card]]:
    start, end = clock.days_range(month, month_end(month))
    alerts = Alert.objects.filter(department=department, detected_at__gte=start, detected_at__lt=end)
    by_level = dict(alerts.order_by().values_list("level").annotate(n=Count("pk")))
    levels = {label: by_level.get(value, 0) for value, label in Level.choices}
    cards = [Card(a.detected_at, a.get_level_display(), a.rule.get_category_display(), a.rule.name,
                  a.case.number if a.case_id else "", str(a.responsible) if a.responsible_id else "",
                  a.answered_at is not None)
             for a in alerts.filter(level__gte=Level.YELLOW).select_related("rule", "case", "responsible")
             .order_by("detected_at", "pk")]
    return levels, cards


def content(department: Department, month: dt.date, ranking=None) -> Content:
    """Everything the report shows, read from the aggregates, the assessment and the alerts."""
    counts = _counts(department, month)
    previous = _counts(department, add_months(month, -1))
    year_before = _counts(department, add_months(month, -12))
    rows = [Row(line, line.of(counts), line.of(previous), line.of(year_before)) for line in LINES]
    levels, cards = _alerts(department, month)
    ranking = ranking_of(month) if ranking is None else ranking
    return Content(department, month, counts, rows, _assessment(ranking, department), levels, cards,
                   as_of=upkeep.as_of(), generated_at=clock.now())
