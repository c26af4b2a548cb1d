"""Sending the outbox: claim due deliveries per destination, post them in signed batches, record the answer.

- Per-case order: a delivery is claimed only when no earlier one of its case for that destination is
  unfinished, so a case's next event waits for its previous one, whatever the number of senders.
- Several senders (Celery workers; without a broker one web server process per machine) claim apart:
  `SKIP LOCKED` on PostgreSQL, SQLite's one writer at a time otherwise. A claim is a lease: rows a
  sender died holding (SIGKILL mid-post) are taken again once it ends (SHENPI_EXCHANGE_LEASE).
- A receiver that fails is left alone for a backoff that doubles up to SHENPI_EXCHANGE_RETRY_MAX,
  whatever its rows, so an outage costs one try per backoff, not one per event; an event that has
  failed SHENPI_EXCHANGE_MAX_ATTEMPTS times goes to the dead-letter list (`Delivery.Status.FAILED`).
- Receivers drop repeats by the event's id (at least once here, exactly once there).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass, field

import requests
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q

from shenpi import background, clock
from shenpi.sandboxes import endpoint

from . import signing
from .models import Delivery, Destination, Event, Mapping, token_valid

logger = logging.getLogger("shenpi.exchange")

# The Celery task that sends (tasks.py registers it under this name).
SEND_TASK = "shenpi.exchange.tasks.send_events"

UNFINISHED = [Delivery.Status.PENDING, Delivery.Status.SENDING, Delivery.Status.FAILED]


@dataclass
class Sent:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: Sent) -> None:
        self.delivered += other.delivered
        self.retried += other.retried
        self.dead += other.dead
        self.batches += other.batches
        self.errors += other.errors


def ready_destinations(now: dt.datetime) -> list[Destination]:
    """Active destinations out of their backoff and with an address now (one left to its sandbox waits
    while no sandbox server is configured: its events are kept, not failed)."""
    ready = (Destination.objects.filter(token_valid(now), active=True)
             .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
             .select_related("mapping"))
    return [destination for destination in ready if address(destination)[0]]


def _earlier_unfinished():
    return Delivery.objects.filter(destination_id=OuterRef("destination_id"), case_id=OuterRef("case_id"),
                                   pk__lt=OuterRef("pk"), status__in=UNFINISHED)


def claim(destination: Destination, now: dt.datetime) -> list[Delivery]:
    """Up to the destination's batch size of due rows, at most one per case, leased to this sender."""
    lock = {"skip_locked": True} if connection.features.has_select_for_update_skip_locked else {}
    with transaction.atomic():
        due = (Delivery.objects.filter(destination=destination, next_attempt_at__lte=now,
                                       status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING])
               .exclude(Q(case_id__isnull=False) & Exists(_earlier_unfinished()))
               .order_by("pk").select_for_update(**lock))
        ids = list(due.values_list("pk", flat=True)[:destination.batch_size])
        if ids:
            Delivery.objects.filter(pk__in=ids).update(
                status=Delivery.Status.SENDING, next_attempt_at=now + dt.timedelta(seconds=settings.EXCHANGE_LEASE))
    if not ids:
        return []
    return list(Delivery.objects.filter(pk__in=ids).select_related("event").order_by("pk"))


def render(event: Event, mapping: Mapping | None) -> dict:
    """The event as the receiver wants it: our names and codes, or the mapping's."""
    # seq: the event's place in the outbox, increasing along each case: receivers can check the order.
    native = {"id": str(event.key), "seq": event.pk, "kind": event.kind, **event.payload}
    if mapping is None:
        return native
    item_codes = mapping.item_codes or {}
    out = {}
    for ours, theirs in (mapping.fields or {}).items():
        if ours not in native:
            continue
        value = native[ours]
        table = (mapping.codes or {}).get(ours)
        if table is not None and isinstance(value, str | int):
            value = table.get(str(value), value)
        if ours == "item" and item_codes:
            value = item_codes.get(str(value), value)
        out[theirs] = value
    return out


def body_of(destination: Destination, rows: list[Delivery]) -> bytes:
    events = [render(row.event, destination.mapping) for row in rows]
    return json.dumps({"events": events}, ensure_ascii=False, separators=(",", ":")).encode()


# The sandbox standing in for each kind of upper platform when a destination has no address.
SANDBOX_OF = {Destination.Kind.UPSTREAM: "province", Destination.Kind.RATING: "rating"}
SANDBOX_SECRETS = "shenpi.sandboxes.province:SECRETS"


def address(destination: Destination) -> tuple[str, str]:
    """(url, secret) to post to: the destination's, or, with no address, its sandbox's under
    SHENPI_SANDBOX_URL, resolved now (the demo writes its destinations before that is known)."""
    if destination.url:
        return destination.url, destination.secret
    name = SANDBOX_OF.get(destination.kind)
    if name is None:
        return "", destination.secret
    url, _, secret = endpoint(name, "", "", destination.secret, SANDBOX_SECRETS)
    return (f"{url}/events" if url else ""), secret


_local = threading.local()


