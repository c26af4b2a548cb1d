"""The supervision app's receiver of case actions (shenpi.cases.hooks).

Supervision is set-based: the scan finds what changed from the cases' trails, so an action owes it
nothing in its transaction. What an action does give it is the moment: in the embedded default the
web process's scanner looks again soon after a commit instead of waiting for its next round, so a
先批后录 or an acceptance without materials is on the board within seconds. With Celery, beat scans
every minute whatever happens.
"""

from __future__ import annotations

from django.db import transaction

from shenpi.cases import hooks

from . import inprocess


@hooks.after(hooks.ANY, order=900, name="supervision.scan_soon")
def scan_soon(act) -> None:
    if inprocess.running():
        transaction.on_commit(inprocess.wake)
