"""The process family (过程统计): suspensions and corrections by kind and length, refusals by reason.

What is counted, per local day (Asia/Shanghai) × department × item (the case's) — the one home of
these definitions, read by the upkeep, the drill-down and the definition pages alike:

- Suspensions (暂停计时: `ClockStop`, special procedures and 补件) per kind (the stop's kind name;
  补件 for supplement requests): `started` on the day the clock stopped, `ended` on the day it
  restarted (or the case closed), with `days` the sum of the working days the ended stops lasted
  (the days the stop recorded) and their distribution over ≤5, 6–10, 11–20 and >20 working days.
- Corrections (补正, before acceptance) as kind "补正": `started` the cases asked to correct (on the
  day of the correction notice, `correction_requested_at`), `notices` the correction notices issued
  that day, `ended` the cases whose corrected materials were complete (`corrected_at`), `days` the
  working days from the request to the completion (shenpi.workdays) and the same distribution.
- Refusals (不予受理): cases in state refused, on the day they ended (`closed_at`), per reason text.

Voided cases (作废) never count, as in the case aggregates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from shenpi import clock
from shenpi.cases.models import Case, CaseEvent, ClockStop, Notice, State
from shenpi.workdays.services import get_calendar

from . import build, upkeep
from .daytables import Rows, Table, add
from .models_process import (
    REFUSAL_VALUES,
    SUSPENSION_VALUES,
    RefusalDay,
    RefusalMonth,
    SuspensionDay,
    SuspensionMonth,
)

FAMILY = "process"
CORRECTION = "补正"
SUPPLEMENT = "补件"

SUSPENSIONS = Table(SuspensionDay, SuspensionMonth, ("department", "item", "kind"), SUSPENSION_VALUES)
REFUSALS = Table(RefusalDay, RefusalMonth, ("department", "item", "reason"), REFUSAL_VALUES)


@dataclass(frozen=True)
class Length:
    """A class of the length distribution, in working days (both ends included)."""

    name: str
    label: str
    low: int
    high: int | None

    def holds(self, days: int) -> bool:
        return days >= self.low and (self.high is None or days <= self.high)

    def q(self, field: str = "stopped_days") -> Q:
        q = Q(**{f"{field}__gte": self.low})
        return q & Q(**{f"{field}__lte": self.high}) if self.high is not None else q


LENGTHS = (Length("len_5", "≤5个工作日", 0, 5), Length("len_10", "6–10个工作日", 6, 10),
           Length("len_20", "11–20个工作日", 11, 20), Length("len_over", ">20个工作日", 21, None))

DEFINITIONS = {
    "started": "暂停计时：统计期内开始暂停计时（特别程序、补件）的次数；补正：统计期内出具补正材料通知书、"
               "要求补正的办件数（作废件不计）",
    "ended": "暂停计时：统计期内结束（恢复计时或办件结束）的暂停次数；补正：统计期内补正材料收齐的办件数",
    "days": "统计期内结束的暂停（补正）所用工作日之和：暂停按其记录的暂停工作日，补正按告知日至收齐日的工作日",
    "notices": "统计期内出具的补正材料通知书份数",
    **{length.name: f"统计期内结束的暂停（补正）中，时长{length.label}的次数" for length in LENGTHS},
    "refused": "状态为不予受理、结束时间在统计期内的办件，按不予受理理由原文分组",
}


# -- the source rows behind each figure (counting and drill-down read the same querysets) ---------------
def _live(prefix: str = "") -> Q:
    return ~Q(**{f"{prefix}state": State.VOIDED})


def stops_started(start: dt.datetime, end: dt.datetime) -> QuerySet:
    return ClockStop.objects.filter(_live("case__"), started_at__gte=start, started_at__lt=end)


def stops_ended(start: dt.datetime, end: dt.datetime) -> QuerySet:
    return ClockStop.objects.filter(_live("case__"), ended_at__gte=start, ended_at__lt=end)


def corrections_requested(start: dt.datetime, end: dt.datetime) -> QuerySet:
    return Case.objects.filter(_live(), correction_requested_at__gte=start, correction_requested_at__lt=end)


def corrections_completed(start: dt.datetime, end: dt.datetime) -> QuerySet:
    return Case.objects.filter(_live(), correction_requested_at__isnull=False,
                               corrected_at__gte=start, corrected_at__lt=end)


def correction_notices(start: dt.datetime, end: dt.datetime) -> QuerySet:
    return Notice.objects.filter(_live("case__"), kind=Notice.Kind.CORRECTION, issued_at__gte=start,
                                 issued_at__lt=end)


def refusals(start: dt.datetime, end: dt.datetime) -> QuerySet:
    return Case.objects.filter(state=State.REFUSED, closed_at__gte=start, closed_at__lt=end)


def correction_days(requested: dt.datetime, corrected: dt.datetime) -> int:
    """Working days from the day of the correction notice to the day the materials were complete."""
    return max(0, get_calendar().between(clock.local_date(requested), clock.local_date(corrected)))


# -- counting ---------------------------------------------------------------------------------------
def count_suspensions(first: dt.date, last: dt.date) -> Rows:
    start, end = clock.days_range(first, last)
    rows: Rows = {}
    keys = ("case__department_id", "case__item_id", "kind_name")
    for row in (stops_started(start, end).order_by().values(*keys, on=TruncDate("started_at"))
                .annotate(n=Count("pk"))):
        add(rows, (row["on"], *(row[k] for k in keys)), started=row["n"])
    lengths = {length.name: Count("pk", filter=length.q()) for length in LENGTHS}
    for row in (stops_ended(start, end).order_by().values(*keys, on=TruncDate("ended_at"))
                .annotate(n=Count("pk"), d=Sum("stopped_days"), **lengths)):
        add(rows, (row["on"], *(row[k] for k in keys)), ended=row["n"], days=row["d"],
            **{length.name: row[length.name] for length in LENGTHS})
    for row in (corrections_requested(start, end).order_by()
                .values("department_id", "item_id", on=TruncDate("correction_requested_at")).annotate(n=Count("pk"))):
        add(rows, (row["on"], row["department_id"], row["item_id"], CORRECTION), started=row["n"])
    for row in (correction_notices(start, end).order_by()
                .values("case__department_id", "case__item_id", on=TruncDate("issued_at")).annotate(n=Count("pk"))):
        add(rows, (row["on"], row["case__department_id"], row["case__item_id"], CORRECTION), notices=row["n"])
    for dept, item, requested, corrected in (corrections_completed(start, end).order_by()
                                             .values_list("department_id", "item_id", "correction_requested_at",
                                                          "corrected_at").iterator(chunk_size=5000)):
        days = correction_days(requested, corrected)
        add(rows, (clock.local_date(corrected), dept, item, CORRECTION), ended=1, days=days,
            **{length.name: 1 for length in LENGTHS if length.holds(days)})
    return rows


def count_refusals(first: dt.date, last: dt.date) -> Rows:
    start, end = clock.days_range(first, last)
    rows: Rows = {}
    for row in (refusals(start, end).order_by()
                .values("department_id", "item_id", "closing_reason", on=TruncDate("closed_at"))
                .annotate(n=Count("pk"))):
        add(rows, (row["on"], row["department_id"], row["item_id"], row["closing_reason"]), refused=row["n"])
    return rows


def rebuild_days(days: Iterable[dt.date]) -> int:
    days = sorted(set(days))
    built = SUSPENSIONS.rebuild_days(days, count_suspensions)
    REFUSALS.rebuild_days(days, count_refusals)
    return built


# -- upkeep -----------------------------------------------------------------------------------------
def watermark() -> int:
    """The cases' trail: every suspension, correction and refusal is a case action that writes an event."""
    return CaseEvent.objects.aggregate(last=Max("pk"))["last"] or 0


