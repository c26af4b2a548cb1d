"""The monthly department report (月度统计报告): a department's month in figures, as PDF and Excel.

What it holds (docs/monthly-reports.md): the month's case figures from the aggregates
(shenpi.figures.query, labels and definitions from shenpi.figures.counters / definitions) with the
previous month and the same month a year before; the month's performance score and rank
(shenpi.performance.services.assess); the supervision alerts and cards of the month; the definitions.

When: on the first working day of a month (shenpi.workdays: a month whose 1st is a holiday waits for
the first working day after it), the previous month's reports are generated for every department
with anything in that month, then e-mailed to the department's liaisons (部门联络员) and the centre's
leaders (SHENPI_REPORT_LEADERS). A periodic job checks every SHENPI_MONTHLY_REPORTS_INTERVAL seconds;
it generates only what is missing and sends only what is unsent, so running it again changes nothing.
Each department's report is written in its own transaction: a failure leaves no half report and
does not stop the others.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.catalog.models import Department
from shenpi.figures import counters, definitions, query, upkeep
from shenpi.figures.build import month_of, next_month
from shenpi.figures.query import Scope
from shenpi.performance import services as performance
from shenpi.performance.periods import Period, add_months
from shenpi.performance.scoring import NoScheme
from shenpi.supervision.models import Alert, Level
from shenpi.workdays.services import get_calendar

logger = logging.getLogger("shenpi.reports")

JOB = "monthly-reports"
TITLE = "月度统计报告"
PDF_TYPE = "application/pdf"


class MonthlyError(ValueError):
    """Input the monthly reports cannot work with; the message is shown as is."""


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


# -- the month ------------------------------------------------------------------------------------------

def parse_month(text: str) -> dt.date:
    try:
        month = dt.datetime.strptime((text or "").strip(), "%Y-%m").date()
    except ValueError:
        raise MonthlyError(f"月份“{text}”格式不对，应为 YYYY-MM，例如 2026-10。") from None
    if month >= month_of(clock.today()):
        raise MonthlyError(f"{month.year}年{month.month}月尚未结束，只能生成已结束月份的报告。")
    return month


def first_working_day(month: dt.date) -> dt.date:
    """The first working day of the month (the 1st may fall in a holiday or on a weekend)."""
    return get_calendar().next_workday(month)


def due_month(today: dt.date) -> dt.date | None:
    """The month whose reports are due today: the previous one, from this month's first working day."""
    this_month = month_of(today)
    if today < first_working_day(this_month):
        return None
    return add_months(this_month, -1)


def _last_day(month: dt.date) -> dt.date:
    return next_month(month) - dt.timedelta(days=1)


def _counts(department: Department, month: dt.date) -> dict[str, int]:
    return query.total(month, _last_day(month), scope=Scope(departments=(department.pk,)))


def active_departments(month: dt.date) -> list[Department]:
    """Departments with anything in the month: a case counted by any counter, or an alert."""
    start, end = clock.days_range(month, _last_day(month))
    names = [c.name for c in counters.CASE_COUNTERS if not c.total]
    ids = {row["department"] for row in query.totals(month, _last_day(month), by=("department",), names=names)
           if any(row[n] for n in names)}
    ids |= set(Alert.objects.filter(detected_at__gte=start, detected_at__lt=end)
               .values_list("department_id", flat=True).distinct())
    return list(Department.objects.filter(pk__in=ids).order_by("sort", "code"))


def _ranking(month: dt.date):
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
    start, end = clock.days_range(month, _last_day(month))
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
    ranking = _ranking(month) if ranking is None else ranking
    return Content(department, month, counts, rows, _assessment(ranking, department), levels, cards,
                   as_of=upkeep.as_of(), generated_at=clock.now())


# -- generating and storing ------------------------------------------------------------------------------

@dataclass
class Outcome:
    generated: list = field(default_factory=list)  # MonthlyReport rows
    failed: list[tuple[Department, str]] = field(default_factory=list)


