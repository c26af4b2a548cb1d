"""What a case action tells the rest of the platform (ADR 0004): receivers in its transaction, and
events published after it commits.

Another app reacts to 受理, 暂停, 准予, 办结 … by registering here from its AppConfig.ready(),
without touching `cases/`:

    from shenpi.cases import hooks

    @hooks.before("complete", order=200)
    def unpaid_bill_blocks_completion(act): ...      # may refuse: raise TransitionRefused(...)

    @hooks.after("accept", "complete", order=100)
    def tell_applicant(act): ...                    # writes through act.insert / act.update

    @hooks.subscriber("exchange.upstream", "accept", "complete")
    def send_upstream(event: Published): ...         # after the commit, from the outbox, retried

- `before` receivers run inside the action's transaction once the case is locked, the action
  allowed in its state and the actor authorised, before the effect: nothing has changed yet. A
  receiver refuses by raising a ServiceError; the action then changes nothing.
- `after` receivers run inside the transaction once the case row, its event and its notices are
  written; `act.before` and `act.case.state` say where the case came from and went. They write
  through `act.insert` / `act.update` only (ADR 0003), and a refusal still rolls everything back.
- Receivers run in the order of their `order` number (ties by name), the same in every process.
- A `subscriber` gets each event it asked for after the commit, at least once and, per case, in
  the order the actions happened: one outbox row (`Publication`) per event and subscriber is
  written in the action's transaction, so nothing is lost when the subscriber, the worker or the
  broker is down; a failed delivery is retried with backoff and, after the last attempt, kept for
  an administrator to send again. A subscriber must tolerate a repeat (the event's `key`).

An action that no receiver or subscriber asked for costs one dictionary lookup.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet

from shenpi import background, clock

from . import store
from .models import Publication

if TYPE_CHECKING:
    from .lifecycle import Act

logger = logging.getLogger("shenpi.cases.hooks")

# The Celery task that drains the outbox (shenpi.cases.tasks registers it under this name).
DELIVERY_TASK = "shenpi.cases.tasks.deliver_publications"

ANY = "*"  # every action: receipt ("receive") and system actions ("recompute_dues") included

FIRST_RETRY = dt.timedelta(minutes=1)
LAST_RETRY = dt.timedelta(hours=1)
# A claimed row not finished within its lease is taken again (the worker died while delivering).
LEASE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Receiver:
    name: str
    order: int
    actions: frozenset[str]
    function: Callable[[Act], None]


@dataclass(frozen=True)
class Published:
    """An action as a subscriber receives it after the commit: plain data, read from the outbox."""

    key: str  # unique per event and subscriber: "<case id>:<event number>"
    case_id: int
    case_number: str
    action: str
    from_state: str
    to_state: str
    at: dt.datetime
    actor_id: int | None
    data: dict


@dataclass(frozen=True)
class Subscriber:
    name: str
    actions: frozenset[str]
    function: Callable[[Published], None]


_before: dict[str, Receiver] = {}
_after: dict[str, Receiver] = {}
_subscribers: dict[str, Subscriber] = {}
# action → receivers (or subscribers) in order, built on first use after each registration.
_plan: dict[tuple[str, str], tuple] = {}
_switched_off = False


def _register(table: dict, entry) -> None:
    known = table.get(entry.name)
    if known is not None and known.function is not entry.function:
        raise ValueError(f"“{entry.name}”已登记为另一个函数。")
    table[entry.name] = entry
    _plan.clear()


def _receiver(table: dict, actions: tuple[str, ...], order: int, name: str | None):
    if not actions:
        raise ValueError("请列出接收的操作（或 hooks.ANY）。")

    def register(function):
        label = name or f"{function.__module__}.{function.__qualname__}"
        _register(table, Receiver(label, order, frozenset(actions), function))
        return function
    return register


def before(*actions: str, order: int, name: str | None = None):
    """Register a receiver run before the effect of these actions (may refuse)."""
    return _receiver(_before, actions, order, name)


def after(*actions: str, order: int, name: str | None = None):
    """Register a receiver run after these actions are written, in their transaction."""
    return _receiver(_after, actions, order, name)


def subscriber(name: str, *actions: str):
    """Register a subscriber to these actions, told after the commit through the outbox."""
    if not actions:
        raise ValueError("请列出订阅的操作（或 hooks.ANY）。")
    if len(name) > Publication._meta.get_field("subscriber").max_length:
        raise ValueError(f"订阅者名称过长：{name}")

    def register(function):
        _register(_subscribers, Subscriber(name, frozenset(actions), function))
        return function
    return register


def _for(kind: str, table: dict, action: str) -> tuple:
    plan = _plan.get((kind, action))
    if plan is None:
        chosen = [e for e in table.values() if action in e.actions or ANY in e.actions]
        if kind != "subscribers":
            chosen.sort(key=lambda e: (e.order, e.name))
        plan = _plan[kind, action] = tuple(chosen)
    return plan


@contextmanager
def disabled():
    """No receiver or subscriber runs inside this block (benchmarks: the cost of the hooks)."""
    global _switched_off
    previous, _switched_off = _switched_off, True
    try:
        yield
    finally:
        _switched_off = previous


# -- called by the action's door (services) ------------------------------------------------------

def run_before(act: Act) -> None:
    if _switched_off:
        return
    for receiver in _for("before", _before, act.action):
        receiver.function(act)


def run_after(act: Act) -> None:
    if _switched_off:
        return
    for receiver in _for("after", _after, act.action):
        receiver.function(act)
    subscribers = _for("subscribers", _subscribers, act.action)
    if subscribers:
        _publish(act, subscribers)


def _publish(act: Act, subscribers: tuple[Subscriber, ...]) -> None:
    case, event = act.case, act.event
    payload = {"number": case.number, "from": event.from_state, "to": event.to_state, "actor": event.actor_id,
               "data": event.data}
    for entry in subscribers:
        store.insert(Publication(
            subscriber=entry.name, case_id=case.pk, event_number=case.trail_length, action=event.action,
            at=event.at, payload=payload, status=Publication.Status.PENDING, next_attempt_at=event.at))
    _deliver_after_commit()


# -- delivery ------------------------------------------------------------------------------------

def _deliver_after_commit() -> None:
    """One delivery per transaction, however many events it published."""
    background.once_after_commit(_start_delivery)


def _start_delivery() -> None:
    background.wake(DELIVERY_TASK, deliver)


def deliver(limit: int = 100, max_passes: int = 50) -> dict[str, int]:
    """Passes until no event is due (or max_passes): each claims up to `limit` rows and delivers them.

    A pass takes at most one event per case and subscriber (the earliest not yet delivered), so a
    case's next event waits for the next pass, and one that failed holds back its case's later ones.
    """
    total = {"delivered": 0, "retry": 0, "failed": 0}
    for _ in range(max_passes):
        claimed = _claim(limit)
        if not claimed:
            break
        for row in claimed:
            total[_deliver_one(row)] += 1
    return total


def _blocked() -> QuerySet[Publication]:
    """Earlier events of the same case for the same subscriber not yet delivered: per-case order."""
    return Publication.objects.filter(
        subscriber=OuterRef("subscriber"), case_id=OuterRef("case_id"), pk__lt=OuterRef("pk"),
        status__in=[Publication.Status.PENDING, Publication.Status.SENDING, Publication.Status.FAILED])


def _claim(limit: int) -> list[Publication]:
    now = clock.now()
    lock = {"skip_locked": True} if connection.features.has_select_for_update_skip_locked else {}
    with transaction.atomic():
        # SQLite has no row locks: its IMMEDIATE transactions already admit one writer at a time.
        due = (Publication.objects.filter(status__in=[Publication.Status.PENDING, Publication.Status.SENDING],
                                          next_attempt_at__lte=now)
               .exclude(Exists(_blocked())).order_by("pk").select_for_update(**lock))
        ids = list(due.values_list("pk", flat=True)[:limit])
        if ids:
            Publication.objects.filter(pk__in=ids).update(status=Publication.Status.SENDING,
                                                          next_attempt_at=now + LEASE)
    return list(Publication.objects.filter(pk__in=ids).order_by("pk")) if ids else []


def _deliver_one(row: Publication) -> str:
    entry = _subscribers.get(row.subscriber)
    try:
        if entry is None:
            raise LookupError(f"没有名为“{row.subscriber}”的订阅者。")
        entry.function(published(row))
    except Exception as error:  # one subscriber's failure is recorded on its row; the pass goes on
        return _record_failure(row, error)
    Publication.objects.filter(pk=row.pk, status=Publication.Status.SENDING).update(
        status=Publication.Status.DELIVERED, delivered_at=clock.now(), attempts=row.attempts + 1, last_error="")
    return "delivered"


def published(row: Publication) -> Published:
    payload = row.payload
    return Published(key=f"{row.case_id}:{row.event_number}", case_id=row.case_id, case_number=payload["number"],
                     action=row.action, from_state=payload["from"], to_state=payload["to"], at=row.at,
                     actor_id=payload["actor"], data=payload["data"])


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 … minutes after the 1st, 2nd, 3rd, 4th … failed attempt, at most an hour."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LAST_RETRY)


def _record_failure(row: Publication, error: Exception) -> str:
    attempts = row.attempts + 1
    now = clock.now()
    gave_up = attempts >= settings.PUBLISH_MAX_ATTEMPTS
    status = Publication.Status.FAILED if gave_up else Publication.Status.PENDING
    text = f"{type(error).__name__}: {error}"[:2000]
    Publication.objects.filter(pk=row.pk, status=Publication.Status.SENDING).update(
        status=status, attempts=attempts, last_error=text, next_attempt_at=now + retry_delay(attempts))
    logger.warning("事件 %s（%s）第 %d 次投递给 %s 失败%s：%s", row.pk, row.action, attempts, row.subscriber,
                   "，不再重试" if gave_up else "", text)
    return "failed" if gave_up else "retry"


def resend(rows: QuerySet[Publication]) -> int:
    """Queue failed events again with a fresh set of attempts (管理后台“重新投递”)."""
    with transaction.atomic():
        count = rows.filter(status=Publication.Status.FAILED).update(
            status=Publication.Status.PENDING, attempts=0, next_attempt_at=clock.now())
        if count:
            _deliver_after_commit()
    return count
