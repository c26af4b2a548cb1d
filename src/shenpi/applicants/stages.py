"""一件事/阶段 in 我的办件: a stage followed as one progress, by the one rule of what an applicant sees.

A stage (or bundle) is the applicant's to follow when at least one of its cases is among their cases
(shenpi.applicants.services.my_cases, unchanged): its state, its promised total and due, each part's
department, item and state, and its outcome. The parts the account may open are linked; each case is
still reachable on its own.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from shenpi import clock
from shenpi.joint.clock import stage_days_left, stage_used_days
from shenpi.joint.models import Stage
from shenpi.workdays.services import get_calendar

from .models import Applicant
from .services import my_cases


def my_stages(applicant: Applicant) -> QuerySet[Stage]:
    """The stages with a case the account sees."""
    return (Stage.objects.filter(pk__in=my_cases(applicant).filter(stage_part__isnull=False)
                                 .values("stage_part__stage"))
            .select_related("template", "project", "lead_department").order_by("-opened_at", "-pk"))


def progress(stage: Stage, applicant: Applicant) -> dict:
    """The stage's one progress: clock, dues and its parts (linked where the account may open the case)."""
    calendar = get_calendar()
    today = timezone.localdate(clock.now())
    visible = set(my_cases(applicant).filter(stage_part__stage=stage).values_list("pk", flat=True))
    parts = []
    for part in stage.parts.select_related("case", "case__version", "department").order_by("pk"):
        case = part.case
        parts.append({"department": part.department, "item": case.version.name, "required": part.required,
                      "case": case, "state": case.get_state_display(), "visible": case.pk in visible,
                      "decision": case.get_decision_display() if case.decision else ""})
    open_ = stage.state == Stage.State.OPEN
    left = stage_days_left(stage, calendar, today) if open_ else None
    return {"stage": stage, "parts": parts, "used": stage_used_days(stage, calendar, today),
            "left": left, "overdue": left is not None and left < 0,
            "done": sum(1 for p in parts if p["case"].state in ("decided", "completed"))}
