"""The indicators of every department, window or person over a period, in a few aggregate queries.

Departments and windows read their case figures from the case aggregates (shenpi.figures: the
counters defined once in figures.counters, summed per department or window over the period's month
and day rows), brought up to date first (`current_aggregates`). Everything else filters one table on
an indexed time range and groups by the subject, counting with conditional aggregates
(COUNT … FILTER (WHERE …)); nothing is looped over case by case in Python. Per level:

- cases of departments and windows: the aggregates' received, online, accepted, refused, completed
  and the facts of the completions (on time, early, on the spot, denied, days used and promised,
  flagged by a procedure or fee alert). While the aggregates have never been built (a new
  installation before the upkeep's first run) the same figures are counted over the cases instead;
- cases of persons: received / accepted / completed / refused in the period (one scan of the rows
  that moved in the period: the OR of four indexed ranges), by the member of staff who received the case;
- persons' completions: a case counts for everyone who finished one of its steps and for whoever
  received it, once each (step rows of the same person on the same case are counted once, and the
  receiver is not counted again when they also finished a step);
- alerts detected in the period, by level, grouped by the responsible department, the case's
  window or the responsible person;
- clock stops (暂停计时) begun in the period.

The definitions are written out in docs/performance.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate

from shenpi.accounts.models import User
from shenpi.cases.models import Case, CaseStep, Channel, ClockStop, Decision, State
from shenpi.catalog.models import Department, Window
from shenpi.figures import query as figures_query
from shenpi.figures import upkeep as figures_upkeep
from shenpi.supervision.models import Alert, Category, Level

from .measures import Indicators
from .periods import Period

LEVELS = {"department": "部门", "window": "窗口", "person": "个人"}
PROCEDURE_CATEGORIES = (Category.PROCEDURE, Category.ACCEPTANCE)
FEE_CATEGORIES = (Category.FEE,)

# The column each table is grouped by, per level.
_KEYS = {
    "department": {"case": "department_id", "alert": "department_id", "stop": "case__department_id",
                   "figures": "department"},
    "window": {"case": "window_id", "alert": "case__window_id", "stop": "case__window_id", "figures": "window"},
    "person": {"case": "received_by_id", "alert": "responsible_id", "stop": "step__assignee_id"},
}


@dataclass(frozen=True)
class Subject:
    """Who is assessed: a department, a window or a member of staff."""

    level: str
    key: int
    name: str
    department_id: int | None
    department_name: str
    order: tuple


def compute(period: Period, level: str) -> dict[int, Indicators]:
    """Indicators of every subject of the level with anything in the period."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level}")
    start, end = period.moments()
    keys = _KEYS[level]
    rows: dict[int, Indicators] = defaultdict(Indicators)
    from_aggregates = level != "person" and current_aggregates()
    if from_aggregates:
        _merge(rows, _aggregated_counts(keys["figures"], period))
    with _planner_settings():
        if not from_aggregates:
            _merge(rows, _case_counts(keys["case"], start, end, with_completion=level != "person"))
        if level == "person":
            _merge(rows, _person_completions(start, end))
        _merge(rows, _alert_counts(keys["alert"], start, end))
        _merge(rows, _stop_counts(keys["stop"], start, end))
    if level == "department":
        _add_feedback(rows, period)
    return dict(rows)


# The case figures of Indicators, each a counter of the case aggregates with the same definition
# (shenpi.figures.counters): received, online, accepted, refused and the completions' facts.
AGGREGATED = ("received", "online", "accepted", "refused", "completed", "on_time", "early", "on_the_spot",
              "denied", "used_days", "promised_days", "procedure_flagged", "fee_flagged")


def current_aggregates() -> bool:
    """Bring the case aggregates up to date; False while they have never been built.

    One query asks whether anything was written since the upkeep's last run (trail events, alerts);
    if so the upkeep runs now and rebuilds the days they touched, so every assessment counts every
    case action committed before it. Its first run rebuilds every day since the first case (minutes on a
    large database): that is left to the background job and `shenpi figures rebuild`, and until then
    the assessment counts over the cases itself (same figures, slower).
    """
    pending = figures_upkeep.cases_pending()
    if pending is None:
        return False
    if pending:
        figures_upkeep.keep_up_family(figures_upkeep.FAMILIES[figures_upkeep.CASES])
    return True


