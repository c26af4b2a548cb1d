"""The tamper-evident trail (审计链) of case events: an SM3 hash chain per case.

Each CaseEvent carries `hash`, the SM3 digest of its content and of `prev_hash`, the hash of the
case's previous event ("" for the first). The case row holds the chain head (`trail_head`, the
hash of its latest event) and `trail_length`, written in the same transaction as the event while
the case row is locked, so chains of different cases never wait for one another.

An edited row no longer matches its hash; a deleted or inserted row breaks a `prev_hash` link; a
deleted latest row leaves the head pointing at nothing. The format is in docs/audit.md, so that
an auditor can recompute every digest without this code.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import json
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db import connection, transaction

from shenpi.crypto import sm3_hex

from .models import Case

FORMAT = "shenpi-case-event-v1"
GENESIS = ""  # prev_hash of a case's first event

_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
# Columns of cases_caseevent that a digest covers, in the order of the serialised record.
CONTENT_COLUMNS = ("case_id", "action", "actor_id", "actor_name", "at", "ip", "from_state", "to_state",
                   "step_id", "comment", "data")


def utc_moment(moment: dt.datetime) -> str:
    """2026-09-24T01:30:00.000000Z: UTC with microseconds, what both databases store exactly."""
    if moment.tzinfo is None:
        raise ValueError("审计链的时间必须带时区。")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")[:-6] + "Z"


@functools.lru_cache(maxsize=4096)  # a centre's staff work from a few hundred addresses
def canonical_ip(ip: str | None) -> str | None:
    """IPv4 dotted; IPv6 fully expanded (8 × 4 lowercase hex digits), whatever form a database returns."""
    if not ip:
        return None
    text = str(ip)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if address.version == 4:
        return str(address)
    digits = address.packed.hex()
    return ":".join(digits[i:i + 4] for i in range(0, 32, 4))


def plain_data(data) -> dict:
    """Event data as it reads back from either database: JSON types, string keys, whole floats as integers.

    PostgreSQL's jsonb writes 2.0 as 2 and 1e20 in full; storing the plain form keeps the digest of a row
    the same on both databases and after a dump and restore.
    """
    return _plain(json.loads(json.dumps(data or {})))


def _plain(value):
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def event_digest(*, case_id: int, action: str, actor_id: int | None, actor_name: str, at: dt.datetime,
                 ip: str | None, from_state: str, to_state: str, step_id: int | None, comment: str, data,
                 prev_hash: str) -> str:
    """SM3 (hex) of the canonical record: a compact JSON array, UTF-8, see docs/audit.md."""
    record = [FORMAT, case_id, str(action), actor_id, str(actor_name), utc_moment(at), canonical_ip(ip),
              str(from_state), str(to_state), step_id, str(comment), data, prev_hash]
    return sm3_hex(_CANONICAL_JSON.encode(record).encode("utf-8"))


def row_digest(row: tuple, prev_hash: str) -> str:
    """The digest of a row read as CONTENT_COLUMNS (values_list order)."""
    case_id, action, actor_id, actor_name, at, ip, from_state, to_state, step_id, comment, data = row
    return event_digest(case_id=case_id, action=action, actor_id=actor_id, actor_name=actor_name, at=at, ip=ip,
                        from_state=from_state, to_state=to_state, step_id=step_id, comment=comment, data=data,
                        prev_hash=prev_hash)


def chain(case, event) -> None:
    """Link an unsaved event to its case's trail and move the head on, in memory.

    The caller holds the case row locked and saves both in one transaction (perform() saves the
    head with the UPDATE it makes anyway).
    """
    event.data = plain_data(event.data)
    event.prev_hash = case.trail_head
    event.hash = event_digest(
        case_id=case.pk, action=event.action, actor_id=event.actor_id, actor_name=event.actor_name, at=event.at,
        ip=event.ip, from_state=event.from_state, to_state=event.to_state, step_id=event.step_id,
        comment=event.comment, data=event.data, prev_hash=event.prev_hash)
    case.trail_head = event.hash
    case.trail_length += 1


# -- verification ---------------------------------------------------------------------------------

EDITED = "内容被修改"
DELETED = "记录被删除"
INSERTED = "插入了记录"
REORDERED = "记录顺序被调换"
HEAD = "链头不符"


@dataclass(slots=True)
class Event:
    id: int
    content: tuple
    prev_hash: str
    hash: str


@dataclass
class Break:
    """The first broken link of one case's chain."""

    case_number: str
    event_id: int | None
    problem: str
    detail: str

    def __str__(self) -> str:
        where = f"记录 #{self.event_id}" if self.event_id is not None else "全部记录"
        return f"办件 {self.case_number} {where}：{self.problem}（{self.detail}）"