def _session() -> requests.Session:
    """One HTTP session per sending thread: batches to the same receiver reuse the connection."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def post(destination: Destination, body: bytes) -> None:
    """One signed POST; raises on anything but a 2xx answer."""
    url, secret = address(destination)
    if not url:
        raise ValueError("未配置接收地址")
    headers = {"Content-Type": "application/json; charset=utf-8",
               **signing.headers(secret, destination.algorithm, body)}
    answer = _session().post(url, data=body, headers=headers, timeout=settings.EXCHANGE_TIMEOUT)
    if not 200 <= answer.status_code < 300:
        raise requests.HTTPError(f"HTTP {answer.status_code}: {answer.text[:200]}")


def backoff(failures: int) -> dt.timedelta:
    seconds = min(settings.EXCHANGE_RETRY_FIRST * 2 ** max(failures - 1, 0), settings.EXCHANGE_RETRY_MAX)
    return dt.timedelta(seconds=seconds)


def send_batch(destination: Destination) -> Sent:
    """Claim and send one batch to the destination."""
    result = Sent()
    rows = claim(destination, clock.now())
    if not rows:
        return result
    result.batches = 1
    ids = [row.pk for row in rows]
    try:
        post(destination, body_of(destination, rows))
    except Exception as error:  # any failure of the receiver: the batch waits for the next try
        return _failed(destination, rows, error, result)
    now = clock.now()
    with transaction.atomic():
        result.delivered = Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING).update(
            status=Delivery.Status.DELIVERED, delivered_at=now, attempts=F("attempts") + 1, last_error="")
        if destination.failures:
            Destination.objects.filter(pk=destination.pk).update(failures=0, retry_at=None)
            destination.failures, destination.retry_at = 0, None
    return result


def _failed(destination: Destination, rows: list[Delivery], error: Exception, result: Sent) -> Sent:
    now = clock.now()
    text = f"{type(error).__name__}: {error}"[:2000]
    failures = destination.failures + 1
    retry_at = now + backoff(failures)
    claimed = Delivery.objects.filter(pk__in=[row.pk for row in rows], status=Delivery.Status.SENDING)
    last_try = settings.EXCHANGE_MAX_ATTEMPTS - 1
    with transaction.atomic():
        result.dead = claimed.filter(attempts__gte=last_try).update(
            status=Delivery.Status.FAILED, attempts=F("attempts") + 1, last_error=text, next_attempt_at=retry_at)
        result.retried = claimed.filter(attempts__lt=last_try).update(
            status=Delivery.Status.PENDING, attempts=F("attempts") + 1, last_error=text, next_attempt_at=retry_at)
        Destination.objects.filter(pk=destination.pk).update(failures=failures, retry_at=retry_at)
    destination.failures, destination.retry_at = failures, retry_at
    result.errors.append(f"{destination.code}: {text}")
    logger.warning("向%s投递 %d 个事件失败（第 %d 次连续失败，%s 后重试）：%s", destination.name, len(rows), failures,
                   retry_at.isoformat(timespec="seconds"), text)
    return result


def send_due(max_batches: int = 1000) -> Sent:
    """Send until nothing is due (or max_batches): every ready destination, batch after batch."""
    total = Sent()
    for _ in range(max_batches):
        now = clock.now()
        progress = False
        for destination in ready_destinations(now):
            result = send_batch(destination)
            total.add(result)
            progress = progress or result.batches > 0
        if not progress:
            break
    return total


# -- without a broker: one process of the machine sends (shenpi.background), woken after each commit ----
#
# Any process could send (the claim is safe in parallel), but a sender per web server process would
# poll the outbox N times as often for nothing; the process holding the job is woken instead.

SEND_JOB = "exchange-send"


def wake() -> None:
    """Have what is due sent soon: a worker's task with a broker, this process's thread without."""
    background.wake(SEND_TASK, send_in_background)


def send_in_background() -> None:
    """Wake the process of this machine that sends: the request never waits on a receiver. Where none
    runs (tests, commands) the events wait for a web server, a worker or `shenpi exchange send`."""
    if background.running(SEND_JOB):
        background.wake_job(SEND_JOB)


# -- the dead-letter list ---------------------------------------------------------------------------

def resend(deliveries) -> int:
    """Put failed deliveries (a queryset) back in the outbox with their tries counted afresh; due now.
    Their destinations' pauses end too: an administrator resending means the receiver is back."""
    now = clock.now()
    with transaction.atomic():
        failed = deliveries.filter(status=Delivery.Status.FAILED)
        destination_ids = set(failed.values_list("destination_id", flat=True))
        count = failed.update(status=Delivery.Status.PENDING, attempts=0, next_attempt_at=now)
        resume(Destination.objects.filter(pk__in=destination_ids))
    if count:
        transaction.on_commit(wake, robust=True)
    return count


def resume(destinations) -> int:
    """End the backoff of these destinations (a queryset): their due rows go at the next round."""
    return destinations.exclude(retry_at__isnull=True, failures=0).update(retry_at=None, failures=0)
