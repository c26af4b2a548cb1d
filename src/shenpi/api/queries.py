"""The read queries behind the list endpoints, shaped so that each stays one indexed query.

Filters take ids (or a code's id as a scalar subquery), so no filter joins another table, and
dates become moment ranges on received_at, so its index applies.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.lookups import StartsWith
from django.utils import timezone

from shenpi.cases import deadlines
from shenpi.cases.models import (
    Case,
    CaseEvent,
    CaseMaterial,
    CaseStep,
    ClockStop,
    Extension,
    Notice,
)
from shenpi.catalog.models import Department, FlowStep, Item, ItemProcedure, ItemVersion

# Case numbers are date digits then Crockford base-32 letters; anything else cannot be a prefix.
_NUMBER_PREFIX = re.compile(r"^[0-9A-Z]+$")


# -- items ----------------------------------------------------------------------------------------

def current_versions() -> QuerySet[ItemVersion]:
    """The current version of every item: its highest-numbered published version."""
    newer = ItemVersion.objects.published().filter(item=OuterRef("item"), number__gt=OuterRef("number"))
    return (ItemVersion.objects.published()
            .exclude(Exists(newer))
            .select_related("item", "item__department")
            .annotate(item_code=F("item__code")))


def filter_items(versions: QuerySet[ItemVersion], *, department_id: int | None = None, type: str = "",
                 q: str = "") -> QuerySet[ItemVersion]:
    if department_id is not None:
        versions = versions.filter(item__department_id=department_id)
    if type:
        versions = versions.filter(type=type)
    if q:
        versions = versions.filter(name__icontains=q)
    return versions


def item_in_full(versions: QuerySet[ItemVersion]) -> QuerySet[ItemVersion]:
    return versions.prefetch_related(
        "materials", "fees",
        Prefetch("steps", FlowStep.objects.select_related("role", "department")),
        Prefetch("itemprocedure_set", ItemProcedure.objects.select_related("kind").order_by("kind_id")),
    )


# -- cases ----------------------------------------------------------------------------------------

# The columns a list row shows (presenters.case_summary), and id for the cursor. Plain values, not
# model instances: building 20 instances with their related objects and running them through a
# serializer cost more CPU than the rest of the request. Personal data is not among them, so
# nothing is decrypted.
SUMMARY_FIELDS = (
    "id", "number", "state", "item__code", "version__name", "version__number", "department__code",
    "department__name", "channel", "title", "applicant_name", "applicant_kind", "received_at", "accept_date",
    "promised_due", "statutory_due", "due_provisional", "clock_stopped_on", "closed_at", "row_version",
)


def case_summaries(cases: QuerySet[Case]) -> QuerySet:
    """One row (a dict of SUMMARY_FIELDS) per case, item, version and department joined in."""
    return cases.values(*SUMMARY_FIELDS)


def overdue_condition(today: dt.date) -> Q:
    """Past the promised date with the clock running: the workbench's and supervision's term."""
    return deadlines.case_overdue(today)


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def id_by_code(model, code) -> Subquery:
    """The id of the row with this (unique) code, as a scalar subquery of the query that filters on it.

    One round trip instead of a lookup first; the condition stays `department_id = (…)`, so the
    index on department_id serves it. An unknown code makes the subquery NULL and the page empty.
    """
    return Subquery(model.objects.filter(code=code).values("pk"))


class Prefix(StartsWith):
    """`startswith` that also takes a prepared.Param as its value, with the SQL Django writes for a
    plain value (`LIKE %s`, the pattern escaped in Python) rather than escaping it in SQL: the
    prefix indexes serve `LIKE '…%'` and nothing else is worth a different plan."""

    def get_rhs_op(self, connection, rhs):
        return connection.operators[self.lookup_name] % rhs


def list_criteria(filters: dict) -> dict:
    """The case list's query parameters (serializers.CaseFilterSerializer's validated data) as the
    values filter_cases compares with: codes, moments instead of dates, the search as a prefix."""
    criteria = {name: filters[name] for name in ("state", "department", "item", "channel", "due_before",
                                                "due_after") if filters.get(name) not in (None, "")}
    if filters.get("overdue") is not None:
        criteria["overdue"] = filters["overdue"]
    if filters.get("received_from") is not None:
        criteria["received_since"] = _start_of_day(filters["received_from"])
    if filters.get("received_to") is not None:
        criteria["received_before"] = _start_of_day(filters["received_to"] + dt.timedelta(days=1))
    if filters.get("q"):
        criteria.update(_case_search(filters["q"]))
    return criteria


def _case_search(q: str) -> dict:
    """A case number prefix when q starts with a digit (numbers start with the date), else a name start.

    One condition, not an OR of both: each has its own index, and an OR of the two would make
    PostgreSQL walk the primary key backwards through the whole table when matches are old.
    """
    number = q.upper()
    if number[:1].isdigit() and _NUMBER_PREFIX.match(number):
        return {"number_prefix": number}
    return {"name_prefix": q}


def filter_cases(cases: QuerySet[Case], *, today, overdue: bool | None = None, state=None, department=None,
                 item=None, channel=None, due_before=None, due_after=None, received_since=None,
                 received_before=None, number_prefix=None, name_prefix=None) -> QuerySet[Case]:
    """The list's filters (criteria from list_criteria). Every value may be a prepared.Param
    instead, so that the statement is compiled once per combination of filters; overdue, which
    picks the condition itself, is always a value."""
    conditions = []
    if state is not None:
        conditions.append(Q(state=state))
    if department is not None:
        conditions.append(Q(department_id=id_by_code(Department, department)))
    if item is not None:
        conditions.append(Q(item_id=id_by_code(Item, item)))
    if channel is not None:
        conditions.append(Q(channel=channel))
    if overdue is True:
        conditions.append(overdue_condition(today))
    elif overdue is False:
        conditions.append(~overdue_condition(today))
    if due_before is not None:
        conditions.append(Q(promised_due__lte=due_before))
    if due_after is not None:
        conditions.append(Q(promised_due__gte=due_after))
    if received_since is not None:
        conditions.append(Q(received_at__gte=received_since))
    if received_before is not None:
        conditions.append(Q(received_at__lt=received_before))
    if number_prefix is not None:
        conditions.append(Prefix(F("number"), number_prefix))
    if name_prefix is not None:
        conditions.append(Prefix(F("applicant_name"), name_prefix))
    return cases.filter(*conditions) if conditions else cases


def case_in_full(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Everything the case page shows, in a fixed number of queries."""
    return cases.select_related("item", "version", "department", "window", "received_by").prefetch_related(
        Prefetch("steps", CaseStep.objects.select_related("role", "department", "assignee", "finished_by")),
        Prefetch("clock_stops", ClockStop.objects.select_related("kind")),
        Prefetch("extensions", Extension.objects.select_related("approved_by")),
        Prefetch("materials", CaseMaterial.objects.all()),
        Prefetch("notices", Notice.objects.select_related("issued_by")),
        Prefetch("events", CaseEvent.objects.select_related("step")),
    )