@dataclass
class CaseTrail:
    case_id: int
    number: str
    head: str
    length: int
    events: list[Event] = field(default_factory=list)


@dataclass
class Report:
    cases: int = 0
    events: int = 0
    breaks: list[Break] = field(default_factory=list)


def check(trail: CaseTrail) -> Break | None:
    """The first broken link of a case's chain, walking its events in id order, or None."""
    events, number = trail.events, trail.number
    position = {GENESIS: -1}  # hash → index of the event that has it, among those walked
    expected = GENESIS
    for i, event in enumerate(events):
        if row_digest(event.content, event.prev_hash) != event.hash:
            return Break(number, event.id, EDITED, "记录内容与其SM3摘要不符")
        if event.prev_hash != expected:
            return _broken_link(trail, i, position)
        position[event.hash] = i
        expected = event.hash
    return _check_head(trail, position)


def _broken_link(trail: CaseTrail, i: int, position: dict) -> Break:
    """Why event i does not follow the one before it: a row inserted, deleted or moved."""
    events, number, event = trail.events, trail.number, trail.events[i]
    if event.hash in position:
        return Break(number, event.id, INSERTED, f"与记录 #{events[position[event.hash]].id} 完全相同")
    if event.prev_hash in position:
        continued = trail.head == event.hash or any(e.prev_hash == event.hash for e in events[i + 1:])
        if not continued:
            # Nothing continues from this row: it was added on a side branch of the chain.
            return Break(number, event.id, INSERTED, "该记录接在较早的记录之后，链上后续记录并不指向它")
        skipped = events[position[event.prev_hash] + 1]
        return Break(number, skipped.id, INSERTED,
                     f"记录 #{event.id} 直接接在更早的记录之后，其间的记录不在链上")
    if any(e.hash == event.prev_hash for e in events[i + 1:]):
        return Break(number, event.id, REORDERED, "该记录所接的上一条记录排在它之后")
    return Break(number, event.id, DELETED, "该记录之前的记录被删除或替换：上一条摘要在本办件中不存在")


def _check_head(trail: CaseTrail, position: dict) -> Break | None:
    events, number = trail.events, trail.number
    if not events:
        if trail.head or trail.length:
            return Break(number, None, DELETED, f"链头记载 {trail.length} 条记录，实有 0 条")
        return None
    last = events[-1]
    if trail.head == last.hash:
        if trail.length != len(events):
            return Break(number, last.id, HEAD, f"链长记载 {trail.length} 条，实有 {len(events)} 条")
        return None
    if not trail.head:
        return Break(number, last.id, HEAD, "办件没有链头，记录未经登记")
    if trail.head in position:
        added = events[position[trail.head] + 1]
        return Break(number, added.id, HEAD, f"{INSERTED}：该记录及其后的记录在链头之后")
    return Break(number, last.id, HEAD, f"最新的记录被删除：链头指向的记录不存在（应有 {trail.length} 条）")


def trails(rows: Iterable[tuple]) -> Iterator[CaseTrail]:
    """Group joined rows (case columns, then event columns or NULLs) into one CaseTrail per case."""
    current: CaseTrail | None = None
    for case_id, number, head, length, event_id, *content, prev_hash, digest in rows:
        if current is None or current.case_id != case_id:
            if current is not None:
                yield current
            current = CaseTrail(case_id, number, head, length)
        if event_id is not None:
            current.events.append(Event(event_id, (case_id, *content), prev_hash, digest))
    if current is not None:
        yield current


def verify(*, case_number: str | None = None, all_breaks: bool = False, chunk_size: int = 5000) -> Report:
    """Walk every case's chain (or one case's) in one statement, so heads and events are one snapshot."""
    cases = Case.objects.all()
    if case_number is not None:
        cases = cases.filter(number=case_number)
    event_columns = ["events__id", *(f"events__{c.removesuffix('_id')}" for c in CONTENT_COLUMNS[1:]),
                     "events__prev_hash", "events__hash"]
    rows = (cases.order_by("pk", "events__id")
            .values_list("pk", "number", "trail_head", "trail_length", *event_columns)
            .iterator(chunk_size=chunk_size))
    report = Report()
    # In a transaction PostgreSQL streams the server-side cursor (outside one it is declared WITH HOLD
    # and the whole result is materialised first). SQLite transactions here begin IMMEDIATE and would
    # hold off writers, and its one statement reads one snapshot anyway.
    with transaction.atomic() if connection.vendor == "postgresql" else nullcontext():
        for trail in trails(rows):
            report.cases += 1
            report.events += len(trail.events)
            broken = check(trail)
            if broken:
                report.breaks.append(broken)
                if not all_breaks:
                    break
    return report