def changed(after: int, up_to: int, since: dt.datetime) -> set[dt.date]:
    """The local days of the process moments set since `since` by the cases with trail events in
    (after, up_to] or since `since`, and of the stops started since then (the margin for late commits).

    An action sets its moments now, so earlier days keep their figures, as with the case aggregates
    (shenpi.figures.upkeep): every moment counts only for a voided case (it leaves the days it was
    counted on) and a case of a department's own system (its moments are recorded late).
    """
    case_ids = set(CaseEvent.objects.filter(Q(pk__gt=after, pk__lte=up_to) | Q(at__gte=since))
                   .order_by().values_list("case_id", flat=True).distinct())
    moments: list[dt.datetime | None] = []
    everything: list[dt.datetime | None] = []
    moments.extend(m for pair in ClockStop.objects.filter(started_at__gte=since).values_list(
        "started_at", "ended_at") for m in pair)
    ids = sorted(case_ids)
    for first in range(0, len(ids), 5000):
        chunk = ids[first:first + 5000]
        whole = set()
        for pk, state, source, asked, corrected, closed in Case.objects.filter(pk__in=chunk).values_list(
                "pk", "state", "source_system", "correction_requested_at", "corrected_at", "closed_at"):
            # The end of a case counts here only as a refusal (不予受理).
            row = (asked, corrected, closed if state in (State.REFUSED, State.VOIDED) else None)
            (everything if state == State.VOIDED or source else moments).extend(row)
            if state == State.VOIDED or source:
                whole.add(pk)
        for case_id, *pair in ClockStop.objects.filter(case_id__in=chunk).values_list("case_id", "started_at",
                                                                                     "ended_at"):
            (everything if case_id in whole else moments).extend(pair)
        for case_id, issued in Notice.objects.filter(case_id__in=chunk, kind=Notice.Kind.CORRECTION).values_list(
                "case_id", "issued_at"):
            (everything if case_id in whole else moments).append(issued)
    return ({clock.local_date(m) for m in moments if m is not None and m >= since}
            | {clock.local_date(m) for m in everything if m is not None})


