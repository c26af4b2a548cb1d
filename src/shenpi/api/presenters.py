"""Facts about a case as the API shows them, gathered from the cases app's own functions.

Nothing here decides what may happen to a case; it only reads what the lifecycle and the
services already know (the clock, the allowed actions) and applies the disclosure rule for
personal data.
"""

from __future__ import annotations

import datetime as dt

import holidays as holidays_pkg
from django.utils import timezone

from shenpi.accounts.models import User
from shenpi.cases import deadlines, lifecycle, queries
from shenpi.cases.models import Case, CaseMaterial, Notice, State
from shenpi.workdays.calendar import WorkCalendar, estimated_holidays
from shenpi.workdays.models import CalendarDay, CalendarYear

RECEIVE_LABEL = "收件"


def discloses_personal_data(case: Case, user: User) -> bool:
    """Full ID number, phone and query code: the one rule of the workbench (queries.sees_applicant)."""
    return queries.sees_applicant(user, case)


def applicant(case: Case, disclose: bool) -> dict:
    return {
        "kind": case.applicant_kind,
        "kind_label": case.get_applicant_kind_display(),
        "name": case.applicant_name,
        "id_number": case.applicant_id if disclose else case.applicant_id_masked,
        "id_note": case.applicant_id_note,
        "contact_name": case.contact_name,
        "phone": case.contact_phone if disclose else case.contact_phone_masked,
        "masked": not disclose,
    }


def is_overdue(case: Case, today: dt.date) -> bool:
    """The same rule as the list filter overdue=true and the workbench's 已超期 (cases.deadlines)."""
    return deadlines.is_case_overdue(case.state, case.promised_due, today)


def is_due_soon(case: Case, calendar: WorkCalendar, today: dt.date) -> bool:
    """即将到期 as the workbench and the supervision board count it (cases.deadlines)."""
    return deadlines.is_case_due_soon(case.state, case.promised_due, case.promised_limit + case.extension_days,
                                      today, calendar, deadlines.thresholds().case)


_STATE_LABELS = {value: str(label) for value, label in State.choices}


def _moment(value: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    """A moment as the serializers write it (DRF DateTimeField): ISO 8601 in the platform's time zone."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def case_summaries(rows: list[dict], today: dt.date) -> list[dict]:
    """Rows of the case list from queries.case_summaries, shaped as serializers.CaseSummarySerializer.

    Built by hand because the list is the most frequent call: the serializer costs several times
    the query. tests/api/test_case_list.py holds the two to the same output.
    """
    # Read once per page: looking the current time zone up costs more than formatting the moment.
    zone = timezone.get_current_timezone()
    return [case_summary(row, today, zone) for row in rows]


def case_summary(row: dict, today: dt.date, zone: dt.tzinfo) -> dict:
    state = row["state"]
    return {
        "number": row["number"],
        "state": state,
        "state_label": _STATE_LABELS.get(state, state),
        "item": {"code": row["item__code"], "name": row["version__name"], "version": row["version__number"]},
        "department": {"code": row["department__code"], "name": row["department__name"]},
        "channel": row["channel"],
        "title": row["title"],
        "applicant_name": row["applicant_name"],
        "applicant_kind": row["applicant_kind"],
        "received_at": _moment(row["received_at"], zone),
        "accept_date": _day(row["accept_date"]),
        "promised_due": _day(row["promised_due"]),
        "statutory_due": _day(row["statutory_due"]),
        "due_provisional": row["due_provisional"],
        "clock_stopped_on": _day(row["clock_stopped_on"]),
        "overdue": deadlines.is_case_overdue(state, row["promised_due"], today),
        "closed_at": _moment(row["closed_at"], zone),
        "row_version": row["row_version"],
    }


def clock(case: Case, calendar: WorkCalendar, today: dt.date) -> dict:
    """The legal clock: dates stored on the case, days used from lifecycle.clock_used_days.

    Remaining days are the promised (or statutory) limit plus extensions minus the days used, so
    they freeze while the clock is stopped and equal the working days left until the due date
    while it runs; they are left out once the case is closed or before it is accepted.
    """
    accepted = case.accept_date is not None
    facts = queries.clock_facts(case, today, calendar)
    return {
        "accept_date": case.accept_date,
        "correction_due": case.correction_due,
        "promised_limit": case.promised_limit,
        "statutory_limit": case.statutory_limit,
        "promised_due": case.promised_due,
        "statutory_due": case.statutory_due,
        "provisional": case.due_provisional,
        "used_days": facts.used if accepted else None,
        "promised_remaining_days": facts.promised_left,
        "statutory_remaining_days": facts.statutory_left,
        "overdue": is_overdue(case, today),
        "due_soon": is_due_soon(case, calendar, today),
        "stopped": case.clock_stopped_on is not None,
        "stopped_since": case.clock_stopped_on,
        "stopped_days": case.stopped_days,
        "extension_days": case.extension_days,
        "extension_limit": case.version.extension_limit,
        "delivery_due": case.delivery_due,
    }


def decision(case: Case) -> dict | None:
    if not case.decision:
        return None
    return {
        "result": case.decision,
        "label": case.get_decision_display(),
        "reason": case.decision_reason,
        "decided_at": case.decided_at,
        "delivery_due": case.delivery_due,
    }


def action_label(action: str) -> str:
    if action == "receive":
        return RECEIVE_LABEL
    transition = lifecycle.transition_of(action)
    return transition.label if transition else action


def material_file(material: CaseMaterial) -> dict | None:
    """A material's electronic file and the workbench page that shows it (opening it there is recorded)."""
    if not material.file:
        return None
    return {"name": material.shown_name, "content_type": material.content_type, "size": material.size,
            "pages": material.pages,
            "url": f"/workbench/cases/{material.case.number}/materials/{material.pk}/"}


def notice_pdf_path(case: Case, notice: Notice) -> str:
    """The workbench page that renders the notice as PDF (a staff session is needed to open it)."""
    return f"/workbench/cases/{case.number}/notices/{notice.pk}.pdf"


ESTIMATED_SOURCE = "尚无国务院节假日安排通知：按《全国年节及纪念日放假办法》估算，所涉期限均标为估算。"


def calendar_year(year: int) -> dict:
    """The days of a year that differ from Monday-to-Friday, as the working-day arithmetic sees them.

    An official year lists the notice's rest days (weekend days of a holiday included) and its
    make-up working days. Any other year lists the weekdays the estimate takes off, and no
    make-up days, because WorkCalendar ignores stored days of a year that is not official.
    """
    row = CalendarYear.objects.filter(year=year).first()
    if row is not None and row.official:
        days = list(CalendarDay.objects.filter(date__year=year).order_by("date"))
        return {
            "year": year, "official": True, "source": row.source,
            "holidays": [{"date": d.date, "name": d.name} for d in days if not d.is_workday],
            "workdays": [{"date": d.date, "name": d.name} for d in days if d.is_workday],
        }
    names = holidays_pkg.China(years=year, language="zh_CN")
    return {
        "year": year, "official": False, "source": ESTIMATED_SOURCE,
        "holidays": [{"date": d, "name": names.get(d, "")} for d in sorted(estimated_holidays(year))],
        "workdays": [],
    }
