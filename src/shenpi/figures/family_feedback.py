"""The feedback families of aggregates: ratings (好差评) and complaints (投诉), kept by the upkeep in day
and month tables (shenpi.figures.daytables).

Ratings count on the local day they were given (rated_at), per department × item of the rated case
(none for a window's 一次一评) × window × level. A rating excluded by an upheld appeal is counted
apart (`excluded`), never in `rated`; the follow-ups of bad ratings (回访, 整改) are counted on the
rating's day. Which levels are "satisfied" is NOT stored: it is decided when read, by
shenpi.feedback.services.satisfied_levels(), the same rule the performance assessment uses, so
switching SHENPI_SATISFACTION_COUNTS_BASIC changes every figure at once and the 满意率 of a report
always equals the assessment's.

Complaints count on the local day they were filed, per department × subject (× item and window
concerned): filed, answered, answered after their answer_due, still open. Complaints still open past
their due ("逾期未答复") depend on today, not on any change, so reports count them live (indexed).

What changes a day: a new rating or complaint (ids above the last run's, and rows written in the
margin), a follow-up visited or done, an appeal decided, a complaint answered — each has a timestamp.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, F, Max, Q
from django.db.models.functions import TruncDate

from shenpi.clock import days_range, local_date
from shenpi.feedback.models import BAD_LEVELS, Complaint, Rating, RatingAppeal, RatingFollowUp
from shenpi.feedback.services import satisfied_levels

from .daytables import Table
from .definitions import Derived, percent
from .models_feedback import ComplaintDay, ComplaintMonth, RatingDay, RatingMonth
from .upkeep import Family, register

RATINGS = "ratings"
COMPLAINTS = "complaints"

RATING_COUNTERS = ("rated", "excluded", "by_default", "visited", "rectified")
COMPLAINT_COUNTERS = ("filed", "answered", "answered_late", "open")

RATING_TABLE = Table(RatingDay, RatingMonth, ("department", "item", "window", "level"), RATING_COUNTERS)
COMPLAINT_TABLE = Table(ComplaintDay, ComplaintMonth, ("department", "item", "window", "subject"),
                        COMPLAINT_COUNTERS)


# -- ratings -----------------------------------------------------------------------------------------------

def ratings_on(first: dt.date, last: dt.date):
    """The ratings given on the local days first..last (every one, excluded or not)."""
    start, end = days_range(first, last)
    return Rating.objects.filter(rated_at__gte=start, rated_at__lt=end)


def count_rating_days(first: dt.date, last: dt.date) -> dict[tuple, dict[str, int]]:
    counted = ~Q(excluded=True)
    bad = counted & Q(level__in=BAD_LEVELS)
    grouped = (ratings_on(first, last).order_by()
               .values("department_id", "window_id", "level", on=TruncDate("rated_at"), item_id=F("case__item_id"))
               # Named n_*: an annotation may not take the name of a field the filters read (excluded).
               .annotate(n_rated=Count("pk", filter=counted), n_excluded=Count("pk", filter=Q(excluded=True)),
                         n_by_default=Count("pk", filter=counted & Q(by_default=True)),
                         n_visited=Count("pk", filter=bad & Q(follow_up__visited_at__isnull=False)),
                         n_rectified=Count("pk", filter=bad & Q(follow_up__done_at__isnull=False))))
    return {(r["on"], r["department_id"], r["item_id"], r["window_id"], r["level"]):
            {n: r[f"n_{n}"] for n in RATING_COUNTERS} for r in grouped}


def rebuild_rating_days(days: Iterable[dt.date]) -> int:
    return RATING_TABLE.rebuild_days(days, count_rating_days)


def rating_watermark() -> int:
    return Rating.objects.aggregate(last=Max("pk"))["last"] or 0


def changed_rating_days(after: int, up_to: int, since: dt.datetime) -> set[dt.date]:
    touched = Q(pk__gt=after, pk__lte=up_to) | Q(rated_at__gte=since)
    touched |= Q(pk__in=RatingFollowUp.objects.filter(Q(visited_at__gte=since) | Q(done_at__gte=since))
                 .values("rating_id"))
    touched |= Q(pk__in=RatingAppeal.objects.filter(decided_at__gte=since).values("rating_id"))
    moments = Rating.objects.filter(touched).order_by().values_list("rated_at", flat=True)
    return {local_date(moment) for moment in moments.iterator(chunk_size=5000)}


def first_rating_day() -> dt.date | None:
    first = Rating.objects.order_by("rated_at").values_list("rated_at", flat=True).first()
    return local_date(first) if first else None


# -- complaints --------------------------------------------------------------------------------------------

def complaints_on(first: dt.date, last: dt.date):
    start, end = days_range(first, last)
    return Complaint.objects.filter(filed_at__gte=start, filed_at__lt=end)


def answered_late() -> Q:
    """Answered after the answer's due date (the local date of the answer against answer_due)."""
    return Q(answered_at__isnull=False, answered_at__date__gt=F("answer_due"))


