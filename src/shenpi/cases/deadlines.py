"""即将到期 (due soon) and 超期 (overdue): the one definition of both terms.

The workbench's buckets, the case page's colours, the API's `overdue` filter and flags and the
supervision rules time.case / time.step all ask here. How close to its due moment a case or a step
counts as due soon is a `Horizon`; administrators edit it as the thresholds of the time rules
(电子监察 → 监察点). `cases` sits below `supervision`, so supervision hands its rule rows in through
`read_from()` when it starts; without it the defaults hold.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import ClassVar

from django.core.signals import request_started
from django.db.models import Q, QuerySet
from django.utils import timezone

from shenpi.catalog.models import FlowStep, ItemVersion
from shenpi.workdays.calendar import WorkCalendar

from .lifecycle import end_of_day
from .models import CLOCK_RUNNING_STATES, CaseStep

# The longest allotment the law knows: 45 working days of joint handling plus 15 of extension
# (art. 42). Longer promises (special laws) warn no earlier than it does, which keeps the number of
# warning lengths, and so the ranges of the workbench's query, small.
LONGEST_ALLOTMENT = 60
# A process that serves no requests (a worker, a shell) rereads the thresholds this often.
KEEP_SECONDS = 60.0
# Horizon.days of an allotment with nothing to warn ahead of: no number of days left is at most -1.
NEVER = -1


@dataclass(frozen=True)
class Horizon:
    """When a due moment is near: at most `warn_days_left` working days, or at most
    `warn_share_left` of the allotment, are left, whichever is longer — but never more than half
    of the allotment.

    The half is what makes a warning mean something a person can still act on: it comes once they
    have used half of their time, never the moment the work reaches them. A one-day step warns on
    its due day, a two-day step with one day left; an allotment of 0 (due the day it starts, as an
    on-the-spot step) has nothing to warn ahead of and goes straight to overdue.
    """

    warn_days_left: int = 1
    warn_share_left: float = 0.2
    # Nothing warns before this share of the allotment is used (at most the rest is left).
    NOT_BEFORE_USED: ClassVar[Fraction] = Fraction(1, 2)

    @classmethod
    def of(cls, params: dict) -> Horizon:
        """From a time rule's thresholds (Rule.params, defaults for missing keys)."""
        return cls(int(params.get("warn_days_left", cls.warn_days_left)),
                   float(params.get("warn_share_left", cls.warn_share_left)))

    def days(self, allotment: int) -> int:
        """Working days left from which an allotment of this many working days is due soon;
        -1 (never) for an allotment of 0."""
        allotment = min(allotment, LONGEST_ALLOTMENT)
        if allotment <= 0:
            return NEVER
        # Fraction of the decimal text: 0.29 × 100 is 29, not 28.999….
        share = Fraction(str(self.warn_share_left)) * allotment
        return min(max(self.warn_days_left, math.floor(share)), math.floor((1 - self.NOT_BEFORE_USED) * allotment))

    def hours(self, allotment_hours: int) -> float:
        """Hours left from which a step limited in hours is due soon: at least one hour, at most half
        the allotment (0: never)."""
        if allotment_hours <= 0:
            return 0.0
        return min(max(1.0, self.warn_share_left * allotment_hours),
                   float((1 - self.NOT_BEFORE_USED) * allotment_hours))

    def rule(self) -> str:
        """The rule of days() in words, for the pages that explain 即将到期: due soon when at most N
        working days or X % of the allotment are left, and at least half of it is used."""
        used = "一半" if Fraction(1, 2) == self.NOT_BEFORE_USED else _percent(self.NOT_BEFORE_USED)
        return (f"剩余不超过{self.warn_days_left}个工作日或{_percent(Fraction(str(self.warn_share_left)))}时限，"
                f"且已用去{used}时限")

    def allotment_ranges(self) -> list[tuple[int, int | None, int]]:
        """(lowest allotment, first allotment beyond or None, working days) per warning length."""
        ranges: list[tuple[int, int | None, int]] = []
        for allotment in range(LONGEST_ALLOTMENT + 1):
            days = self.days(allotment)
            if ranges and ranges[-1][2] == days:
                continue
            if ranges:
                ranges[-1] = (ranges[-1][0], allotment, ranges[-1][2])
            ranges.append((allotment, None, days))
        return ranges


def _percent(share: Fraction) -> str:
    """20%, 12.5%: as many decimals as the share has, no more."""
    return f"{float(share * 100):g}%"


@dataclass(frozen=True)
class Thresholds:
    """The horizons of a case's promised due date and of a step's own due moment."""

    case: Horizon = field(default_factory=Horizon)
    step: Horizon = field(default_factory=Horizon)


# -- where the thresholds come from --------------------------------------------------------------

_source: Callable[[], Thresholds] = Thresholds
_kept: tuple[float, Thresholds] | None = None


def read_from(source: Callable[[], Thresholds]) -> None:
    """Take the thresholds from `source` (supervision's rule rows) from now on."""
    global _source
    _source = source
    forget()


def forget(**kwargs) -> None:
    """Read the thresholds again next time: a request starts, or a rule was edited here."""
    global _kept
    _kept = None


# Once per request at most: an edit made in another process shows on the next page.
request_started.connect(forget, dispatch_uid="shenpi-deadlines-forget")


