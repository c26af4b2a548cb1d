"""The demo's past deliveries: a posted result recorded as the courier's pushes would have recorded it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.cases.models import Case, CaseEvent, State
from shenpi.delivery import courier
from shenpi.delivery.models import Delivery
from shenpi.demo import delivery as demo_delivery

from .conftest import licence_for

pytestmark = pytest.mark.django_db


def test_a_past_post_delivery_walks_the_parcel_and_completes_through_the_signed_event(decided):
    case, people = decided
    clock.set_now(case.decided_at + dt.timedelta(days=3))
    demo_delivery.complete(case.pk, actor=people["clerk"], params={"delivery": "EMS邮寄送达"})
    parcel = Delivery.objects.get(case=case)
    assert parcel.method == "post" and parcel.status == "delivered" and courier.valid_waybill(parcel.waybill)
    assert [e["code"] for e in parcel.tracking] == ["collected", "in_transit", "out_for_delivery", "signed"]
    assert case.decided_at < parcel.dispatched_at < parcel.delivered_at == clock.now()
    assert Case.objects.get(pk=case.pk).state == State.COMPLETED
    event = CaseEvent.objects.get(case=case, action="complete")
    assert event.at == clock.now() and event.data["delivery"]["waybill"] == parcel.waybill
    assert timezone.localtime(parcel.dispatched_at).date() >= timezone.localtime(case.decided_at).date()


def test_an_e_licence_push_without_a_licence_is_collected_at_the_window(decided):
    case, people = decided
    demo_delivery.complete(case.pk, actor=people["clerk"], params={"delivery": "电子证照推送"})
    assert Delivery.objects.get(case=case).method == "window"


def test_an_e_licence_push_with_a_licence_is_electronic(decided):
    case, people = decided
    licence_for(case)
    demo_delivery.complete(case.pk, actor=people["clerk"], params={"delivery": "电子证照推送"})
    assert Delivery.objects.get(case=case).method == "electronic"