def count_complaint_days(first: dt.date, last: dt.date) -> dict[tuple, dict[str, int]]:
    answered = Q(status=Complaint.Status.ANSWERED)
    grouped = (complaints_on(first, last).order_by()
               .values("department_id", "window_id", "subject", on=TruncDate("filed_at"),
                       item_id=F("case__item_id"))
               .annotate(filed=Count("pk"), answered=Count("pk", filter=answered),
                         answered_late=Count("pk", filter=answered & answered_late()),
                         open=Count("pk", filter=Q(status=Complaint.Status.OPEN))))
    return {(r["on"], r["department_id"], r["item_id"], r["window_id"], r["subject"]):
            {n: r[n] for n in COMPLAINT_COUNTERS} for r in grouped}


def rebuild_complaint_days(days: Iterable[dt.date]) -> int:
    return COMPLAINT_TABLE.rebuild_days(days, count_complaint_days)


def complaint_watermark() -> int:
    return Complaint.objects.aggregate(last=Max("pk"))["last"] or 0


def changed_complaint_days(after: int, up_to: int, since: dt.datetime) -> set[dt.date]:
    touched = Q(pk__gt=after, pk__lte=up_to) | Q(filed_at__gte=since) | Q(answered_at__gte=since)
    moments = Complaint.objects.filter(touched).order_by().values_list("filed_at", flat=True)
    return {local_date(moment) for moment in moments.iterator(chunk_size=5000)}


def first_complaint_day() -> dt.date | None:
    first = Complaint.objects.order_by("filed_at").values_list("filed_at", flat=True).first()
    return local_date(first) if first else None


register(Family(RATINGS, rating_watermark, changed_rating_days, rebuild_rating_days, first_rating_day))
register(Family(COMPLAINTS, complaint_watermark, changed_complaint_days, rebuild_complaint_days,
                first_complaint_day))


# -- reading -----------------------------------------------------------------------------------------------

def satisfied(levels: dict[int, int]) -> int:
    """Of ratings counted per level, those that count as satisfied (the assessment's rule, read now)."""
    good = set(satisfied_levels())
    return sum(n for level, n in levels.items() if level in good)


def bad(levels: dict[int, int]) -> int:
    return sum(n for level, n in levels.items() if level in BAD_LEVELS)


# The feedback rates: one home, shared by the reports (and any other reader).
DERIVED: dict[str, Derived] = {d.code: d for d in (
    Derived("satisfaction_rate", "满意率", "rate",
            "统计期内计入统计的评价（申诉复核成立的除外）中，满意评价的比例；满意评价为非常满意、满意，"
            "以及基本满意（SHENPI_SATISFACTION_COUNTS_BASIC 开启时，默认开启），与绩效考核同一口径",
            ("satisfied", "rated"), lambda c: percent(c["satisfied"], c["rated"])),
    Derived("visit_rate", "差评回访率", "rate", "统计期内计入统计的差评（不满意、非常不满意）中，已回访核实的比例",
            ("visited", "bad"), lambda c: percent(c["visited"], c["bad"])),
    Derived("rectify_rate", "差评整改率", "rate", "统计期内计入统计的差评中，整改已办结的比例",
            ("rectified", "bad"), lambda c: percent(c["rectified"], c["bad"])),
    Derived("answer_rate", "投诉答复率", "rate", "统计期内受理的投诉中，已答复的比例",
            ("answered", "filed"), lambda c: percent(c["answered"], c["filed"])),
)}
