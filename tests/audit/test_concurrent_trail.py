"""Parts of a parallel stage passed at the same moment by two departments: the trail stays one chain.

Each thread has its own connection; the effect is slowed while the case row is locked, so without
the lock both actions would read the same head and fork the chain.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.cases import lifecycle, services
from shenpi.cases.models import Case, CaseEvent
from shenpi.catalog.models import FlowStep
from tests import factories as f
from tests.concurrency import race

pytestmark = [
    pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
                       reason="SQLite serialises writers by the file lock: concurrency is tested on PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_parts_passed_at_once_are_chained_one_after_the_other(monkeypatch):
    clock.set_now(timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0)))
    lead, partner = f.department("市住房和城乡建设局"), f.department("市人民防空办公室")
    people = f.staff(lead)
    partner_handler = User.objects.create(username="audit-partner", department=partner, full_name="人防承办人")
    partner_handler.roles.set([Role.HANDLER])
    it = f.item(lead, steps=())
    for seq, name, role, department in [(1, "审查", Role.HANDLER, None), (2, "审核", Role.REVIEWER, None),
                                        (2, "人防审查", Role.HANDLER, partner), (3, "审批", Role.APPROVER, None)]:
        FlowStep.objects.create(version=it.current_version(), seq=seq, name=name, role_id=role, department=department)
    case = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    case = services.perform(case, "pass", actor=people["handler"])

    transition = lifecycle.TRANSITIONS["pass"]

    def slow(act, _inner=transition.effect):
        result = _inner(act)
        time.sleep(0.3)
        return result

    monkeypatch.setitem(lifecycle.TRANSITIONS, "pass", dataclasses.replace(transition, effect=slow))
    results = race(*[lambda actor=actor: services.perform(case.pk, "pass", actor=actor)
                     for actor in (people["reviewer"], partner_handler)])
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors
    events = list(CaseEvent.objects.filter(case=case).order_by("pk"))
    assert [e.action for e in events] == ["receive", "accept", "pass", "pass", "pass"]
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert Case.objects.get(pk=case.pk).trail_head == events[-1].hash
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert out.getvalue().strip() == "审计链完整：1 个办件，5 条记录"
