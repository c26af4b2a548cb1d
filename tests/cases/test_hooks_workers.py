"""The case events' outbox under several workers on PostgreSQL, and delivered by a real Celery worker.

Threads see only committed data, so these tests commit (transactional tests); serialized_rollback
restores the seeded roles and calendar afterwards.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.conf import settings

from shenpi.cases import hooks, services
from shenpi.cases.models import Publication
from tests import factories as f
from tests.concurrency import race

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason=(
        "SQLite has no row locks and its in-memory test database cannot be shared with worker threads: "
        "concurrent delivery is tested on PostgreSQL")),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("own_hooks"),
]




def test_two_delivery_passes_at_once_never_deliver_an_event_twice(office, monkeypatch):
    dept, people, it = office
    heard: list[str] = []
    lock = threading.Lock()

    def feed(event):
        with lock:
            heard.append(event.key)

    hooks.subscriber("test.feed", "accept")(feed)
    monkeypatch.setattr(hooks, "_deliver_after_commit", lambda: None)  # the actions only queue their events
    for _ in range(30):
        services.perform(f.receive(people["clerk"], it).pk, "accept", actor=people["clerk"])
    assert Publication.objects.filter(status=Publication.Status.PENDING).count() == 30
    claim = hooks._claim

    def slow_claim(limit):
        rows = claim(limit)
        time.sleep(0.3)  # both passes hold their claims at the same time
        return rows

    monkeypatch.setattr(hooks, "_claim", slow_claim)
    race(lambda: hooks.deliver(limit=20, max_passes=1), lambda: hooks.deliver(limit=20, max_passes=1))
    assert set(Counter(heard).values()) == {1} and len(heard) == 30


@pytest.mark.celery
def test_a_celery_worker_delivers_what_an_action_published(office, celery_app):
    from celery.contrib.testing.worker import start_worker

    dept, people, it = office
    heard: list[str] = []
    hooks.subscriber("test.feed", "accept")(lambda event: heard.append(event.action))
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        services.perform(f.receive(people["clerk"], it).pk, "accept", actor=people["clerk"])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not heard:
            time.sleep(0.1)
    assert heard == ["accept"]
    assert Publication.objects.get().status == Publication.Status.DELIVERED