def _aggregated_counts(group: str, period: Period) -> list[dict]:
    """The period's case figures per department or window, read from the aggregates."""
    rows = figures_query.totals(period.first, period.last, by=(group,), names=AGGREGATED)
    return [{"key": row.pop(group), **row} for row in rows if row[group] is not None]


def _add_feedback(rows: dict[int, Indicators], period: Period) -> None:
    """Complaints and ratings (好差评) are kept per department; windows and persons show "—"."""
    if not apps.is_installed("shenpi.feedback"):
        return
    from shenpi.feedback.services import satisfaction

    figures = satisfaction(None, period.first, period.last)
    for department_id in set(rows) | set(figures):
        entry, target = figures.get(department_id, {}), rows[department_id]
        target.complaints = entry.get("complaints", 0)
        target.rated = entry.get("ratings", 0)
        target.satisfied = entry.get("satisfied", 0)
        target.bad_ratings = entry.get("bad", 0)
        target.bad_visited = entry.get("visited", 0)
        target.bad_rectified = entry.get("rectified", 0)


# For the assessment's queries only, restored afterwards. JIT is off: they aggregate one period's
# rows, a few hundred thousand at most, and their estimated cost passes the JIT thresholds
# (measured on 1,000,000 cases: 2.5 s of compilation for 0.2 s of execution). Random reads are
# costed as on solid-state storage: with PostgreSQL's default of 4 (spinning disks) the planner
# read the whole 11-million-row case table instead of one month's rows through their four
# indexes (docs/benchmarks.md). A server already configured lower keeps its own figure.
_SET = """SELECT current_setting('jit'), current_setting('random_page_cost'), set_config('jit', 'off', true),
                  set_config('random_page_cost', least(current_setting('random_page_cost')::float8, 1.1)::text, true)"""
_RESTORE = "SELECT set_config('jit', %s, true), set_config('random_page_cost', %s, true)"


@contextlib.contextmanager
def _planner_settings():
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_SET)
        before = cursor.fetchone()[:2]
        yield
        cursor.execute(_RESTORE, before)


def _merge(rows: dict[int, Indicators], counted) -> None:
    for row in counted:
        key = row.pop("key")
        target = rows[key]
        for name, value in row.items():
            setattr(target, name, getattr(target, name) + (value or 0))


def _between(field: str, start: dt.datetime, end: dt.datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}{field}__gte": start, f"{prefix}{field}__lt": end})


def _done(start: dt.datetime, end: dt.datetime) -> Q:
    return Q(state=State.COMPLETED) & _between("completed_at", start, end)


def _facts_of_completion() -> dict[str, Q]:
    """What is counted of each completed case, as conditions on its row (the names of Indicators)."""
    completed_on = TruncDate("completed_at")  # the local date: 23:30 on the due day is on time
    return {
        "on_time": Q(promised_due__gte=completed_on),
        "early": Q(promised_due__gt=completed_on),
        "on_the_spot": Q(promised_limit=0),
        "denied": Q(decision=Decision.DENY),
        # IN, not a correlated EXISTS: PostgreSQL hashes the flagged cases once instead of probing
        # the alerts once per completed case (a month's completions at full scale: 1.3 s of 2.1 s).
        "procedure_flagged": Q(pk__in=_alerted_cases(PROCEDURE_CATEGORIES)),
        "fee_flagged": Q(pk__in=_alerted_cases(FEE_CATEGORIES)),
    }


def _completion(start: dt.datetime, end: dt.datetime) -> dict:
    done = _done(start, end)
    return {
        "completed": Count("pk", filter=done),
        **{name: Count("pk", filter=done & fact) for name, fact in _facts_of_completion().items()},
        "used_days": Sum("used_days", filter=done),
        "promised_days": Sum("promised_limit", filter=done),
    }


def _case_counts(key: str, start, end, *, with_completion: bool):
    received = _between("received_at", start, end)
    accepted = _between("accepted_at", start, end)
    refused = Q(state=State.REFUSED) & _between("closed_at", start, end)
    moved = received | accepted | refused
    if with_completion:
        moved |= _done(start, end)
    aggregates = {
        "received": Count("pk", filter=received),
        "online": Count("pk", filter=received & Q(channel=Channel.ONLINE)),
        "accepted": Count("pk", filter=accepted),
        "refused": Count("pk", filter=refused),
    }
    if with_completion:
        aggregates.update(_completion(start, end))
    return (Case.objects.filter(moved).exclude(state=State.VOIDED).exclude(**{f"{key}__isnull": True})
            .order_by().values(key=F(key)).annotate(**aggregates))


