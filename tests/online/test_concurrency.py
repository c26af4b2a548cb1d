"""Two clerks pre-review the same application at the same moment: one decision wins, one case at most.

The row lock is held a while after reading, so without it both would read 待预审 and both succeed.
"""

import time

import pytest
from django.conf import settings

from shenpi.cases.models import Case
from shenpi.errors import TransitionRefused
from shenpi.notifications.models import Notification
from shenpi.online import services
from shenpi.online.models import OnlineApplication
from tests.concurrency import race

from .conftest import submitted

pytestmark = [
    pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
                       reason="SQLite serialises writers by its file lock; row locks are tested on PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


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
    results = race(lambda: services.accept(app.pk, world.people["clerk"]), other)
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(lost) == 1 and isinstance(lost[0], TransitionRefused), results
    app.refresh_from_db()
    accepted = isinstance(results[0], Case) or (second == "accept" and isinstance(results[1], Case))
    assert Case.objects.count() == (1 if accepted else 0)
    assert app.status == (OnlineApplication.Status.ACCEPTED if accepted else
                          {"refuse": "refused", "request_correction": "correcting"}[second])
    told = Notification.objects.filter(template__in=["case_accepted", "case_refused", "correction_requested"])
    assert told.count() == 1
