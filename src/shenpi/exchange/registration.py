"""一厅双网: cases handled in a department's own system, registered here and followed step by step.

A department system registers a case it has accepted (`register`) and pushes what happens to it
afterwards (`push`): steps passed or returned, special procedures, extensions, the decision with its
letter number, and completion — each with the moment it happened in that system. Everything goes
through the one door (shenpi.cases.services): the case is a full case here, on the public query and
the boards, under the supervision rules and in the assessment, marked with its source.

Moments. The effect of each action works with the department's moment (lifecycle.Act.now), so the
acceptance date, the promised and statutory dues, the decision's delivery due and the used days are
those of the case as it was handled there: a case late in its own system is late here. The event of
each action is stamped with the moment it is recorded here and keeps the department's moment and the
lag in its data (Act.record_outside): nothing pretends to have been recorded earlier than it was,
and 先批后录 (supervision rule proc.record_after_approval) sees a result recorded long after it was
decided there. A moment in the future, or earlier than the case's latest one, is refused.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import User
from shenpi.cases import lifecycle, services
from shenpi.cases.models import Case, CaseEvent, Channel
from shenpi.catalog.models import Item
from shenpi.errors import Conflict, InvalidInput

# What a department system may push, by the lifecycle's action names.
STEP_ACTIONS = ("pass", "return")
PROCEDURE_ACTIONS = ("suspend", "request_supplement", "resume", "extend")
RESULT_ACTIONS = ("grant", "deny")
PUSHED_ACTIONS = (*STEP_ACTIONS, *PROCEDURE_ACTIONS, *RESULT_ACTIONS, "complete")

FUTURE = "时间不能晚于当前时间。"


def _check_not_future(moment: dt.datetime, field: str, now: dt.datetime) -> None:
    if moment > now:
        raise InvalidInput(f"{FUTURE}", {field: [FUTURE]})


def find(source_system: str, external_number: str) -> Case | None:
    """The case a department system registered under its own number, or None."""
    if not source_system or not external_number:
        return None
    return Case.objects.filter(source_system=source_system, external_number=external_number).first()


def register(*, actor: User, item: Item, source: services.Source, applicant: services.ApplicantInput,
             accepted_at: dt.datetime, received_at: dt.datetime | None = None, materials: dict | None = None,
             title: str = "", ip: str | None = None) -> tuple[Case, bool]:
    """(the case, True) once registered and accepted as of `accepted_at`; (the case, False) when the
    system registered this number before (a repeat answers the case it made, changing nothing).

    Receipt and acceptance are one transaction: a refusal (a missing required material, an item
    without a flow) leaves nothing behind. `received_at` defaults to the acceptance moment.
    """
    existing = find(source.system, source.number)
    if existing is not None:
        return existing, False
    now = clock.now()
    received_at = received_at or accepted_at
    _check_not_future(accepted_at, "accepted_at", now)
    _check_not_future(received_at, "received_at", now)
    if received_at > accepted_at:
        message = "收件时间不能晚于受理时间。"
        raise InvalidInput(message, {"received_at": [message]})
    try:
        with transaction.atomic():
            case = services.receive(actor=actor, item=item, applicant=applicant, materials=materials or {},
                                    channel=Channel.API, title=title, ip=ip, received_at=received_at, source=source)
            case = services.perform_outside(case, "accept", actor=actor, happened_at=accepted_at,
                                            params={"commitment": True}, ip=ip)
    except (IntegrityError, Conflict):
        # The same number registered at the same time by another call: its case is the answer. (The
        # case INSERT skips a row whose unique values are taken, so the race surfaces as Conflict.)
        existing = find(source.system, source.number)
        if existing is None:
            raise
        return existing, False
    return case, True


def push(case: Case, action: str, *, actor: User, happened_at: dt.datetime, params: dict | None = None,
         letter_number: str = "", ip: str | None = None) -> Case:
    """Record one action the department performed on the case in its own system at `happened_at`."""
    if action not in PUSHED_ACTIONS:
        message = f"部门系统可推送的操作为：{'、'.join(PUSHED_ACTIONS)}。"
        raise InvalidInput(message, {"action": [message]})
    now = clock.now()
    _check_not_future(happened_at, "at", now)
    letter_number = letter_number.strip()
    if action in RESULT_ACTIONS and not letter_number:
        message = "请填写部门系统出具的决定书文号。"
        raise InvalidInput(message, {"letter_number": [message]})

    def in_order(act: lifecycle.Act) -> None:
        # Checked on the locked case: two pushes at once cannot both pass an earlier moment.
        latest = latest_moment(act.case)
        if happened_at < latest:
            local = timezone.localtime(latest).strftime("%Y-%m-%d %H:%M:%S")
            message = f"时间早于本件在部门系统中的上一操作（{local}）。"
            raise InvalidInput(message, {"at": [message]})
        if letter_number:
            act.event_data["letter_number"] = letter_number[:60]

    return services.perform_outside(case, action, actor=actor, happened_at=happened_at, params=params, ip=ip,
                                    authorise=in_order)


def latest_moment(case: Case) -> dt.datetime:
    """The moment of the case's latest action in the department's system (its receipt's, at first).

    The platform's own events on the case (a recomputation of dues, a seal) carry no outside moment.
    """
    data = (CaseEvent.objects.filter(case=case, data__has_key="outside_at").order_by("-pk")
            .values_list("data", flat=True).first())
    return dt.datetime.fromisoformat(data["outside_at"]) if data else case.received_at
