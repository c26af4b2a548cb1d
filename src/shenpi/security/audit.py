"""The security audit log: one call records who did what security-relevant thing, from where.

Every feature records through `record()`: sign-ins and their failures, lockouts, permission
denials, views of unmasked personal data and of applicants' files, exports, administrative
changes, identity verification and reclaim, second-factor enrolment and reset, token issue.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("shenpi.security")


def record(action: str, *, request=None, user=None, target: str = "", outcome: str = "success",
           **detail) -> None:
    """Record one security event.

    action: a dotted name from the list in docs/security.md (e.g. `login.failed`, `identity.reclaimed`);
    request: the request it came with (user and client address are taken from it when not given);
    user: who did it (a User, or None for an anonymous visitor);
    target: what it was done to, as text (`applicant:12`, `case:SP2026…`);
    outcome: `success`, `failure` or `denied`;
    detail: further facts, JSON-serialisable.
    """
    if user is None and request is not None:
        user = getattr(request, "user", None)
    logger.info("%s %s user=%s target=%s %s", action, outcome,
                getattr(user, "pk", None) if user is not None else None, target, detail)