def generate(month: dt.date, departments: Iterable[Department] | None = None) -> Outcome:
    """Generate (or regenerate) the month's report of each department: one row per department and month."""
    from .models import MonthlyReport
    from .monthly_files import render_pdf, render_xlsx

    departments = active_departments(month) if departments is None else list(departments)
    outcome = Outcome()
    ranking = _ranking(month) if departments else None
    for department in departments:
        try:
            with transaction.atomic():
                made = content(department, month, ranking)
                report, _ = MonthlyReport.objects.select_for_update().update_or_create(
                    department=department, month=month,
                    defaults={"generated_at": made.generated_at, "as_of": made.as_of, "figures": made.counts,
                              "pdf": render_pdf(made), "xlsx": render_xlsx(made), "sent_at": None, "sent_to": []})
        except Exception as error:  # one department's failure must not stop the others
            logger.exception("monthly report of %s for %s failed", department.code, f"{month:%Y-%m}")
            outcome.failed.append((department, str(error) or error.__class__.__name__))
            continue
        outcome.generated.append(report)
    return outcome


# -- sending -------------------------------------------------------------------------------------------

def recipients(department: Department) -> list[str]:
    """The department's liaisons (部门联络员) with an address, then the centre's leaders; no repeats."""
    liaisons = (User.objects.filter(department=department, roles=Role.LIAISON, is_active=True)
                .exclude(email="").order_by("pk").values_list("email", flat=True))
    out: list[str] = []
    for address in [*liaisons, *settings.REPORT_LEADERS]:
        if address.lower() not in {a.lower() for a in out}:
            out.append(address)
    return out


def _message(report, to: list[str], connection) -> EmailMessage:
    department = report.department
    body = (f"{department.name}：\n\n"
            f"附件为贵部门{report.label}的{TITLE}（PDF与Excel各一份），数据取自{settings.CENTRE_NAME}审批平台的"
            f"实时办件数据，统计口径见报告附录。\n\n{settings.CENTRE_NAME}\n")
    email = EmailMessage(f"【{TITLE}】{department.name} {report.label}", body, settings.DEFAULT_FROM_EMAIL, to,
                         connection=connection)
    email.attach(report.filename("pdf"), bytes(report.pdf), PDF_TYPE)
    email.attach(report.filename("xlsx"), bytes(report.xlsx),
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return email


def send(reports: Iterable) -> int:
    """E-mail each report with both files to its recipients; the number sent.

    SHENPI_NOTIFY_EMAIL decides as for every e-mail of the platform: `smtp` sends through Django's mail
    connection (the SMTP server of SHENPI_EMAIL_HOST), `log` writes one line per report to the log.
    A report whose sending failed stays unsent and is tried again by the next run."""
    sent = 0
    connection = get_connection(fail_silently=False) if settings.NOTIFY_EMAIL == "smtp" else None
    for report in reports:
        to = recipients(report.department)
        if not to:
            logger.warning("monthly report %s: the department has no liaison with an e-mail address", report)
        elif connection is None:
            logger.info("月度统计报告 → %s [%s] %s", ", ".join(to), report.filename("pdf"), report.filename("xlsx"))
        else:
            try:
                _message(report, to, connection).send(fail_silently=False)
            except OSError:
                logger.exception("monthly report %s could not be sent", report)
                continue
        report.sent_at, report.sent_to = clock.now(), to
        report.save(update_fields=["sent_at", "sent_to"])
        sent += 1
    return sent


# -- the periodic job ------------------------------------------------------------------------------------

@dataclass
class Run:
    month: dt.date | None
    generated: int = 0
    failed: int = 0
    sent: int = 0


def run_scheduled(today: dt.date | None = None) -> Run:
    """From the first working day of a month: last month's missing reports, then the unsent ones."""
    from .models import MonthlyReport

    month = due_month(today or clock.today())
    if month is None:
        return Run(None)
    done = set(MonthlyReport.objects.filter(month=month).values_list("department_id", flat=True))
    missing = [d for d in active_departments(month) if d.pk not in done]
    outcome = generate(month, missing) if missing else Outcome()
    unsent = MonthlyReport.objects.filter(month=month, sent_at__isnull=True).select_related("department")
    return Run(month, len(outcome.generated), len(outcome.failed), send(unsent))


def run_scheduled_and_log() -> None:
    run = run_scheduled()
    if run.generated or run.failed or run.sent:
        logger.info("monthly reports %s: %d generated, %d failed, %d sent", f"{run.month:%Y-%m}",
                    run.generated, run.failed, run.sent)