def thresholds() -> Thresholds:
    global _kept
    kept = _kept
    if kept is not None and time.monotonic() - kept[0] < KEEP_SECONDS:
        return kept[1]
    value = _source()
    _kept = (time.monotonic(), value)
    return value


# -- overdue (超期) --------------------------------------------------------------------------------

def case_overdue(today: dt.date) -> Q:
    """A case whose clock runs past its promised due date (a stopped clock is never overdue)."""
    return Q(state__in=CLOCK_RUNNING_STATES, promised_due__lt=today)


def is_case_overdue(state: str, promised_due: dt.date | None, today: dt.date) -> bool:
    return state in CLOCK_RUNNING_STATES and promised_due is not None and promised_due < today


def step_overdue(now: dt.datetime) -> Q:
    """An active step past its due moment (its own allotment, or the case's due date)."""
    return Q(status=CaseStep.Status.ACTIVE, due_at__lt=now)


# -- due soon (即将到期) ----------------------------------------------------------------------------

def case_due_soon(today: dt.date, calendar: WorkCalendar, horizon: Horizon) -> Q:
    """Running cases due today or later within their horizon; the cases must be annotated with
    `allotment` (promised limit + extension days). One index range per warning length."""
    near = Q(pk__in=[])
    for low, high, days in horizon.allotment_ranges():
        if days == NEVER:
            continue
        condition = Q(allotment__gte=low, promised_due__lte=calendar.add(today, days))
        if high is not None:
            condition &= Q(allotment__lt=high)
        near |= condition
    return Q(state__in=CLOCK_RUNNING_STATES, promised_due__gte=today) & near


def is_case_due_soon(state: str, promised_due: dt.date | None, allotment: int, today: dt.date,
                     calendar: WorkCalendar, horizon: Horizon) -> bool:
    if state not in CLOCK_RUNNING_STATES or promised_due is None or promised_due < today:
        return False
    return calendar.between(today, promised_due) <= horizon.days(allotment)


def hour_limits() -> list[int]:
    """The allotments in hours the catalogue uses (a handful)."""
    return list(FlowStep.objects.filter(limit_unit=FlowStep.LimitUnit.HOURS).order_by().values_list(
        "limit", flat=True).distinct())


def step_due_soon(now: dt.datetime, calendar: WorkCalendar, horizon: Horizon, hours: Iterable[int]) -> Q:
    """Active steps with their own allotment, not yet due, within its horizon (on CaseStep).

    A step without one is due with its case and counts through case_due_soon."""
    today = _day_of(now)
    in_days = Q(pk__in=[])
    for low, high, days in horizon.allotment_ranges():
        if days == NEVER:
            continue
        condition = Q(flow_step__limit__gte=low, due_at__lte=end_of_day(calendar.add(today, days)))
        if high is not None:
            condition &= Q(flow_step__limit__lt=high)
        in_days |= condition
    in_hours = Q(pk__in=[])
    for limit in sorted(set(hours) - {0}):
        in_hours |= Q(flow_step__limit=limit, due_at__lte=now + dt.timedelta(hours=horizon.hours(limit or 0)))
    return Q(status=CaseStep.Status.ACTIVE, own_limit=True, due_at__gte=now) & (
        Q(flow_step__limit_unit=FlowStep.LimitUnit.DAYS) & in_days
        | Q(flow_step__limit_unit=FlowStep.LimitUnit.HOURS) & in_hours)


def is_step_due_soon(due_at: dt.datetime, limit: int | None, unit: str, now: dt.datetime,
                     calendar: WorkCalendar, horizon: Horizon) -> bool:
    if due_at < now:
        return False
    if unit == FlowStep.LimitUnit.HOURS:
        return bool(limit) and (due_at - now).total_seconds() / 3600 <= horizon.hours(limit)
    return calendar.between(_day_of(now), _day_of(due_at)) <= horizon.days(limit or 0)


def running_late_or_soon(running: QuerySet, today: dt.date, calendar: WorkCalendar,
                         horizon: Horizon) -> list[QuerySet]:
    """Running cases past their due date or possibly due soon, as narrow index ranges (the scan).

    Each allotment has its own horizon. A case's promised limit is its item version's, so the limits
    come from the catalogue (a few dozen), not from a million cases. The few extended cases
    (allotment = limit + extension days) are read by a partial index; the caller decides them one
    by one with is_case_due_soon. Two queries, not one OR: with the OR the planner estimated most
    running cases and read the whole table (docs/benchmarks.md).
    """
    horizons: dict[int, list[int]] = defaultdict(list)
    for limit in ItemVersion.objects.order_by().values_list("promised_limit", flat=True).distinct():
        horizons[horizon.days(limit)].append(limit)
    soon = Q(promised_due__lt=today)
    horizons.pop(NEVER, None)
    for days, limits in horizons.items():
        soon |= Q(extension_days=0, promised_limit__in=limits, promised_due__gte=today,
                  promised_due__lte=calendar.add(today, days))
    furthest = calendar.add(today, max(horizons, default=0))
    return [running.filter(soon, promised_due__lte=furthest),
            running.filter(extension_days__gt=0, promised_due__gte=today)]


def _day_of(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)

