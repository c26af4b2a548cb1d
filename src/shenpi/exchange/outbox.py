"""Writing the outbox: an `Event` and its `Delivery` rows, in the transaction of what they tell.

Case actions come through a `cases.hooks.after` receiver (receivers.py) and are written with the
action's own batched writes (`act.insert`); payments and ratings through the signals the fees and
feedback apps send inside their transactions. Either way the rows commit or roll back with the change.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from django.utils import timezone

from shenpi import background, clock

from .models import Delivery, Destination, Event, EventKind

# What each case action tells the upper platforms; an action not listed tells nothing (收件 itself:
# the province counts from 受理).
ACTION_KINDS: dict[str, tuple[str, ...]] = {
    "accept": (EventKind.ACCEPT,),
    "handle_on_the_spot": (EventKind.ACCEPT, EventKind.RESULT),
    "refuse": (EventKind.RESULT, EventKind.COMPLETE),
    "pass": (EventKind.PROCESS,),
    "return": (EventKind.PROCESS,),
    "transfer": (EventKind.PROCESS,),
    "extend": (EventKind.PROCESS,),
    "suspend": (EventKind.SUSPEND,),
    "request_correction": (EventKind.CORRECTION,),
    "request_supplement": (EventKind.CORRECTION,),
    "supplement": (EventKind.RESUME,),
    "supply": (EventKind.RESUME,),
    "resume": (EventKind.RESUME,),
    "grant": (EventKind.RESULT,),
    "deny": (EventKind.RESULT,),
    "complete": (EventKind.COMPLETE,),
    "withdraw": (EventKind.COMPLETE,),
    "withdraw_online": (EventKind.COMPLETE,),
    "void": (EventKind.COMPLETE,),
}

SEND_TASK = "shenpi.exchange.tasks.send_events"


def destinations() -> list[Destination]:
    """The active destinations, read in the writing transaction (a subscription made a moment ago
    gets the next event)."""
    return list(Destination.objects.filter(active=True).only(
        "pk", "kind", "event_kinds", "department_ids", "item_ids"))


def wants(destination: Destination, kind: str, department_id: int | None, item_id: int | None) -> bool:
    if destination.event_kinds and kind not in destination.event_kinds:
        return False
    if destination.kind == Destination.Kind.RATING and kind != EventKind.RATING:
        return False
    if destination.department_ids and department_id not in destination.department_ids:
        return False
    return not (destination.item_ids and item_id not in destination.item_ids)


def write(kind: str, *, at: dt.datetime, payload: dict, case_id: int | None = None, department_id: int | None = None,
          item_id: int | None = None, event_number: int | None = None, action: str = "",
          insert: Callable[[object], object] | None = None, targets: list[Destination] | None = None) -> Event | None:
    """Write one event and a delivery per destination that wants it; None when none does.

    `insert` writes a row (an action's `act.insert`; the ORM's save otherwise)."""
    targets = [d for d in (destinations() if targets is None else targets)
               if wants(d, kind, department_id, item_id)]
    if not targets:
        return None
    insert = insert or _save
    now = clock.now()
    event = Event(key=uuid.uuid4(), kind=kind, case_id=case_id, event_number=event_number, action=action,
                  department_id=department_id, item_id=item_id, at=at, payload=payload)
    insert(event)
    for destination in targets:
        insert(Delivery(event_id=event.key, destination_id=destination.pk, case_id=case_id,
                        status=Delivery.Status.PENDING, next_attempt_at=now, created_at=now))
    background.once_after_commit(start_sending)
    return event


def _save(row) -> None:
    row.save(force_insert=True)


def start_sending() -> None:
    from . import sender  # the sender imports requests; writing the outbox does not need it

    background.wake(SEND_TASK, sender.send_in_background)


def local_iso(moment: dt.datetime | None) -> str | None:
    """Moments leave as Asia/Shanghai ISO 8601 with their offset: what a Chinese receiver expects."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None
