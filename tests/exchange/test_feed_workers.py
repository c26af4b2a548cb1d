"""The feed under several senders on PostgreSQL, and sent by a real Celery worker after the commit.

Threads see only committed data, so these tests commit (transactional tests); serialized_rollback
restores the seeded roles and calendar afterwards.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from shenpi.cases import services
from shenpi.exchange import sender
from shenpi.exchange.models import Delivery
from tests.exchange.feed import Sandbox, accepted, office, province

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason=(
        "SQLite has no row locks and its in-memory test database cannot be shared with sender threads: "
        "concurrent sending is tested on PostgreSQL")),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _senders(count: int) -> None:
    """`count` senders at once, each sending until nothing is due."""
    errors: list[Exception] = []

    def run():
        try:
            while sender.send_due(max_batches=1).batches:
                pass
        except Exception as error:  # the test reports it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and not any(t.is_alive() for t in threads)


def test_three_senders_keep_each_case_s_order_and_send_each_event_once(sandboxes):
    province(batch_size=7)
    dept, people, it = office()
    cases = [accepted(people, it) for _ in range(12)]
    for role in ("handler", "reviewer"):
        for case in cases:
            services.perform(case.pk, "pass", actor=people[role], params={"opinion": role})
    receiver = Sandbox(sandboxes)
    receiver.behave("slow", 0.02)  # the senders' claims overlap
    for _ in range(5):  # a sender ends when it finds nothing due while another still holds its case's event
        _senders(3)
        if not Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists():
            break
    stats = receiver.stats()
    assert stats["accepted"] == 36 and stats["duplicates"] == 0 and stats["violations"] == 0
    for case in cases:
        kinds = [e["kind"] for e in receiver.events() if e["case"] == case.number]
        assert kinds == ["accept", "process", "process"]


def test_a_sender_killed_mid_post_leaves_its_rows_to_another_after_the_lease(sandboxes, settings):
    settings.EXCHANGE_LEASE = 1
    destination = province()
    dept, people, it = office()
    for _ in range(4):
        accepted(people, it)
    sender.claim(destination, sender.clock.now())  # a sender claims, then dies (nothing recorded)
    assert sender.send_due().delivered == 0  # leased: nobody else takes them yet
    time.sleep(1.2)
    assert sender.send_due().delivered == 4
    assert Sandbox(sandboxes).stats()["accepted"] == 4


@pytest.mark.celery
def test_a_celery_worker_sends_what_an_action_wrote_once_it_committed(sandboxes, celery_app):
    from celery.contrib.testing.worker import start_worker

    province()
    dept, people, it = office()
    receiver = Sandbox(sandboxes)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        case = accepted(people, it)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not receiver.stats()["accepted"]:
            time.sleep(0.1)
    assert [(e["kind"], e["case"]) for e in receiver.events()] == [("accept", case.number)]
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED
