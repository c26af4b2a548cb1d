"""办件公示 and 结果公示: live public boards of cases and of decisions, as the item's publicity setting allows.

What a row shows follows the item version's `publicity` (catalog ItemVersion.Publicity):
- `full`: an organisation's case with its number and name; an individual's case anonymously;
- `anonymous`: every case anonymously: the item, the department, the state and the dates — no case
  number (a key to the progress query), no name, and no reason of a refusal or denial (it may speak
  of the person);
- `none`: not on the boards at all (social assistance, health, minors, marital status).
No ID number or phone, not even masked, is ever on a public page.

The boards page by keyset ("older than this row" / "newer than this row") instead of OFFSET and
COUNT, so each page is one short walk down an index (the primary key or (department, -id) for
cases; the completion and refusal time indexes for results), however many million cases there are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from shenpi.cases.models import ApplicantKind, Case, Decision, State
from shenpi.catalog.models import Department, ItemVersion

PAGE_SIZE = 20
RESULT_KINDS = {"grant": "准予许可", "deny": "不予许可", "refused": "不予受理"}

_BOARD_FIELDS = ("number", "state", "applicant_kind", "applicant_name", "received_at", "accepted_at", "promised_due",
                 "completed_at", "closed_at", "decision", "decided_at", "version__name", "version__result_name",
                 "version__publicity", "department__name", "department__short_name",
                 "source_system", "source_name")


@dataclass
class Row:
    """One public row: `number` and `applicant` are empty for an anonymous one (the page shows neither)."""

    case: Case
    number: str
    applicant: str
    result: str = ""
    reason: str = ""
    result_at: object = None

    @property
    def favourable(self) -> bool:
        return self.result == RESULT_KINDS["grant"]

    @property
    def anonymous(self) -> bool:
        return not self.number


@dataclass
class BoardPage:
    rows: list[Row]
    newer: int | None  # id for the "newer" link (?after=), None on the first page
    older: int | None  # id for the "older" link (?before=), None on the last page


@dataclass
class ResultPage:
    rows: list[Row]
    newer: str | None  # (time, id) cursors of the first and last rows shown, as in BoardPage
    older: str | None


def named(case: Case) -> bool:
    """Whether the boards show the case's number and applicant: an organisation's, under a `full` item."""
    return case.version.publicity == ItemVersion.Publicity.FULL and case.applicant_kind == ApplicantKind.ORGANISATION


def published(cases: QuerySet[Case]) -> QuerySet[Case]:
    """The cases the boards may show at all: not those of items that are not published (`none`)."""
    return cases.exclude(version__publicity=ItemVersion.Publicity.NONE)


def _row(case: Case, result: str = "", reason: str = "", result_at=None) -> Row:
    if named(case):
        return Row(case, case.number, case.applicant_name, result, reason, result_at)
    return Row(case, "", "", result, "", result_at)


def cursor(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _page(cases: QuerySet[Case], before: int | None, after: int | None,
          extra: tuple[str, ...] = ()) -> tuple[list[Case], int | None, int | None]:
    cases = cases.select_related("version", "department").only(*_BOARD_FIELDS, *extra)
    if after is not None:
        rows = list(cases.filter(pk__gt=after).order_by("id")[:PAGE_SIZE + 1])
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE][::-1]
            return rows, rows[0].pk, rows[-1].pk
        before = None  # fewer than a page is newer: that is the first page
    if before is not None:
        cases = cases.filter(pk__lt=before)
    rows = list(cases.order_by("-id")[:PAGE_SIZE + 1])
    older = rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None
    rows = rows[:PAGE_SIZE]
    newer = rows[0].pk if before is not None and rows else None
    return rows, newer, older


def _of_department(cases: QuerySet[Case], department: Department | None) -> QuerySet[Case]:
    return cases.filter(department=department) if department is not None else cases


def case_board(*, department: Department | None = None, before=None, after=None) -> BoardPage:
    """Recent cases, newest first; voided registrations (errors struck out) and the cases of items not
    published are not public."""
    cases = _of_department(published(Case.objects.exclude(state=State.VOIDED)), department)
    rows, newer, older = _page(cases, cursor(before), cursor(after))
    return BoardPage([_row(case) for case in rows], newer, older)


# -- 结果公示 ---------------------------------------------------------------------------------------
# A result is public once the applicant has it: a decision when the case is completed (送达办结), a
# refusal of acceptance when it is refused. Two streams, each walking its own index newest first —
# completed cases by completed_at (case_completed), refusals by closed_at (case_closed, partial) —
# merged by time. The cursor is the (time, id) of the last row shown.

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_STREAMS = {
    "decisions": ("completed_at", Q(state=State.COMPLETED)),
    "refused": ("closed_at", Q(state=State.REFUSED)),
}
_KIND_STREAMS = {
    "": (("decisions", Q()), ("refused", Q())),
    "grant": (("decisions", Q(decision=Decision.GRANT)),),
    "deny": (("decisions", Q(decision=Decision.DENY)),),
    "refused": (("refused", Q()),),
}


def result_time(case: Case) -> dt.datetime:
    return case.closed_at if case.state == State.REFUSED else case.completed_at


def encode_cursor(case: Case) -> str:
    moment = result_time(case) - _EPOCH
    return f"{moment // dt.timedelta(microseconds=1)}-{case.pk}"


def decode_cursor(value) -> tuple[dt.datetime, int] | None:
    try:
        micros, pk = str(value).split("-", 1)
        return _EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)
    except (TypeError, ValueError, OverflowError):
        return None


def _stream(cases: QuerySet[Case], field: str, cursor, newer: bool) -> list[Case]:
    """PAGE_SIZE + 1 rows of one stream after the cursor, in the direction asked."""
    if cursor is not None:
        at, pk = cursor
        if newer:
            cases = cases.filter(Q(**{f"{field}__gt": at}) | Q(**{field: at, "pk__gt": pk}), **{f"{field}__gte": at})
        else:
            cases = cases.filter(Q(**{f"{field}__lt": at}) | Q(**{field: at, "pk__lt": pk}), **{f"{field}__lte": at})
    order = (field, "id") if newer else (f"-{field}", "-id")
    return list(cases.filter(**{f"{field}__isnull": False}).order_by(*order)[:PAGE_SIZE + 1])


def _result(case: Case) -> tuple[str, str]:
    if case.state == State.REFUSED:
        return RESULT_KINDS["refused"], case.closing_reason
    if case.decision == Decision.DENY:
        return RESULT_KINDS["deny"], case.decision_reason
    return RESULT_KINDS["grant"], ""


def _merged(kind: str, department: Department | None, cursor, newer: bool) -> list[Case]:
    rows: list[Case] = []
    for name, extra in _KIND_STREAMS[kind]:
        field, condition = _STREAMS[name]
        cases = _of_department(published(Case.objects.filter(condition, extra)), department)
        cases = cases.select_related("version", "department").only(*_BOARD_FIELDS, "decision_reason",
                                                                     "closing_reason")
        rows += _stream(cases, field, cursor, newer)
    rows.sort(key=lambda c: (result_time(c), c.pk), reverse=not newer)
    return rows


def result_board(*, kind: str = "", department: Department | None = None, before=None, after=None) -> ResultPage:
    """Decisions (准予/不予许可) and refusals of acceptance, newest first, with the reasons of refusals and denials."""
    kind = kind if kind in _KIND_STREAMS else ""
    newer_cursor = decode_cursor(after) if after else None
    rows: list[Case] = []
    if newer_cursor is not None:
        rows = _merged(kind, department, newer_cursor, newer=True)
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE][::-1]
            return _result_page(rows, newer=True, older=True)
    older_cursor = decode_cursor(before) if before and newer_cursor is None else None
    rows = _merged(kind, department, older_cursor, newer=False)
    return _result_page(rows[:PAGE_SIZE], newer=older_cursor is not None, older=len(rows) > PAGE_SIZE)


def _result_page(rows: list[Case], *, newer: bool, older: bool) -> ResultPage:
    page = []
    for case in rows:
        result, reason = _result(case)
        page.append(_row(case, result, reason, result_time(case)))
    return ResultPage(page, encode_cursor(rows[0]) if newer and rows else None,
                      encode_cursor(rows[-1]) if older and rows else None)