def first_day() -> dt.date | None:
    """The earliest case's day, or an earlier stop's (a stop recorded before its case's receipt, e.g. by
    an import, still counts)."""
    first_stop = ClockStop.objects.order_by("started_at").values_list("started_at", flat=True).first()
    days = [d for d in (build.first_day(), first_stop and clock.local_date(first_stop)) if d]
    return min(days) if days else None


upkeep.register(upkeep.Family(FAMILY, watermark, changed, rebuild_days, first_day))


# -- reading ----------------------------------------------------------------------------------------
def suspension_totals(first: dt.date, last: dt.date, *, by=(), departments=(), items=(), kinds=()) -> list[dict]:
    return SUSPENSIONS.sums(first, last, by=by, where=SUSPENSIONS.among(department=departments, item=items,
                                                                        kind=kinds))


def refusal_totals(first: dt.date, last: dt.date, *, by=(), departments=(), items=(), reasons=()) -> list[dict]:
    return REFUSALS.sums(first, last, by=by, where=REFUSALS.among(department=departments, item=items,
                                                                  reason=reasons))


# -- drill-down: the cases behind a figure ----------------------------------------------------------
def cases_behind(column: str, first: dt.date, last: dt.date, *, kind: str | None = None) -> QuerySet:
    """The cases a suspension/correction figure counts over the local days first..last (one kind or all);
    filter further by department and item. A case with two stops counted twice appears once."""
    start, end = clock.days_range(first, last)
    parts = []
    if kind != CORRECTION:
        stops = _stops_behind(column, start, end)
        if stops is not None:
            stops = stops.filter(kind_name=kind) if kind else stops
            parts.append(Q(pk__in=stops.values("case_id")))
    if kind in (None, CORRECTION):
        parts.append(_corrections_behind(column, start, end))
    q = Q(pk__in=[])
    for part in parts:
        q |= part
    return Case.objects.filter(q)


def _stops_behind(column: str, start, end) -> QuerySet | None:
    if column == "started":
        return stops_started(start, end)
    if column in ("ended", "days"):
        return stops_ended(start, end)
    lengths = {length.name: length for length in LENGTHS}
    if column in lengths:
        return stops_ended(start, end).filter(lengths[column].q())
    return None


def _corrections_behind(column: str, start, end) -> Q:
    if column == "started":
        return Q(pk__in=corrections_requested(start, end).values("pk"))
    if column == "notices":
        return Q(pk__in=correction_notices(start, end).values("case_id"))
    if column in ("ended", "days"):
        return Q(pk__in=corrections_completed(start, end).values("pk"))
    lengths = {length.name: length for length in LENGTHS}
    if column in lengths:
        wanted = [pk for pk, requested, corrected in corrections_completed(start, end)
                  .values_list("pk", "correction_requested_at", "corrected_at")
                  if lengths[column].holds(correction_days(requested, corrected))]
        return Q(pk__in=wanted)
    return Q(pk__in=[])


def refusals_behind(first: dt.date, last: dt.date, *, reason: str | None = None) -> QuerySet:
    """The refused cases counted over the local days first..last (one reason or all)."""
    cases = refusals(*clock.days_range(first, last))
    return cases.filter(closing_reason=reason) if reason is not None else cases
