"""Several workers on PostgreSQL: no message is sent twice; a real Celery worker on Redis delivers.

Threads see only committed data, so these tests commit (transactional tests), which SQLite's
in-memory test database cannot share between threads; serialized_rollback restores the
seeded roles and calendar afterwards.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.conf import settings
from django.db import transaction

from shenpi.notifications import services
from shenpi.notifications.models import Notification
from tests.concurrency import race

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason=(
        "SQLite has no row locks (one writer per file) and its in-memory test database cannot be shared "
        "with worker threads: concurrent delivery is tested on PostgreSQL")),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HOLD_CLAIM_SECONDS = 0.5


def queue(case, count: int) -> list[int]:
    with transaction.atomic():
        return [services.create_notifications("case_accepted", case=case, mobile=f"139{n:08d}")[0].pk
                for n in range(count)]


def test_two_passes_at_once_never_send_a_message_twice(accepted_case, sms_gateway, monkeypatch):
    ids = queue(accepted_case, 30)
    lease = services._lease

    def slow_lease(limit):
        # Called inside the claim transaction, after the rows are locked: both passes overlap here.
        time.sleep(HOLD_CLAIM_SECONDS)
        return lease(limit)

    monkeypatch.setattr(services, "_lease", slow_lease)
    outcomes = race(lambda: services.deliver_due(limit=20), lambda: services.deliver_due(limit=20))
    sent_ids = Counter(request["json"]["id"] for request in sms_gateway.received)
    assert sorted(sent_ids) == sorted(ids) and set(sent_ids.values()) == {1}
    # The first pass took 20; the other skipped the locked rows and took the other 10 at the same time.
    assert sorted(o.sent for o in outcomes) == [10, 20]
    assert set(Notification.objects.values_list("status", flat=True)) == {Notification.Status.SENT}


@pytest.mark.celery
def test_a_celery_worker_delivers_what_a_commit_queued(accepted_case, celery_app):
    from celery.contrib.testing.worker import start_worker

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        with transaction.atomic():
            [sms] = services.notify("case_accepted", case=accepted_case, mobile="13912345678")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            sms.refresh_from_db()
            if sms.status == Notification.Status.SENT:
                break
            time.sleep(0.1)
    assert sms.status == Notification.Status.SENT and sms.attempts == 1
