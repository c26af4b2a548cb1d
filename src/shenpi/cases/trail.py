"""The tamper-evident trail (审计链) of case events: an SM3 hash chain per case.

Each CaseEvent carries `hash`, the SM3 digest of its content and of `prev_hash`, the hash of the
case's previous event ("" for the first). The case row holds the chain head (`trail_head`, the
hash of its latest event) and `trail_length`, written in the same transaction as the event while
the case row is locked, so chains of different cases never wait for one another.

An edited row no longer matches its hash; a deleted or inserted row breaks a `prev_hash` link; a
deleted latest row leaves the head pointing at nothing. The format is in docs/audit.md, so that
an auditor can recompute every digest without this code.

Each event also seals the case row as the action left it: `seal` is the SM3 digest of the case's
SEALED_FIELDS and `seal_map` a short checksum per field (to name what was edited), both covered by
the event's hash. The case row is written only by the action that appends the event, so the row
as it stands must give its latest event's seal.
"""

from __future__ import annotations

import datetime as dt
import json
import struct
import zlib
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db import connection, transaction

from shenpi.canonical import canonical_ip, plain_data, utc_moment
from shenpi.crypto import sm3_hex

from .models import Case

FORMAT = "shenpi-case-event-v1"
SEALED_FORMAT = "shenpi-case-event-v2"  # an event that seals its case row (every event since v2)
SEAL_FORMAT = "shenpi-case-seal-v1"
GENESIS = ""  # prev_hash of a case's first event

_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
# Columns of cases_caseevent that a digest covers, in the order of the serialised record.
CONTENT_COLUMNS = ("case_id", "action", "actor_id", "actor_name", "at", "ip", "from_state", "to_state",
                   "step_id", "comment", "data")
SEAL_COLUMNS = ("seal", "seal_map")

# The case row's columns an event seals (attnames, in this order; see docs/audit.md for why each
# is in or out). Out: the SM4 ciphertexts (query code, ID, phone: a fresh IV at every write, and the
# ID is sealed through its blind index), the window (SET NULL when a window is deleted), the row
# version, the notice counter and the chain head itself.
SEALED_FIELDS = (
    "number", "item_id", "version_id", "department_id", "channel", "title", "state",
    "applicant_kind", "applicant_name", "applicant_id_index", "applicant_id_masked", "applicant_id_note",
    "contact_name", "contact_phone_masked", "received_at", "received_by_id",
    "correction_due", "correction_count", "correction_requested_at", "corrected_at", "accepted_at", "accept_date",
    "promised_limit", "statutory_limit", "extension_days", "stopped_days", "clock_stopped_on",
    "promised_due", "statutory_due", "due_provisional",
    "decision", "decision_reason", "decided_at", "delivery_due", "completed_at", "used_days",
    "closing_reason", "closed_at",
)


def event_digest(*, case_id: int, action: str, actor_id: int | None, actor_name: str, at: dt.datetime,
                 ip: str | None, from_state: str, to_state: str, step_id: int | None, comment: str, data,
                 prev_hash: str, seal: str = "", seal_map: str = "") -> str:
    """SM3 (hex) of the canonical record: a compact JSON array, UTF-8, see docs/audit.md.

    An event without a seal (written before v2) keeps its v1 record; a sealed one adds the seal and
    its map before `prev_hash`.
    """
    record = [FORMAT, case_id, str(action), actor_id, str(actor_name), utc_moment(at), canonical_ip(ip),
              str(from_state), str(to_state), step_id, str(comment), data, prev_hash]
    if seal or seal_map:
        record[0] = SEALED_FORMAT
        record[12:12] = [str(seal), str(seal_map)]
    return sm3_hex(_CANONICAL_JSON.encode(record).encode("utf-8"))


