"""The supervision app's receiver of case actions (shenpi.cases.hooks).

Supervision is set-based: the scan finds what changed from the cases' trails, so an action owes it
nothing in its transaction. What an action does give it is the moment: in the embedded default the
process of the machine that holds the scan (shenpi.background) is woken after the commit instead of
waiting for its next round, so a 先批后录 or an acceptance without materials is on the board within
seconds. With Celery, beat scans every SHENPI_SUPERVISE_INTERVAL seconds whatever happens.
"""

from __future__ import annotations

from django.db.models import Q

from shenpi import background
from shenpi.cases import hooks

from .models import Alert

SCAN_JOB = "supervise"


@hooks.after(hooks.ANY, order=900, name="supervision.scan_soon")
def scan_soon(act) -> None:
    if background.running(SCAN_JOB):
        background.once_after_commit(_wake_scanner)


def _wake_scanner() -> None:
    background.wake_job(SCAN_JOB)


@hooks.after("transfer", order=500, name="supervision.follow_transfer")
def follow_transfer(act) -> None:
    """转办: the open alerts the step's previous holder answered for pass to whoever holds it now.

    Those of the step itself, and those of its case that named the previous holder as the case's
    current handler; alerts already answered or closed keep the name they had.
    """
    before, after = act.event_data.get("from_assignee"), act.event_data.get("to_assignee")
    if before is None or after is None:
        return
    alerts = Alert.objects.filter(case_id=act.case.pk, status=Alert.Status.OPEN, responsible_id=before,
                                  answered_at__isnull=True).filter(Q(step_id=act.step.pk) | Q(step__isnull=True))
    for alert in alerts.only("pk", "responsible_id"):
        alert.responsible_id = after
        act.update(alert, "responsible")
