"""邮寄送达 over real HTTP: the courier's sandbox issues the waybill, walks the parcel and pushes signed
tracking events to the live server; 签收 completes the case exactly once, however often it is told."""

from __future__ import annotations

import json
import time

import pytest
import requests
from django.db import connection

from shenpi.cases import services
from shenpi.cases.models import Case, CaseEvent, State
from shenpi.delivery import courier
from shenpi.delivery import services as delivery
from shenpi.delivery.models import Delivery
from shenpi.errors import TransitionRefused

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE, ADDRESS = "13900001111", "示范省示范市中山路88号3单元501室"


@pytest.fixture
def live(live_server, settings, courier_sandbox):
    settings.PUBLIC_BASE_URL = live_server.url
    return courier_sandbox


def control(sandboxes, what: str, **payload) -> dict:
    answer = requests.post(f"{sandboxes.url('courier')}/v1/_test/{what}", json=payload, timeout=10)
    answer.raise_for_status()
    return answer.json()


def posted(decided) -> tuple[Case, dict, Delivery]:
    case, people = decided
    parcel = delivery.post(case, actor=people["clerk"], receiver_name="张三", phone=PHONE, address=ADDRESS)
    return case, people, parcel


def test_a_posted_result_is_tracked_and_completes_the_case_once_signed_for(live, sandboxes, decided):
    case, people, parcel = posted(decided)
    assert courier.valid_waybill(parcel.waybill) and parcel.status == "dispatched" and parcel.courier == "EMS"
    with connection.cursor() as cursor:
        cursor.execute("SELECT address, receiver_phone FROM delivery_delivery WHERE id = %s", [parcel.pk])
        stored = " ".join(cursor.fetchone())
    assert ADDRESS not in stored and PHONE not in stored  # encrypted at rest
    assert live.parcels[parcel.waybill]["receiver"] == {"name": "张三", "phone": PHONE, "address": ADDRESS}
    assert Case.objects.get(pk=case.pk).state == State.DECIDED  # posting is not delivering
    with pytest.raises(TransitionRefused, match="尚未签收"):
        services.perform(case.pk, "complete", actor=people["clerk"], params={"delivery": "邮寄送达"})
    with pytest.raises(TransitionRefused, match="尚未签收"):
        services.perform(case.pk, "complete", actor=people["clerk"])  # nor collected at the window meanwhile

    control(sandboxes, "advance", waybill_no=parcel.waybill, to="next")
    parcel.refresh_from_db()
    assert [e["code"] for e in parcel.tracking] == ["collected"] and parcel.status == "dispatched"

    control(sandboxes, "advance", waybill_no=parcel.waybill, to="signed")
    parcel.refresh_from_db()
    assert [e["code"] for e in parcel.tracking] == ["collected", "in_transit", "out_for_delivery", "signed"]
    assert parcel.status == "delivered" and parcel.delivered_at is not None
    case = Case.objects.get(pk=case.pk)
    assert case.state == State.COMPLETED
    event = CaseEvent.objects.get(case=case, action="complete")
    assert event.actor_id == people["clerk"].pk and event.data["delivery"]["waybill"] == parcel.waybill

    for _ in range(2):  # the courier lost our answers and pushes everything again
        assert control(sandboxes, "repush", waybill_no=parcel.waybill)["pushed"]
    delivery.track_in_transit()
    assert CaseEvent.objects.filter(case=case, action="complete").count() == 1
    assert Delivery.objects.filter(case=case).count() == 1
    parcel.refresh_from_db()
    assert len(parcel.tracking) == 4


def test_a_lost_push_is_caught_by_the_periodic_query(live, sandboxes, decided):
    case, _, parcel = posted(decided)
    control(sandboxes, "advance", waybill_no=parcel.waybill, to="signed", push=False)
    assert Case.objects.get(pk=case.pk).state == State.DECIDED
    from django.conf import settings

    from shenpi.delivery import tasks

    assert settings.CELERY_BEAT_SCHEDULE["track-parcels"]["task"] == tasks.track_parcels.name
    assert tasks.track_parcels.apply().get() == {"queried": 1, "delivered": 1, "returned": 0, "failed": 0}
    assert Case.objects.get(pk=case.pk).state == State.COMPLETED


def test_parcels_walk_by_time_when_the_courier_says_so(live, sandboxes, decided):
    control(sandboxes, "config", stage_seconds=0.05)
    case, _, parcel = posted(decided)
    time.sleep(0.3)
    delivery.track_in_transit()
    assert Case.objects.get(pk=case.pk).state == State.COMPLETED


def test_a_returned_parcel_leaves_the_case_open(live, sandboxes, decided):
    case, people, parcel = posted(decided)
    control(sandboxes, "advance", waybill_no=parcel.waybill, to="returned")
    parcel.refresh_from_db()
    assert parcel.status == "returned" and "拒收" in parcel.note
    assert Case.objects.get(pk=case.pk).state == State.DECIDED
    # Posted again, or collected at the window instead.
    services.perform(case.pk, "complete", actor=people["clerk"])
    assert Case.objects.get(pk=case.pk).state == State.COMPLETED


def test_a_push_not_signed_by_the_courier_is_refused(live, live_server, sandboxes, decided):
    case, _, parcel = posted(decided)
    body = json.dumps({"waybill_no": parcel.waybill, "events": [
        {"id": "X1", "code": "signed", "description": "伪造", "location": "", "at": "2026-12-01T10:00:00+08:00"}]})
    forged = courier.signed_headers("shenpi-sandbox", "not-the-secret", body.encode())
    answer = requests.post(f"{live_server.url}/courier/events/", data=body.encode(), headers=forged, timeout=10)
    assert answer.status_code == 401
    assert Case.objects.get(pk=case.pk).state == State.DECIDED


def test_the_courier_down_records_nothing(live, sandboxes, decided):
    case, people = decided
    requests.post(f"{sandboxes.base_url}/_control/courier", json={"mode": "fail"}, timeout=5).raise_for_status()
    with pytest.raises(delivery.CourierUnavailable):
        delivery.post(case, actor=people["clerk"], receiver_name="张三", phone=PHONE, address=ADDRESS)
    assert not Delivery.objects.filter(case=case).exists()


def test_the_clerk_posts_from_the_case_page(live, client, decided):
    from tests import factories as f

    case, people = decided
    f.login_staff(client, people["clerk"])
    answer = client.post(f"/workbench/delivery/{case.number}/post/",
                         {"receiver_name": "张三", "phone": PHONE, "address": ADDRESS})
    assert answer.status_code == 302
    parcel = Delivery.objects.get(case=case)
    page = client.get(f"/workbench/cases/{case.number}/").content.decode()
    assert parcel.waybill in page and "邮件在途" in page and ADDRESS not in page


def test_the_courier_retries_a_push_we_do_not_take_then_keeps_it(live, sandboxes):
    control(sandboxes, "config", push_retry_seconds=0.05)
    receiver = {"name": "张三", "phone": PHONE, "address": ADDRESS}
    waybill = courier.courier().create_waybill("NOT-OURS-1", receiver, {"name": "中心"}, delivery.callback_url())
    assert courier.courier().create_waybill("NOT-OURS-1", receiver, {"name": "中心"}, "") == waybill  # same order
    assert not control(sandboxes, "advance", waybill_no=waybill, to="next")["pushed"]
    assert [p["status"] for p in live.pushes] == [404, 404, 404]  # no such parcel here: tried three times
    assert live.undelivered[0]["waybill_no"] == waybill