def row_digest(row: tuple, prev_hash: str, seal: str = "", seal_map: str = "") -> str:
    """The digest of a row read as CONTENT_COLUMNS (values_list order) with its SEAL_COLUMNS."""
    case_id, action, actor_id, actor_name, at, ip, from_state, to_state, step_id, comment, data = row
    return event_digest(case_id=case_id, action=action, actor_id=actor_id, actor_name=actor_name, at=at, ip=ip,
                        from_state=from_state, to_state=to_state, step_id=step_id, comment=comment, data=data,
                        prev_hash=prev_hash, seal=seal or "", seal_map=seal_map or "")


# -- the seal of the case row -------------------------------------------------------------------------

_AS_IS = frozenset({str, int, bool, type(None)})


def _sealed_value(value):
    """A column's value as the seal writes it: dates ISO, moments as in events, the rest JSON as is."""
    if isinstance(value, dt.datetime):
        return utc_moment(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def case_values(case) -> tuple:
    """The sealed columns of a case in memory, in SEALED_FIELDS order (as values_list reads them)."""
    return tuple(getattr(case, name) for name in SEALED_FIELDS)


def seal_of(values: tuple) -> tuple[str, str]:
    """(seal, seal map) of a case row's SEALED_FIELDS values.

    The seal is SM3 over ["shenpi-case-seal-v1", v1, v2, …] in canonical JSON. The map is four hex
    digits per field, the low 16 bits of CRC-32 of the value's text (UTF-8; null, true, false as in
    JSON): a checksum that names the edited fields, not a proof — the seal is.
    """
    plain = _sealed_values(values)
    checksums = [zlib.crc32(_text(value)) & 0xFFFF for value in plain]
    return _seal_digest(plain), struct.pack(f">{len(checksums)}H", *checksums).hex()


def _sealed_values(values: tuple) -> list:
    return [value if type(value) in _AS_IS else _sealed_value(value) for value in values]


def _seal_digest(plain: list) -> str:
    return sm3_hex(_CANONICAL_JSON.encode([SEAL_FORMAT, *plain]).encode("utf-8"))


def row_edits(case) -> list[str] | None:
    """Whether a case row just read (and locked) still gives the seal of its latest event.

    None when it does (or the case predates sealing); else the fields edited since, as far as the
    latest event's map names them ([] when it cannot). Costs one digest; a read only when edited.
    """
    if not case.trail_seal:
        return None
    values = case_values(case)
    if _seal_digest(_sealed_values(values)) == case.trail_seal:
        return None
    seal_map = case.events.filter(hash=case.trail_head).values_list("seal_map", flat=True).first() or ""
    return differing_fields(values, seal_map)


def _text(value) -> bytes:
    if value is None or value is True or value is False:
        return _JSON_CONSTANTS[value]
    return str(value).encode("utf-8")


_JSON_CONSTANTS = {None: b"null", True: b"true", False: b"false"}


def differing_fields(values: tuple, seal_map: str) -> list[str]:
    """The sealed fields whose value no longer gives its checksum in the map ([] when none can be named)."""
    _, current = seal_of(values)
    if len(seal_map) != len(current):
        return []
    return [name for i, name in enumerate(SEALED_FIELDS) if current[4 * i:4 * i + 4] != seal_map[4 * i:4 * i + 4]]


def chain(case, event) -> None:
    """Link an unsaved event to its case's trail, seal the case as it now stands in memory, and move
    the head on.

    The caller holds the case row locked and saves both in one transaction (perform() saves the
    head with the UPDATE it makes anyway).
    """
    event.data = plain_data(event.data)
    event.prev_hash = case.trail_head
    event.seal, event.seal_map = seal_of(case_values(case))
    case.trail_seal = event.seal
    event.hash = event_digest(
        case_id=case.pk, action=event.action, actor_id=event.actor_id, actor_name=event.actor_name, at=event.at,
        ip=event.ip, from_state=event.from_state, to_state=event.to_state, step_id=event.step_id,
        comment=event.comment, data=event.data, prev_hash=event.prev_hash, seal=event.seal,
        seal_map=event.seal_map)
    case.trail_head = event.hash
    case.trail_length += 1


# -- verification ---------------------------------------------------------------------------------

EDITED = "内容被修改"
DELETED = "记录被删除"
INSERTED = "插入了记录"
REORDERED = "记录顺序被调换"
HEAD = "链头不符"
ROW_EDITED = "办件信息与封存不符"
UNSEALED = "办件未封存"


@dataclass(slots=True)
class Event:
    id: int
    content: tuple
    prev_hash: str
    hash: str
    seal: str = ""
    seal_map: str = ""


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
    head_seal: str = ""  # the row's trail_seal
    values: tuple = ()  # the case row's SEALED_FIELDS as it stands
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
        if row_digest(event.content, event.prev_hash, event.seal, event.seal_map) != event.hash:
            return Break(number, event.id, EDITED, "记录内容与其SM3摘要不符")
        if event.prev_hash != expected:
            return _broken_link(trail, i, position)
        position[event.hash] = i
        expected = event.hash
    return _check_head(trail, position) or _check_seal(trail)


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


def _check_seal(trail: CaseTrail) -> Break | None:
    """The case row as it stands against the seal of its latest event (the chain is whole by now),
    and the edits that an action found and recorded (data `row_edited`)."""
    if not trail.events:
        return Break(trail.number, None, UNSEALED, "办件没有任何办理记录")
    last = trail.events[-1]
    if not last.seal:
        return Break(trail.number, last.id, UNSEALED, "最新的记录未封存办件信息，请运行 shenpi audit seal")
    if trail.head_seal != last.seal:
        return Break(trail.number, last.id, HEAD, "办件记载的封存摘要与最新记录的封存不符")
    seal, _ = seal_of(trail.values)
    if seal != last.seal:
        fields = differing_fields(trail.values, last.seal_map)
        return Break(trail.number, last.id, ROW_EDITED, f"办件行在该记录之后被修改，字段：{_named(fields)}")
    for event in trail.events:
        edited = event.content[-1].get("row_edited") if isinstance(event.content[-1], dict) else None
        if edited:
            return Break(trail.number, event.id, ROW_EDITED,
                         f"该操作前办件行已被绕过平台修改，字段：{_named(edited)}")
    return None


def _named(fields) -> str:
    return "、".join(str(name) for name in fields if name != "?") or "无法确定"


_SEALED_COUNT = len(SEALED_FIELDS)


def trails(rows: Iterable[tuple]) -> Iterator[CaseTrail]:
    """Group joined rows (case columns, then event columns or NULLs) into one CaseTrail per case."""
    current: CaseTrail | None = None
    for case_id, number, head, length, *rest in rows:
        if current is None or current.case_id != case_id:
            if current is not None:
                yield current
            current = CaseTrail(case_id, number, head, length, rest[0], tuple(rest[1:_SEALED_COUNT + 1]))
        event_id, *content, seal, seal_map, prev_hash, digest = rest[_SEALED_COUNT + 1:]
        if event_id is not None:
            current.events.append(Event(event_id, (case_id, *content), prev_hash, digest, seal, seal_map))
    if current is not None:
        yield current


def verify(*, case_number: str | None = None, all_breaks: bool = False, chunk_size: int = 5000) -> Report:
    """Walk every case's chain (or one case's) in one statement, so rows, heads and events are one
    snapshot, and check each case row against its latest seal."""
    cases = Case.objects.all()
    if case_number is not None:
        cases = cases.filter(number=case_number)
    event_columns = ["events__id", *(f"events__{c.removesuffix('_id')}" for c in CONTENT_COLUMNS[1:]),
                     *(f"events__{c}" for c in SEAL_COLUMNS), "events__prev_hash", "events__hash"]
    rows = (cases.order_by("pk", "events__id")
            .values_list("pk", "number", "trail_head", "trail_length", "trail_seal", *SEALED_FIELDS,
                         *event_columns)
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
