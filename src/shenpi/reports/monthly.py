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

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.catalog.models import Department
from shenpi.figures.build import month_of
from shenpi.performance.periods import add_months
from shenpi.workdays.services import get_calendar

from .models import MonthlyReport
from .monthly_figures import TITLE, active_departments, content, ranking_of
from .monthly_files import render_pdf, render_xlsx

logger = logging.getLogger("shenpi.reports")

JOB = "monthly-reports"
PDF_TYPE = "application/pdf"


class MonthlyError(ValueError):
    """Input the monthly reports cannot work with; the message is shown as is."""


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


# -- generating and storing ------------------------------------------------------------------------------

@dataclass
class Outcome:
    generated: list = field(default_factory=list)  # MonthlyReport rows
    failed: list[tuple[Department, str]] = field(default_factory=list)


def generate(month: dt.date, departments: Iterable[Department] | None = None) -> Outcome:
    """Generate (or regenerate) the month's report of each department: one row per department and month."""
    departments = active_departments(month) if departments is None else list(departments)
    outcome = Outcome()
    ranking = ranking_of(month) if departments else None
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
