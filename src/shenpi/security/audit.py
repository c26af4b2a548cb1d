"""The security audit log: one call records who did what security-relevant thing, from where.

Every feature records through `record()`: sign-ins and their failures, lockouts, permission
denials, views of unmasked personal data and of applicants' files, exports, administrative
changes, identity verification and reclaim, second-factor enrolment and reset, token issue.
The action names are listed in docs/security-audit.md.

When the row is written (docs/security-audit.md, "When an event is written"):
- outside a transaction, at once, in a short transaction of its own (a failed write is an error
  of the caller: a file is not sent, a page is not shown without its record);
- inside the caller's transaction, after it ends, so that the chain head (one row every writer
  locks) is held for a moment, not for the rest of the caller's transaction:
  - a success is written when the transaction commits, and dropped when it rolls back (what the
    event reports did not happen);
  - a failure or a denial is written whether the transaction commits or rolls back: a refused
    action usually raises and rolls its transaction back, and its record must stay. It waits in
    a list on the connection, written after the commit, or at the end of the request (or
    Celery task), or by the next record() made outside a transaction, whichever comes first.
A second database connection would survive a rollback too, but on SQLite it would wait for the
caller's own write lock, and in tests it would not see the caller's uncommitted user row.
"""

from __future__ import annotations

import logging

from django.db import connection, transaction

from shenpi import clock
from shenpi.background import once_after_commit
from shenpi.web import client_address

logger = logging.getLogger("shenpi.security")

OUTCOMES = ("success", "failure", "denied")
_PENDING = "shenpi_security_pending"  # attribute of the (thread-local) connection


def record(action: str, *, request=None, user=None, target: str = "", outcome: str = "success",
           **detail) -> None:
    """Record one security event.

    action: a dotted name from the list in docs/security-audit.md (e.g. `login.failed`, `identity.reclaimed`);
    request: the request it came with (user and client address are taken from it when not given);
    user: who did it (a User, or None for an anonymous visitor);
    target: what it was done to, as text (`applicant:12`, `case:SP2026…`);
    outcome: `success`, `failure` or `denied`;
    detail: further facts, JSON-serialisable.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"未知的安全审计结果：{outcome}")
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    row = {
        "at": clock.now(), "action": str(action)[:60], "outcome": outcome,
        "user_id": user.pk if user is not None else None,
        "username": user.get_username()[:150] if user is not None else "",
        "address": client_address(request) if request is not None else None,
        "user_agent": request.headers.get("User-Agent", "")[:300] if request is not None else "",
        "target": str(target)[:200], "detail": detail,
    }
    logger.info("%s %s user=%s target=%s %s", action, outcome, row["username"] or "-", target, detail)
    if not _in_callers_transaction():
        flush_pending()
        _write([row])
    elif outcome == "success":
        transaction.on_commit(lambda: _write([row]), robust=True)
    else:
        _pending().append(row)
        once_after_commit(flush_pending)


def _in_callers_transaction() -> bool:
    """Inside an atomic block of the caller's; a test case's own wrapping block stands for autocommit."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _pending() -> list[dict]:
    pending = getattr(connection, _PENDING, None)
    if pending is None:
        pending = []
        setattr(connection, _PENDING, pending)
    return pending


def flush_pending(**_signal) -> None:
    """Write the failures and denials recorded in a transaction that has ended (committed or not)."""
    pending = getattr(connection, _PENDING, None)
    if not pending or _in_callers_transaction():
        return
    rows = pending[:]
    pending.clear()
    try:
        _write(rows)
    except Exception:
        logger.exception("安全审计记录未能写入：%s", [(r["action"], r["outcome"], r["username"]) for r in rows])


def _write(rows: list[dict]) -> None:
    from .chain import append

    append(rows)
