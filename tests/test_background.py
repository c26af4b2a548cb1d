"""Waking the delivery workers after a commit: once per transaction, at most once a second per process."""

import pytest
from django.db import transaction

from shenpi import background, clock
from shenpi.celery import app


@pytest.fixture
def queued(settings, monkeypatch):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, **kwargs: sent.append((name, kwargs)))
    return sent


def test_a_burst_of_commits_sends_one_wake_up_that_runs_after_them(queued, monkeypatch):
    moments = iter([100.0, 100.4, 100.9, 101.2])
    monkeypatch.setattr(background.time, "monotonic", lambda: next(moments))
    for _ in range(3):
        background.wake("shenpi.test.drain", lambda: pytest.fail("a broker is configured"))
    # Sent at 100.0 to run at 101.0 or later: the commits at 100.4 and 100.9 are there by then.
    assert queued == [("shenpi.test.drain", {"countdown": background.WAKE_GAP})]
    background.wake("shenpi.test.drain", lambda: None)  # 101.2: the first may have run already
    assert len(queued) == 2


def test_each_task_has_its_own_wake_up(queued):
    background.wake("shenpi.test.one", lambda: None)
    background.wake("shenpi.test.two", lambda: None)
    assert [name for name, _ in queued] == ["shenpi.test.one", "shenpi.test.two"]


def test_without_a_broker_the_work_runs_in_the_process(settings):
    settings.CELERY_BROKER_URL = ""
    done = []
    background.wake("shenpi.test.drain", lambda: done.append(clock.now()))
    assert len(done) == 1


@pytest.mark.django_db
def test_one_call_per_transaction_after_it_commits(django_capture_on_commit_callbacks):
    calls = []

    def call():
        calls.append(1)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        background.once_after_commit(call)
        background.once_after_commit(call)
        assert calls == []
    assert calls == [1]
