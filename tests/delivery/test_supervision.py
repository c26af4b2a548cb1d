"""The supervision rule time.parcel: a posted result not signed for within N working days, or returned."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.delivery import courier
from shenpi.delivery import services as delivery
from shenpi.delivery.models import Delivery
from shenpi.supervision.models import Alert, Level, Rule
from shenpi.supervision.scan import scan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_rules_with_a_query():
    """The fee rules are still placeholders on this branch (their query comes with the fees app's work)."""
    Rule.objects.filter(code__startswith="fee.").update(enabled=False)


def at(y, m, d, hh=10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh))


def found() -> set[tuple[int, str]]:
    return set(Alert.objects.filter(rule__code="time.parcel", status=Alert.Status.OPEN).values_list("level", "subject"))


def event(code: str, moment: dt.datetime, n: int) -> courier.TrackingEvent:
    return courier.TrackingEvent(f"T{n}", code, courier.CODES[code], "示范市", moment)


def test_a_parcel_unsigned_past_five_working_days_then_returned(decided):
    case, people = decided
    clock.set_now(at(2026, 11, 2))  # a Monday
    parcel = delivery.record_dispatch(case, actor=people["clerk"], waybill="EA100000011CN", receiver_name="张三",
                                      phone="13900001111", address="示范市中山路88号")
    subject = f"parcel:{parcel.pk}"
    clock.set_now(at(2026, 11, 9))  # 5 working days after: still within the limit
    scan(full=True)
    assert found() == set()
    clock.set_now(at(2026, 11, 10))
    scan()
    assert found() == {(Level.YELLOW, subject)}
    alert = Alert.objects.get(rule__code="time.parcel")
    assert alert.case_id == case.pk and alert.figures["waybill"] == "EA100000011CN"

    delivery.receive_tracking(parcel.waybill, [event("collected", at(2026, 11, 2, 15), 1),
                                               event("returned", at(2026, 11, 10, 9), 2)])
    assert Delivery.objects.get(pk=parcel.pk).status == "returned"
    scan()
    assert found() == {(Level.RED, subject)}

    services_complete = delivery.deliver_at_window(case.pk, actor=people["clerk"])  # collected at the window
    assert services_complete.state == "completed"
    scan()
    assert found() == set()


def test_a_parcel_signed_in_time_raises_nothing(decided):
    case, people = decided
    clock.set_now(at(2026, 11, 2))
    parcel = delivery.record_dispatch(case, actor=people["clerk"], waybill="EA100000025CN", receiver_name="张三",
                                      phone="13900001111", address="示范市中山路88号")
    delivery.receive_tracking(parcel.waybill, [event("signed", at(2026, 11, 4), 1)])
    clock.set_now(at(2026, 11, 20))
    scan(full=True)
    assert found() == set()
