"""The demo's online payments go through the notification's path; a day is closed and a week reconciled
with exactly one planted difference; a second run changes nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from types import SimpleNamespace

import pytest

from shenpi import clock
from shenpi.demo import fees_online
from shenpi.demo.catalogue import CODE_PREFIX
from shenpi.fees.models import Charge, DailyClosing, Difference, GatewayOrder, Payment, Reconciliation
from tests import factories

from .factory import charge

pytestmark = pytest.mark.django_db


def test_the_demo_pays_online_closes_a_day_and_reconciles_a_week():
    dept = factories.department(name="示范市自然资源和规划局", code=CODE_PREFIX + "ZRZY")
    people = factories.staff(dept)
    item = factories.item(dept, name="不动产登记")
    end = clock.now()
    charges = []
    for days in range(30, 2, -1):
        with clock.frozen(end - dt.timedelta(days=days)):
            case = factories.receive(people["clerk"], item)
            charges.append(charge(case))
    result = SimpleNamespace(created=Counter())
    fees_online.play(end, 3, result)

    online = Payment.objects.filter(channel=Payment.Channel.ONLINE)
    assert result.created["online_payments"] == online.count() > 5
    assert all(p.gateway_transaction and p.paid_at < end for p in online)
    assert GatewayOrder.objects.filter(status=GatewayOrder.Status.PAID).count() == online.count()
    assert Charge.objects.filter(status=Charge.Status.PAID).count() == online.count()
    closed = DailyClosing.objects.get()
    assert closed.window is None and closed.payments_count >= 1 and closed.totals.keys() == {"online"}
    week = Reconciliation.objects.get()
    assert week.first_day.weekday() == 0 and (week.last_day - week.first_day).days == 6
    assert [d.kind for d in week.differences.all()] == [Difference.Kind.PAID_NOT_RECORDED]
    assert week.gateway_count == week.recorded_count + 1

    fees_online.play(end, 3, result)
    assert Payment.objects.count() == online.count() and Reconciliation.objects.count() == 1
