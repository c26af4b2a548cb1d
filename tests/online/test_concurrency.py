"""Two clerks pre-review the same application at the same moment: one decision wins, one case at most.

The row lock is held a while after reading, so without it both would read 待预审 and both succeed.
"""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from shenpi.cases.errors import TransitionRefused
from shenpi.cases.models import Case
from shenpi.notifications.models import Notification
from shenpi.online import services
from shenpi.online.models import OnlineApplication

from .conftest import submitted

pytestmark = [
    pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
                       reason="SQLite serialises writers by its file lock; row locks are tested on PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # the outcome is what the test inspects
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.parametrize("second", ["accept", "refuse"])
def test_one_decision_wins(world, monkeypatch, second):
    app = submitted(world)
    locking = services._lock

    def slow_lock(target):
        locked = locking(target)
        time.sleep(0.4)
        return locked

    monkeypatch.setattr(services, "_lock", slow_lock)
    other = {
        "accept": lambda: services.accept(app.pk, world.window_clerk),
        "refuse": lambda: services.refuse(app.pk, world.window_clerk, "不符合条件"),
        "request_correction": lambda: services.request_correction(
            app.pk, world.window_clerk, [{"spec": world.specs()[0].pk}]),
    }[second]
    results = _race(lambda: services.accept(app.pk, world.people["clerk"]), other)
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(lost) == 1 and isinstance(lost[0], TransitionRefused), results
    app.refresh_from_db()
    accepted = isinstance(results[0], Case) or (second == "accept" and isinstance(results[1], Case))
    assert Case.objects.count() == (1 if accepted else 0)
    assert app.status == (OnlineApplication.Status.ACCEPTED if accepted else
                          {"refuse": "refused", "request_correction": "correcting"}[second])
    told = Notification.objects.filter(template__in=["case_accepted", "case_refused", "correction_requested"])
    assert told.count() == 1
