"""评价与投诉: ratings (好差评) and complaints (投诉) by department, item, window and period.

Read from the feedback families of aggregates (shenpi.figures.family_feedback); the 满意率 is the
assessment's own (shenpi.feedback.services.satisfied_levels, appeals upheld left out). Complaints
still open past their answer_due are counted live from the complaints (index complaint_status_due):
they become overdue by the calendar, not by any change the upkeep could see.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q

from shenpi import clock
from shenpi.cases.models import Case
from shenpi.feedback.models import BAD_LEVELS, Complaint, Level, Rating
from shenpi.feedback.services import satisfied_levels
from shenpi.figures import family_feedback as fb

from .registry import Ask, Column, Report, register
from .row_keys import key_order, keys_q, period_of, scope_q

R = fb.DERIVED
COLUMNS = (
    Column("rated", "评价数", definition="评价时间（北京时间）在统计期内、未经申诉复核成立而排除的评价"),
    Column("satisfied", "满意评价",
           definition="计入统计的评价中评价等级为满意口径（非常满意、满意，及按设置计入的基本满意）的"),
    Column("basic", "基本满意", definition="计入统计的评价中评价等级为基本满意的"),
    Column("bad", "差评", definition="计入统计的评价中评价等级为不满意、非常不满意的"),
    Column("satisfaction_rate", R["satisfaction_rate"].label, "rate", R["satisfaction_rate"].definition, drill=False),
    Column("visited", "差评已回访", definition="计入统计的差评中已回访核实的"),
    Column("visit_rate", R["visit_rate"].label, "rate", R["visit_rate"].definition, drill=False),
    Column("rectified", "差评已整改", definition="计入统计的差评中整改已办结的"),
    Column("rectify_rate", R["rectify_rate"].label, "rate", R["rectify_rate"].definition, drill=False),
    Column("excluded", "申诉成立不计入", definition="评价时间在统计期内、经申诉复核成立而不计入统计的评价"),
    Column("by_default", "默认评价", definition="计入统计的评价中逾期未评价、系统默认基本满意的"),
    Column("complaints", "投诉数", definition="投诉时间（北京时间）在统计期内的投诉"),
    Column("answered", "已答复", definition="统计期内的投诉中已答复的"),
    Column("answer_rate", R["answer_rate"].label, "rate", R["answer_rate"].definition, drill=False),
    Column("overdue", "逾期答复", definition="统计期内的投诉中晚于答复期限答复的，以及至今未答复且已过答复期限的"),
    Column("open", "待答复", definition="统计期内的投诉中至今未答复的"),
)
RATING_FIELDS = {"department": "department_id", "item": "case__item_id", "window": "window_id"}
COMPLAINT_FIELDS = {"department": "department_id", "item": "case__item_id", "window": "window_id"}
DAY_FIELDS = {"department": "department_id", "item": "item_id", "window": "window_id"}
GROUPINGS = ("department", "month", "item", "window", "year", "day")


def rows(ask: Ask) -> list[dict]:
    by = tuple(ask.by)
    where = scope_q(ask, DAY_FIELDS)
    ratings = fb.RATING_TABLE.sums(ask.first, ask.last, by=(*by, "level"), where=where)
    complaints = fb.COMPLAINT_TABLE.sums(ask.first, ask.last, by=by, where=where)
    table: dict[tuple, dict] = defaultdict(lambda: {"levels": defaultdict(int), **dict.fromkeys(
        ("visited", "rectified", "excluded", "by_default", "filed", "answered", "answered_late", "open",
         "open_overdue"), 0)})
    for r in ratings:
        entry = table[tuple(r[g] for g in by)]
        entry["levels"][r["level"]] += r["rated"]
        for n in ("visited", "rectified", "excluded", "by_default"):
            entry[n] += r[n]
    for r in complaints:
        entry = table[tuple(r[g] for g in by)]
        for n in fb.COMPLAINT_COUNTERS:
            entry[n] += r[n]
    for key, n in _open_overdue(ask, by).items():
        table[key]["open_overdue"] += n
    out = []
    for key in sorted(table, key=key_order):
        out.append({**dict(zip(by, key, strict=True)), **_values(table[key])})
    return out


def _values(entry: dict) -> dict:
    levels = entry["levels"]
    counts = {"rated": sum(levels.values()), "satisfied": fb.satisfied(levels), "bad": fb.bad(levels),
              "visited": entry["visited"], "rectified": entry["rectified"], "filed": entry["filed"],
              "answered": entry["answered"]}
    return {
        "rated": counts["rated"], "satisfied": counts["satisfied"], "basic": levels.get(Level.BASIC, 0),
        "bad": counts["bad"], "satisfaction_rate": R["satisfaction_rate"].of(counts),
        "visited": entry["visited"], "visit_rate": R["visit_rate"].of(counts),
        "rectified": entry["rectified"], "rectify_rate": R["rectify_rate"].of(counts),
        "excluded": entry["excluded"], "by_default": entry["by_default"],
        "complaints": entry["filed"], "answered": entry["answered"], "answer_rate": R["answer_rate"].of(counts),
        "overdue": entry["answered_late"] + entry["open_overdue"], "open": entry["open"],
    }


def _open_overdue(ask: Ask, by: tuple[str, ...]) -> dict[tuple, int]:
    """Complaints of the period still open past their answer_due, per row (few: read live, indexed)."""
    out: dict[tuple, int] = defaultdict(int)
    found = (open_overdue_complaints(ask.first, ask.last).filter(scope_q(ask, COMPLAINT_FIELDS))
             .values_list("filed_at", "department_id", "case__item_id", "window_id"))
    for filed_at, department, item, window in found:
        day = clock.local_date(filed_at)
        values = {"department": department, "item": item, "window": window, "day": day,
                  "month": day.replace(day=1), "year": day.year}
        out[tuple(values[g] for g in by)] += 1
    return out


def open_overdue_complaints(first, last):
    return fb.complaints_on(first, last).filter(status=Complaint.Status.OPEN, answer_due__lt=clock.today())


# -- drill-down ----------------------------------------------------------------------------------------------

def _rating_condition(column: str) -> Q | None:
    counted = Q(excluded=False)
    bad = counted & Q(level__in=BAD_LEVELS)
    return {
        "rated": counted, "satisfied": counted & Q(level__in=satisfied_levels()),
        "basic": counted & Q(level=Level.BASIC), "bad": bad,
        "visited": bad & Q(follow_up__visited_at__isnull=False), "rectified": bad & Q(follow_up__done_at__isnull=False),
        "excluded": Q(excluded=True), "by_default": counted & Q(by_default=True),
    }.get(column)


def _complaint_condition(column: str, first, last) -> Q | None:
    answered = Q(status=Complaint.Status.ANSWERED)
    late = answered & fb.answered_late()
    return {
        "complaints": Q(), "answered": answered, "open": Q(status=Complaint.Status.OPEN),
        "overdue": late | Q(status=Complaint.Status.OPEN, answer_due__lt=clock.today()),
    }.get(column)


def rated_cases(ask: Ask, key: dict, column: str):
    """The cases behind a cell: the rated cases (window ratings have none), or the cases complained about."""
    first, last = period_of(ask, key)
    condition = _rating_condition(column)
    if condition is not None:
        ratings = (fb.ratings_on(first, last).filter(condition, scope_q(ask, RATING_FIELDS),
                                                     keys_q(key, RATING_FIELDS), case__isnull=False))
        return Case.objects.filter(pk__in=ratings.values("case_id")).order_by("pk")
    condition = _complaint_condition(column, first, last)
    if condition is not None:
        complaints = (fb.complaints_on(first, last).filter(condition, scope_q(ask, COMPLAINT_FIELDS),
                                                           keys_q(key, COMPLAINT_FIELDS), case__isnull=False))
        return Case.objects.filter(pk__in=complaints.values("case_id")).order_by("pk")
    return None


def ratings_behind(ask: Ask, key: dict, column: str):
    """The ratings themselves behind a rating cell (window ratings included)."""
    first, last = period_of(ask, key)
    condition = _rating_condition(column)
    if condition is None:
        return Rating.objects.none()
    return fb.ratings_on(first, last).filter(condition, scope_q(ask, RATING_FIELDS), keys_q(key, RATING_FIELDS))


FEEDBACK = register(Report(
    code="feedback", title="评价与投诉", group="评价与投诉",
    definition=("好差评按评价时间、投诉按投诉时间（北京时间）计入统计期；评价计入被评价部门，办件评价另计入办件事项，"
                "窗口“一次一评”计入窗口；经申诉复核成立的评价不计入统计，单列。满意率与绩效考核同一口径："
                "满意评价（非常满意、满意，SHENPI_SATISFACTION_COUNTS_BASIC 开启时含基本满意）÷ 计入统计的评价。"
                "逾期答复含晚于答复期限答复的投诉和至今未答复且已过期限的投诉。下钻列出被评价（或被投诉）的办件。"),
    columns=COLUMNS, rows=rows, groupings=GROUPINGS, cases=rated_cases, chart="bar",
    filters=("period", "department", "item", "window", "district"), reads=(fb.RATINGS, fb.COMPLAINTS),
))
