"""The SM3 hash chain of the security audit log: one chain for the whole table, in id order.

Each SecurityEvent's `hash` is the SM3 digest of its content and of `prev_hash`, the hash of the
row before it. SecurityChain holds the head (hash of the latest row), the number of rows and the
start (what the oldest kept row's prev_hash must be: "" or, after the retention job deleted the
oldest rows, the hash of the last one it deleted). The format mirrors the case trail's
(shenpi.cases.trail, docs/audit.md) so that an auditor recomputes both the same way.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db import connection, transaction

from shenpi.canonical import canonical_ip, plain_data, utc_moment
from shenpi.crypto import sm3_hex

from .models import SecurityChain, SecurityEvent

FORMAT = "shenpi-security-event-v1"
_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
CONTENT_FIELDS = ("at", "action", "outcome", "user_id", "username", "address", "user_agent", "target", "detail")


def digest(*, at: dt.datetime, action: str, outcome: str, user_id: int | None, username: str, address: str | None,
           user_agent: str, target: str, detail, prev_hash: str) -> str:
    """SM3 (hex) of the canonical record: a compact JSON array, UTF-8 (docs/security-audit.md)."""
    record = [FORMAT, utc_moment(at), str(action), str(outcome), user_id, str(username), canonical_ip(address),
              str(user_agent), str(target), detail, prev_hash]
    return sm3_hex(_CANONICAL_JSON.encode(record).encode("utf-8"))


def row_digest(row: dict, prev_hash: str) -> str:
    return digest(**{name: row[name] for name in CONTENT_FIELDS}, prev_hash=prev_hash)


def head_for_update() -> SecurityChain:
    """The head row, locked until the transaction ends: writers of the log take turns here.

    On PostgreSQL SELECT … FOR UPDATE locks the one row; on SQLite every write transaction begins
    IMMEDIATE (settings), which already serialises writers. A database emptied by `flush` gets the
    row again (with the events gone too, the chain starts afresh).
    """
    head = SecurityChain.objects.select_for_update().filter(pk=SecurityChain.ROW).first()
    if head is None:
        head, _ = SecurityChain.objects.get_or_create(pk=SecurityChain.ROW)
    return head


_TABLE = SecurityChain._meta.db_table


def _locked_head(cursor) -> tuple[str, int] | None:
    """(head, length) of the head row, locked; the one statement a write reads (plain SQL: the ORM's
    query building cost more than the statement)."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    cursor.execute(f"SELECT head, length FROM {_TABLE} WHERE id = %s{lock}", [SecurityChain.ROW])  # noqa: S608
    return cursor.fetchone()


def append(rows: list[dict]) -> list[SecurityEvent]:
    """Insert events (dicts of CONTENT_FIELDS) at the end of the chain, in one short transaction:
    lock the head, insert, move the head on."""
    with transaction.atomic(), connection.cursor() as cursor:
        found = _locked_head(cursor)
        if found is None:
            head_for_update()
            found = ("", 0)
        previous, length = found
        events = []
        for row in rows:
            row = {**row, "detail": plain_data(row["detail"], default=str)}
            event = SecurityEvent(**row, prev_hash=previous)
            event.hash = previous = row_digest(row, event.prev_hash)
            events.append(event)
        if len(events) == 1:
            events[0].save()
        else:
            SecurityEvent.objects.bulk_create(events)
        cursor.execute(f"UPDATE {_TABLE} SET head = %s, length = %s WHERE id = %s",  # noqa: S608
                       [previous, length + len(events), SecurityChain.ROW])
    return events


# -- verification ---------------------------------------------------------------------------------

EDITED = "内容被修改"
LINK = "链接断开"
HEAD = "链头不符"


@dataclass
class Break:
    event_id: int | None
    problem: str
    detail: str

    def __str__(self) -> str:
        where = f"安全审计记录 #{self.event_id}" if self.event_id is not None else "安全审计链"
        return f"{where}：{self.problem}（{self.detail}）"


@dataclass
class Report:
    events: int = 0
    breaks: list[Break] = field(default_factory=list)


def _rows(chunk_size: int) -> Iterator[dict]:
    return (SecurityEvent.objects.order_by("id")
            .values("id", *CONTENT_FIELDS, "prev_hash", "hash").iterator(chunk_size=chunk_size))


def verify(chunk_size: int = 5000) -> Report:
    """Walk the whole chain from its start to its head; every break is reported, the walk goes on."""
    report = Report()
    # One snapshot of rows and head: in a transaction on PostgreSQL; SQLite's read is one statement
    # and its transactions begin IMMEDIATE, which would hold off writers.
    with transaction.atomic() if connection.vendor == "postgresql" else nullcontext():
        head = SecurityChain.objects.filter(pk=SecurityChain.ROW).first() or SecurityChain()
        expected, last_id = head.start, None
        for row in _rows(chunk_size):
            report.events += 1
            last_id = row["id"]
            if row_digest(row, row["prev_hash"]) != row["hash"]:
                report.breaks.append(Break(row["id"], EDITED, "记录内容与其SM3摘要不符"))
            if row["prev_hash"] != expected:
                problem = "链起点不符：此前的记录被删除" if report.events == 1 else \
                    "上一条记录被删除、插入或调换：本记录所接的摘要不是上一条记录的摘要"
                report.breaks.append(Break(row["id"], LINK, problem))
            expected = row["hash"]
        if expected != head.head:
            report.breaks.append(Break(last_id, HEAD, "最新的记录被删除或链头被改动：链头与最后一条记录的摘要不同"))
        elif report.events != head.length:
            report.breaks.append(Break(None, HEAD, f"链头记载 {head.length} 条记录，实有 {report.events} 条"))
    return report