def _person_completions(start, end) -> list[dict]:
    """Completions for the people who worked a case's steps, and for the person who received it.

    The (person, case) pairs are a UNION, so each person counts a case once however many of its
    steps they finished; the flags of each completed case are computed once and joined to them.
    """
    done = _done(start, end)
    by_steps = (CaseStep.objects.filter(Q(case__state=State.COMPLETED) & _between("completed_at", start, end, "case__"))
                .filter(finished_by__isnull=False).order_by().values(who=F("finished_by_id"), cid=F("case_id")))
    by_receipt = (Case.objects.filter(done, received_by__isnull=False).order_by()
                  .values(who=F("received_by_id"), cid=F("pk")))
    facts = _facts_of_completion()
    flags = Case.objects.filter(done).order_by().values(
        cid=F("pk"), used=F("used_days"), promised=F("promised_limit"),
        **{name: ExpressionWrapper(fact, output_field=BooleanField()) for name, fact in facts.items()})
    pairs_sql, pairs_params = by_steps.union(by_receipt).query.sql_with_params()
    flags_sql, flags_params = flags.query.sql_with_params()
    counts = ", ".join(f"COUNT(*) FILTER (WHERE flags.{name})" for name in facts)
    # The two ORM-built queries are joined here: the ORM cannot group by a column of a UNION. The
    # flags are materialised so that each case's alerts are looked up once, not once per person.
    sql = f"""
        WITH flags AS MATERIALIZED ({flags_sql}), pairs AS ({pairs_sql})
        SELECT pairs.who, COUNT(*), SUM(flags.used), SUM(flags.promised), {counts}
        FROM pairs JOIN flags ON flags.cid = pairs.cid
        GROUP BY pairs.who"""  # noqa: S608 - both parts are compiled by the ORM, values are parameters
    names = ("completed", "used_days", "promised_days", *facts)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*flags_params, *pairs_params])
        return [{"key": row[0], **dict(zip(names, row[1:], strict=True))} for row in cursor.fetchall()]


def _alerted_cases(categories):
    return Alert.objects.filter(rule__category__in=categories, case_id__isnull=False).values("case_id")


def _alert_counts(key: str, start, end):
    # The department is always known: naming every department lets (department, detected_at) serve the range.
    departments = list(Department.objects.values_list("pk", flat=True))
    return (Alert.objects.filter(department_id__in=departments).filter(_between("detected_at", start, end))
            .exclude(**{f"{key}__isnull": True}).order_by().values(key=F(key)).annotate(
                warnings=Count("pk", filter=Q(level=Level.WARNING)),
                yellow_cards=Count("pk", filter=Q(level=Level.YELLOW)),
                red_cards=Count("pk", filter=Q(level=Level.RED)),
                cards_answered=Count("pk", filter=Q(level__gte=Level.YELLOW, answered_at__isnull=False)),
            ))


def _stop_counts(key: str, start, end):
    return (ClockStop.objects.filter(_between("started_at", start, end)).exclude(case__state=State.VOIDED)
            .exclude(**{f"{key}__isnull": True}).order_by().values(key=F(key))
            .annotate(suspensions=Count("pk")))


# -- who the keys are ---------------------------------------------------------------------------------

def subjects(level: str, keys) -> dict[int, Subject]:
    keys = set(keys)
    if level == "department":
        return {d.pk: Subject(level, d.pk, d.name, d.pk, d.name, (d.sort, d.code))
                for d in Department.objects.filter(pk__in=keys)}
    if level == "window":
        return {w.pk: Subject(level, w.pk, f"{w.number} {w.name}", w.department_id, w.department.name,
                              (w.department.sort, w.department.code, w.number))
                for w in Window.objects.filter(pk__in=keys).select_related("department")}
    people = User.objects.filter(pk__in=keys).select_related("department")
    return {u.pk: Subject(level, u.pk, str(u), u.department_id, u.department.name if u.department else "",
                          (u.department.sort if u.department else 0, u.department.code if u.department else "",
                           str(u), u.pk))
            for u in people}
