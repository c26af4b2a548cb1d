"""A stage's clock (阶段总时限): one promised total over its parts, stopped only while every open part is.

A department's 特别程序 or 补件 stops its own case's clock, not the stage's: the other departments
are still working. Only when every part still open is stopped does the stage wait on the applicant
or on procedures, and its clock stops too; it restarts the day any open part's clock runs again,
and the working days stopped move the stage's dues as a case's stops move its own (art. 45).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.utils import timezone

from shenpi.cases.models import State
from shenpi.workdays.calendar import WorkCalendar

from .models import Stage

# Parts still being worked (accepted, not yet decided nor closed).
OPEN_PART_STATES = frozenset({State.IN_PROGRESS, State.SUSPENDED, State.DECIDING})
DECIDED_PART_STATES = frozenset({State.DECIDED, State.COMPLETED})
CLOSED_PART_STATES = frozenset({State.WITHDRAWN, State.VOIDED, State.REFUSED})


def green_limit(limit: int, shortest: int, percent: int) -> int:
    """绿色通道: a promised limit shortened to `percent` (rounded up), never below the item's shortest
    limit nor above the limit itself; an on-the-spot limit (0) stays 0."""
    if limit <= 0:
        return 0
    shortened = math.ceil(limit * percent / 100)
    return min(limit, max(shortened, shortest, 1))


def derive_stage_dues(stage: Stage, calendar: WorkCalendar) -> None:
    """The stage's dues: the N-th working day after its acceptance, moved by extensions and stops."""
    extra = stage.extension_days + stage.stopped_days
    stage.promised_due = calendar.add(stage.accept_date, stage.promised_total + extra)
    stage.statutory_due = calendar.add(stage.accept_date, stage.statutory_limit + extra)


def stage_used_days(stage: Stage, calendar: WorkCalendar, today: dt.date) -> int:
    """Working days the stage's clock has run since acceptance, stops excluded."""
    until = today
    if stage.clock_stopped_on is not None:
        until = stage.clock_stopped_on
    elif stage.concluded_at is not None:
        until = timezone.localdate(stage.concluded_at)
    return max(0, calendar.between(stage.accept_date, until) - stage.stopped_days)


def stage_days_left(stage: Stage, calendar: WorkCalendar, today: dt.date) -> int:
    """Working days left to the promised due (negative: overdue by that many)."""
    if stage.clock_stopped_on is not None:
        return calendar.between(stage.clock_stopped_on, stage.promised_due)
    return calendar.between(today, stage.promised_due)


@dataclass(frozen=True)
class PartNow:
    """A part as it stands after the action: its case's state and whether its own clock is stopped."""

    part_id: int
    case_id: int
    state: str
    required: bool
    decision: str = ""
    department: str = ""
    item: str = ""
    reason: str = ""


def stop_clock(stage: Stage, today: dt.date) -> bool:
    if stage.clock_stopped_on is not None:
        return False
    stage.clock_stopped_on = today
    return True


def restart_clock(stage: Stage, calendar: WorkCalendar, today: dt.date) -> bool:
    if stage.clock_stopped_on is None:
        return False
    stage.stopped_days += max(0, calendar.between(stage.clock_stopped_on, today))
    stage.clock_stopped_on = None
    derive_stage_dues(stage, calendar)
    return True


def follow_parts(stage: Stage, parts: list[PartNow], calendar: WorkCalendar, now: dt.datetime) -> list[str]:
    """Bring the stage in line with its parts after one of them acted; returns the fields changed.

    - a required part denied, withdrawn or voided ends the stage, with the reasons;
    - no part open any more: the stage concludes;
    - every open part stopped: the stage's clock stops; any running again: it restarts.
    """
    if stage.state != Stage.State.OPEN:
        return []
    today = timezone.localdate(now)
    before = (stage.state, stage.clock_stopped_on, stage.stopped_days, stage.promised_due, stage.outcome)
    fatal = [p for p in parts if p.required and (p.decision == "deny" or p.state in CLOSED_PART_STATES)]
    open_parts = [p for p in parts if p.state in OPEN_PART_STATES]
    if fatal or not open_parts:
        restart_clock(stage, calendar, today)  # the stop ends with the stage; its days stay excluded
        stage.concluded_at = now
        stage.used_days = stage_used_days(stage, calendar, today)
        if fatal:
            stage.state = Stage.State.ENDED
            stage.outcome = "；".join(
                f"必办事项“{p.item}”（{p.department}）{'不予许可' if p.decision == 'deny' else '已终止'}：{p.reason}"
                for p in fatal)
        else:
            stage.state = Stage.State.CONCLUDED
            granted = sum(1 for p in parts if p.decision == "grant")
            stage.outcome = f"阶段办结：{granted}项准予许可，共{len(parts)}项。"
        return ["state", "clock_stopped_on", "stopped_days", "promised_due", "statutory_due", "concluded_at",
                "used_days", "outcome"]
    if all(p.state == State.SUSPENDED for p in open_parts):
        stop_clock(stage, today)
    else:
        restart_clock(stage, calendar, today)
    after = (stage.state, stage.clock_stopped_on, stage.stopped_days, stage.promised_due, stage.outcome)
    if after == before:
        return []
    return ["clock_stopped_on", "stopped_days", "promised_due", "statutory_due"]
