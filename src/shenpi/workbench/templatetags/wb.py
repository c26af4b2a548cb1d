"""Small presentation helpers for the workbench templates: labels, masking, time left."""

from django import template
from django.conf import settings

from shenpi.accounts import identifiers
from shenpi.accounts.models import Role
from shenpi.cases import deadlines, lifecycle, queries
from shenpi.cases.models import CLOSED_STATES, Case, State
from shenpi.security import separation
from shenpi.workdays.services import get_calendar

register = template.Library()

# Events that are not actions of the transition table.
EXTRA_ACTION_LABELS = {"receive": "收件"}
STATE_TONES = {
    State.RECEIVED: "info", State.CORRECTING: "warn", State.IN_PROGRESS: "info", State.SUSPENDED: "muted",
    State.DECIDING: "info", State.DECIDED: "ok", State.COMPLETED: "ok", State.REFUSED: "bad",
    State.WITHDRAWN: "muted", State.VOIDED: "bad",
}


@register.simple_tag
def centre_name() -> str:
    return settings.CENTRE_NAME


@register.filter
def role_names(user) -> str:
    codes = user.role_codes() if hasattr(user, "role_codes") else frozenset()
    names = [name for code, name in Role.NAMES.items() if code in codes]
    if getattr(user, "is_superuser", False) and not names:
        names = ["系统管理员"]
    return "、".join(names)


@register.filter
def has_role(user, code: str) -> bool:
    return bool(getattr(user, "is_superuser", False) or (hasattr(user, "has_role") and user.has_role(code)))


@register.filter
def reads_security_log(user) -> bool:
    """The audit administrator's link to the security audit log (三权分立: nobody else sees it)."""
    return separation.reads_security_log(user)


@register.filter
def state_label(value: str) -> str:
    try:
        return State(value).label
    except ValueError:
        return value or "—"


@register.filter
def state_tone(value: str) -> str:
    return STATE_TONES.get(value, "muted")


@register.filter
def action_label(action: str) -> str:
    transition = lifecycle.transition_of(action)
    return transition.label if transition else EXTRA_ACTION_LABELS.get(action, action)


@register.filter
def role_label(code: str) -> str:
    return Role.NAMES.get(code, code)


@register.simple_tag
def applicant_name(case: Case, user) -> str:
    """The applicant's name, masked for staff outside the case's department."""
    if queries.sees_applicant(user, case):
        return case.applicant_name
    if case.applicant_kind == "organisation":
        return case.applicant_name
    return identifiers.mask_name(case.applicant_name)


@register.inclusion_tag("workbench/_due.html")
def due(case: Case, today):
    """The date the case must meet next, with the working days left (or over), coloured by urgency."""
    context = {"date": case.promised_due, "provisional": case.due_provisional, "tone": "", "note": ""}
    if case.state == State.RECEIVED:
        context.update(date=case.correction_due, provisional=False, label="补正告知期限")
        return _days_left(context, today, case.correction_due, 1)
    if case.state == State.CORRECTING:
        context.update(date=None, waiting="等待申请人补正")
        return context
    if case.promised_due is None or case.state in CLOSED_STATES:
        return context
    if case.state == State.SUSPENDED:
        context.update(tone="muted", note="暂停计时")
        return context
    allotment = case.promised_limit + case.extension_days
    if case.state == State.DECIDED and case.delivery_due and case.delivery_due < case.promised_due:
        context.update(date=case.delivery_due, provisional=False, label="送达期限")
        return _days_left(context, today, case.delivery_due, 1)
    return _days_left(context, today, case.promised_due, deadlines.thresholds().case.days(allotment))


def _days_left(context: dict, today, day, warning: int) -> dict:
    left = get_calendar().between(today, day)
    if left < 0:
        context.update(tone="bad", note=f"超期{-left}个工作日")
    elif left <= warning:
        context.update(tone="warn", note="今日到期" if left == 0 else f"剩余{left}个工作日")
    else:
        context.update(tone="ok", note=f"剩余{left}个工作日")
    return context


@register.filter
def is_past(moment, now) -> bool:
    return bool(moment and now and moment < now)


@register.simple_tag
def login_failure_limit() -> int:
    return settings.AXES_FAILURE_LIMIT


@register.filter
def absolute(value):
    return abs(value) if isinstance(value, int) else value
