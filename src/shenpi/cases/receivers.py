"""The cases app's own receivers of case actions (shenpi.cases.hooks), registered like any other's.

What the applicant hears of by SMS is written in the action's transaction (the notification outbox
delivers it after the commit): nothing is sent for an action that was rolled back. The law wants the
applicant told of every step they must know of: 受理, 补正, 不予受理, 补件 (what to bring, by when),
特别程序 (which, why, how long: art. 45), 延期 (the reason and the new date: art. 42) and 办结 (with the
address where the case can be rated).

Staff hear of a step handed to them (转办) the same way, on the one channel staff have: e-mail to the
address of their account (none: nothing is sent, the step is in their 待办 all the same).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shenpi.catalog.models import DeferralRule
from shenpi.errors import TransitionRefused
from shenpi.notifications.services import notify

from . import hooks
from .lifecycle import Act, outstanding_deferred
from .notices import query_url, rating_url

# Action → the notification template the applicant receives.
APPLICANT_MESSAGES = {"accept": "case_accepted", "request_correction": "correction_requested",
                      "refuse": "case_refused", "complete": "case_completed",
                      "handle_on_the_spot": "case_completed", "request_supplement": "supplement_requested",
                      "suspend": "special_procedure", "extend": "case_extended"}


def _correction(act: Act) -> dict:
    return {"materials": [f"{m['name']}（{m['problem']}）" for m in act.event_data["missing"]], "note": act.comment}


def _supplement(act: Act) -> dict:
    listed = act.event_data.get("materials") or []
    return {"materials": [f"{m['name']}（{m['problem']}）" for m in listed] or [act.comment],
            "due": dt.date.fromisoformat(act.event_data["limit_due"]),
            "online": bool(listed), "query_url": query_url(act.case.number)}


def _special_procedure(act: Act) -> dict:
    notice = next(body for kind, body in act.notices if kind == "special_procedure")
    return {"procedure": notice["procedure"], "reason": notice["reason"], "expected_days": notice["expected_days"]}


def _extension(act: Act) -> dict:
    return {"days": act.event_data["days"], "reason": act.comment}


def _completion(act: Act) -> dict:
    return {"rating_url": rating_url(act.case.number)}


_CONTEXT = {"correction_requested": _correction, "supplement_requested": _supplement,
            "special_procedure": _special_procedure, "case_extended": _extension, "case_completed": _completion}


@hooks.after(*APPLICANT_MESSAGES, order=100, name="cases.tell_applicant")
def tell_applicant(act: Act) -> None:
    case = act.case
    if not case.contact_phone:
        return
    template = APPLICANT_MESSAGES[act.action]
    build = _CONTEXT.get(template)
    context = build(act) if build else {}
    notify(template, case=case, mobile=case.contact_phone, context=context, topic=f"case:{case.pk}", need_ids=False)


@hooks.after("transfer", order=110, name="cases.tell_colleague")
def tell_colleague(act: Act) -> None:
    """转办: the colleague who now holds the step is told who handed it over, why, and by when."""
    step = act.step
    due = timezone.localtime(step.due_at) if step.due_at else None
    notify("step_transferred", user=step.assignee, case=act.case, topic=f"case:{act.case.pk}", need_ids=False,
           context={"step": step.name, "sender": str(act.actor), "reason": act.comment,
                    "due": f"{due.year}年{due.month}月{due.day}日 {due:%H:%M}" if due else ""})


@hooks.before("complete", "handle_on_the_spot", order=50, name="cases.deferred_materials")
def deferred_materials_before_completion(act: Act) -> None:
    """办结 while a material accepted under 容缺 is still outstanding: refused, or (where the item's rule
    allows it) done with the outstanding materials recorded on the event for supervision to see."""
    outstanding = outstanding_deferred(act.case)
    if not outstanding:
        return
    names = "、".join(m.name for m in outstanding)
    if act.case.version.deferral_rule == DeferralRule.REFUSE:
        dues = sorted({m.due_on for m in outstanding if m.due_on})
        due = f"（补交期限{dues[0].year}年{dues[0].month}月{dues[0].day}日）" if dues else ""
        raise TransitionRefused(f"容缺材料尚未补交：{names}{due}。本事项规定容缺材料补齐前不予办结，"
                                "请申请人补交后先办理“容缺材料补交”。")
    act.event_data["deferred_outstanding"] = [m.name for m in outstanding]
