"""Events recorded at the same moment by many requests stay one chain (PostgreSQL's row lock on the head).

Each thread has its own connection; the head is read slowly, so without the lock two writers would read
the same head and fork the chain.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from shenpi.security import chain
from shenpi.security.audit import record
from shenpi.security.models import SecurityChain, SecurityEvent
from tests.concurrency import race

pytestmark = [
    pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
                       reason="SQLite serialises writers by the file lock: concurrency is tested on PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_events_written_at_once_are_chained_one_after_the_other(monkeypatch):
    locked = chain._locked_head

    def slow_head(cursor):
        head = locked(cursor)
        time.sleep(0.1)
        return head

    monkeypatch.setattr(chain, "_locked_head", slow_head)
    results = race(*[lambda n=n: record("login.failed", target=f"account:u{n}", outcome="failure")
                     for n in range(8)])
    assert not [r for r in results if isinstance(r, Exception)]
    rows = list(SecurityEvent.objects.order_by("id"))
    assert len(rows) == 8
    assert [r.prev_hash for r in rows] == ["", *[r.hash for r in rows[:-1]]]
    assert SecurityChain.objects.get().head == rows[-1].hash
    assert chain.verify().breaks == []
