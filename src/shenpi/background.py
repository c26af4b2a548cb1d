"""Background work started by a commit: an outbox (notifications, case events) is drained after the
transaction that filled it, by a Celery worker when a broker is configured, in-process otherwise.

With a broker, waking a worker costs a publish to the broker on the request's path. A worker drains
everything that is due, so one wake-up serves every commit before it starts: a process sends at
most one wake-up per task every WAKE_GAP seconds, and asks for it to run WAKE_GAP seconds later, so
that whatever commits in between is already there when it runs. Beat's pass every minute catches
anything a lost wake-up left behind.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from celery import current_app
from django.conf import settings
from django.db import connection, transaction

WAKE_GAP = 1.0  # seconds

_woken: dict[str, float] = {}
_lock = threading.Lock()


def once_after_commit(function: Callable[[], object]) -> None:
    """Run `function` after the current transaction commits, once however often a transaction asks.

    robust: the change is committed by then; a broker outage must not turn it into an error."""
    if any(entry[1] is function for entry in connection.run_on_commit):
        return
    transaction.on_commit(function, robust=True)


def wake(task_name: str, inline: Callable[[], object]) -> None:
    """Have the named task run soon: queued for a worker with a broker, `inline` right now without one."""
    if not settings.CELERY_BROKER_URL:
        inline()
        return
    now = time.monotonic()
    with _lock:
        if now - _woken.get(task_name, -WAKE_GAP) < WAKE_GAP:
            return  # the wake-up sent then runs after this commit
        _woken[task_name] = now
    current_app.send_task(task_name, countdown=WAKE_GAP)


def forget_wake_ups() -> None:
    """Tests: the next commit sends a wake-up of its own."""
    _woken.clear()
