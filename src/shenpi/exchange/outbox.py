"""Writing the outbox: an `Event` and its `Delivery` rows, in the transaction of what they tell.

Case actions come through a `cases.hooks.after` receiver (receivers.py) and are written with the
action's own batched writes (`act.insert`); payments and ratings through the signals the fees and
feedback apps send inside their transactions. Either way the rows commit or roll back with the change.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from django.db.models import BooleanField, DateTimeField
from django.utils import timezone

from shenpi import background, clock
from shenpi.prepared import Param, Prepared

from .models import Delivery, Destination, Event, EventKind, token_valid

# What each case action tells the upper platforms (every action of cases/lifecycle.py's three tables
# that the province's 电子监察数据项 has a place for). Not listed, so telling nothing: 收件 ("receive":
# the province counts from 受理), 转办 (between staff only: the step and its department do not change)
# and the platform's own "seal" (an audit mark, nothing happened to the case).
ACTION_KINDS: dict[str, tuple[str, ...]] = {
    "accept": (EventKind.ACCEPT,),
    "handle_on_the_spot": (EventKind.ACCEPT, EventKind.RESULT, EventKind.COMPLETE),
    "request_correction": (EventKind.CORRECTION,),  # 补正告知, before acceptance
    "supplement": (EventKind.CORRECTION,),  # 补正材料收齐: the correction's end
    "refuse": (EventKind.RESULT, EventKind.COMPLETE),  # 不予受理
    "pass": (EventKind.PROCESS,),
    "return": (EventKind.PROCESS,),
    "extend": (EventKind.PROCESS,),  # 延期: the statutory due moves
    "receive_deferred": (EventKind.PROCESS,),  # 容缺 materials brought at the window
    "supply_deferred": (EventKind.PROCESS,),  # … or online by the applicant
    "recompute_dues": (EventKind.PROCESS,),  # dues derived again from the official holiday notice
    "suspend": (EventKind.SUSPEND,),  # 特别程序
    "request_supplement": (EventKind.SUSPEND, EventKind.CORRECTION),  # 补件: the clock stops for it
    "resume": (EventKind.RESUME,),
    "supply": (EventKind.RESUME,),  # the applicant's 网上补件 restarts the clock
    "grant": (EventKind.RESULT,),
    "deny": (EventKind.RESULT,),
    "complete": (EventKind.COMPLETE,),
    "withdraw": (EventKind.COMPLETE,),
    "withdraw_online": (EventKind.COMPLETE,),
    "void": (EventKind.COMPLETE,),
}


# Asked by every case action: compiled once per process (shenpi.prepared), the ORM's cost spared.
_ACTIVE = Prepared(Destination.objects.filter(token_valid(Param("now", DateTimeField())),
                                              active=Param("active", BooleanField())).values_list(
    "pk", "kind", "event_kinds", "department_ids", "item_ids"))


def destinations() -> list[Destination]:
    """The active destinations, read in the writing transaction (a subscription made a moment ago
    gets the next event): only what `wants` reads."""
    return [Destination(pk=pk, kind=kind, event_kinds=kinds, department_ids=departments, item_ids=items)
            for pk, kind, kinds, departments, items in _ACTIVE.rows(active=True, now=clock.now())]


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


def write_many(events: list[dict], targets: list[Destination] | None = None) -> int:
    """Write several events (keyword arguments of `write` without `insert`) in two INSERTs: the default
    ratings of a day come in thousands. Returns the number of events written."""
    targets = destinations() if targets is None else targets
    now = clock.now()
    rows, deliveries = [], []
    for spec in events:
        wanted = [d for d in targets if wants(d, spec["kind"], spec.get("department_id"), spec.get("item_id"))]
        if not wanted:
            continue
        event = Event(key=uuid.uuid4(), **spec)
        rows.append(event)
        deliveries += [Delivery(event_id=event.key, destination_id=d.pk, case_id=spec.get("case_id"),
                                status=Delivery.Status.PENDING, next_attempt_at=now, created_at=now) for d in wanted]
    if rows:
        Event.objects.bulk_create(rows, batch_size=500)
        Delivery.objects.bulk_create(deliveries, batch_size=500)
        background.once_after_commit(start_sending)
    return len(rows)


def _save(row) -> None:
    row.save(force_insert=True)


def start_sending() -> None:
    from . import sender  # the sender imports requests; writing the outbox does not need it

    sender.wake()


def local_iso(moment: dt.datetime | None) -> str | None:
    """Moments leave as Asia/Shanghai ISO 8601 with their offset: what a Chinese receiver expects."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None
