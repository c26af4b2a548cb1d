"""The rule registry: what a rule (监察点) is, what it looks with and finds, and the codes known.

Apart from shenpi.supervision.rules, which fills it with the @rule definitions, so that the models
(Rule.clean checks a row's thresholds against its definition) can read it without importing the
finders, which query the models. SupervisionConfig.ready() imports the rules, so the registry is
complete once Django has started.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import QuerySet
from django.utils import timezone

from shenpi.workdays.calendar import WorkCalendar


@dataclass(frozen=True)
class Finding:
    subject: str
    level: int
    department_id: int
    case_id: int | None = None
    step_id: int | None = None
    responsible_id: int | None = None
    figures: dict = field(default_factory=dict, compare=False, hash=False)
    # The responsible person is whoever handles the case now: looked up by the scan only for the
    # alerts it raises, not for every finding of a full scan (hundreds of thousands at full scale).
    handler_of_case: bool = False


@dataclass
class Look:
    """What a finder looks with. `changed` is None in a full look, else a subquery of case ids."""

    now: dt.datetime
    calendar: WorkCalendar
    params: dict
    changed: QuerySet | None = None
    since: dt.datetime | None = None

    @cached_property
    def today(self) -> dt.date:
        return timezone.localdate(self.now)

    def in_scope(self, rows: QuerySet, case_field: str = "pk") -> QuerySet:
        if self.changed is None:
            return rows
        return rows.filter(**{f"{case_field}__in": self.changed})


@dataclass(frozen=True)
class RuleDef:
    code: str
    name: str
    category: str
    level: int
    find: Callable[[Look], Iterable[Finding] | None]
    params: dict = field(default_factory=dict)
    basis: str = ""
    description: str = ""
    event_rule: bool = False
    # Rules over small tables (flags, orders) look at everything in every scan.
    always_full: bool = False


REGISTRY: dict[str, RuleDef] = {}


def rule(code: str, name: str, category: str, level: int, *, params: dict | None = None, basis: str = "",
         event_rule: bool = False, always_full: bool = False):
    def register(find):
        description = "".join(line.strip() for line in (find.__doc__ or "").splitlines())
        REGISTRY[code] = RuleDef(code, name, category, level, find, dict(params or {}), basis, description,
                                 event_rule, always_full)
        return find
    return register
