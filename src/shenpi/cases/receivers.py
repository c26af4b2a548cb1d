"""The cases app's own receivers of case actions (shenpi.cases.hooks), registered like any other's.

What the applicant hears of by SMS is written in the action's transaction (the notification outbox
delivers it after the commit): nothing is sent for an action that was rolled back.
"""

from __future__ import annotations

from shenpi.notifications.services import notify

from . import hooks
from .lifecycle import Act

# Action → the notification template the applicant receives.
APPLICANT_MESSAGES = {"accept": "case_accepted", "request_correction": "correction_requested",
                      "refuse": "case_refused", "complete": "case_completed",
                      "handle_on_the_spot": "case_completed"}


@hooks.after(*APPLICANT_MESSAGES, order=100, name="cases.tell_applicant")
def tell_applicant(act: Act) -> None:
    case = act.case
    if not case.contact_phone:
        return
    template = APPLICANT_MESSAGES[act.action]
    context = {}
    if template == "correction_requested":
        context = {"materials": [f"{m['name']}（{m['problem']}）" for m in act.event_data["missing"]],
                   "note": act.comment}
    notify(template, case=case, mobile=case.contact_phone, context=context, topic=f"case:{case.pk}", need_ids=False)
