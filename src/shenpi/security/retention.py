"""Retention (保存期限): the security audit log keeps every event at least SHENPI_AUDIT_RETENTION_DAYS.

Only the oldest rows go, and only as a prefix of the chain: the purge deletes the rows before
the first one (in id order) that is younger than the cut-off, so what remains is still one
unbroken chain, whose start becomes the hash of the last row deleted.

The triggers of migration 0002 refuse every DELETE but this one path:
- PostgreSQL: the transaction sets `shenpi.security_purge_before` (set_config(…, true), so it
  ends with the transaction); the trigger lets a row go only if it is older than that moment and
  that moment is at least 183 days (MINIMUM_RETENTION_DAYS) before the database's own now().
- SQLite: the transaction writes the cut-off into the table `security_purge_permit` (no Django
  model); its own trigger refuses a cut-off younger than 183 days, and the permit is removed
  in the same transaction (SQLite writers take turns, so no one else ever sees it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from shenpi import clock

from .chain import head_for_update
from .models import SecurityChain, SecurityEvent

BATCH = 5000
PERMIT_TABLE = "security_purge_permit"


@dataclass
class Purged:
    before: dt.datetime
    deleted: int


def cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or clock.now()) - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS)


def purge(*, batch: int = BATCH) -> Purged:
    """Delete the events older than the retention period (oldest first, in batches)."""
    before = cutoff()
    deleted = 0
    while True:
        with transaction.atomic():
            count = _purge_batch(before, batch)
        deleted += count
        if count < batch:
            break
    if deleted:
        from .audit import record

        record("audit.purged", target="security_event", before=before.isoformat(), deleted=deleted,
               retention_days=settings.AUDIT_RETENTION_DAYS)
    return Purged(before, deleted)


def _purge_batch(before: dt.datetime, batch: int) -> int:
    head = head_for_update()
    # The chain's oldest rows, up to (not including) the first row young enough to keep.
    first_kept = SecurityEvent.objects.filter(at__gte=before).order_by("id").values_list("id", flat=True).first()
    rows = SecurityEvent.objects.order_by("id")
    if first_kept is not None:
        rows = rows.filter(id__lt=first_kept)
    doomed = list(rows.values_list("id", "hash")[:batch])
    if not doomed:
        return 0
    last_id, last_hash = doomed[-1]
    with connection.cursor() as cursor:
        _permit(cursor, before)
        cursor.execute(f"DELETE FROM {SecurityEvent._meta.db_table} WHERE id <= %s", [last_id])  # noqa: S608
        count = cursor.rowcount
        _withdraw(cursor)
    SecurityChain.objects.filter(pk=head.pk).update(
        start=last_hash, length=head.length - count, purged=head.purged + count, purged_before=before)
    return count


def _permit(cursor, before: dt.datetime) -> None:
    if connection.vendor == "postgresql":
        cursor.execute("SELECT set_config('shenpi.security_purge_before', %s, true)", [before.isoformat()])
    else:
        cursor.execute(f"INSERT INTO {PERMIT_TABLE} (cutoff, reason) VALUES (%s, 'retention')",  # noqa: S608
                       [connection.ops.adapt_datetimefield_value(before)])


def _withdraw(cursor) -> None:
    if connection.vendor == "postgresql":
        cursor.execute("SELECT set_config('shenpi.security_purge_before', '', true)")
    else:
        cursor.execute(f"DELETE FROM {PERMIT_TABLE}")  # noqa: S608

