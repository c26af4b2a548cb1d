"""Online payment over real HTTP: the order, the gateway's signed notification (once, twice, never),
the periodic query for lost notifications, and the applicant's pages."""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest
import requests
from django.urls import reverse

from shenpi import clock
from shenpi.fees import tasks
from shenpi.fees.models import Charge, GatewayOrder, Payment
from tests.applicants.helpers import client_for, person_id, real_named, verified

from .conftest import control
from .factory import case_with_charge, setting


@pytest.fixture
def paying(gateway, live_server, settings):
    """An applicant with a case of theirs that has an unpaid charge; the gateway reaches the live server."""
    settings.PAYMENT_NOTIFY_BASE = live_server.url
    dept, people, item = setting()
    applicant = real_named(verified())
    case, charge = case_with_charge(people["clerk"], item, name=applicant.name, id_number=applicant.id_number)
    return {"applicant": applicant, "case": case, "charge": charge, "client": client_for(applicant),
            "gateway": gateway, "people": people}


def _pay_link(client) -> str:
    page = client.get(reverse("applicants:home")).content.decode()
    found = re.search(r'href="(/pay/[^"/]+/)"', page)
    assert found, "我的办件 offers 网上缴费"
    return found.group(1)


def _start(paying) -> GatewayOrder:
    client = paying["client"]
    link = _pay_link(client)
    page = client.get(link)
    assert "在线支付 ¥80.00" in page.content.decode()
    answer = client.post(link)
    assert answer.status_code == 200
    html = answer.content.decode()
    order = GatewayOrder.objects.get(charge=paying["charge"])
    assert order.pay_url in html and "data:image/svg+xml;base64," in html  # the link and its QR code
    return order


def _confirm(order: GatewayOrder) -> requests.Response:
    """The applicant clicks 确认支付 on the gateway's page; it sends them back to the return URL."""
    page = requests.get(order.pay_url, timeout=10)
    assert "确认支付" in page.text and "80.00" in page.text
    return requests.post(order.pay_url, timeout=30, allow_redirects=False)


def _wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_paying_online_records_the_notified_payment_once(paying):
    order = _start(paying)
    answer = _confirm(order)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/pay/done/?order_no={order.order_no}")
    payment = Payment.objects.get(charge=paying["charge"])
    assert payment.channel == Payment.Channel.ONLINE and str(payment.amount) == "80.00"
    assert payment.gateway_order == order.order_no and payment.gateway_transaction.startswith("SBXT")
    order.refresh_from_db()
    assert order.status == GatewayOrder.Status.PAID and order.notifications == 1
    paying["charge"].refresh_from_db()
    assert paying["charge"].status == Charge.Status.PAID
    assert [n["answer"] for n in paying["gateway"].notifications] == ["SUCCESS"]
    done = paying["client"].get(f"/pay/done/?order_no={order.order_no}")
    text = done.content.decode()
    assert "缴费成功" in text and payment.gateway_transaction in text
    # Paid: 我的办件 no longer offers to pay.
    assert "/pay/" not in paying["client"].get(reverse("applicants:home")).content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_duplicated_notification_ends_with_exactly_one_payment(paying):
    control(paying["gateway"], "duplicate")
    order = _start(paying)
    _confirm(order)
    assert [n["answer"] for n in paying["gateway"].notifications] == ["SUCCESS", "SUCCESS"]
    assert Payment.objects.filter(charge=paying["charge"]).count() == 1
    order.refresh_from_db()
    assert order.notifications == 2 and order.status == GatewayOrder.Status.PAID


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_lost_notification_is_found_by_the_periodic_query_and_paid_once(paying):
    control(paying["gateway"], "drop")
    order = _start(paying)
    _confirm(order)
    assert paying["gateway"].notifications == []
    assert not Payment.objects.filter(charge=paying["charge"]).exists()
    # Not yet waiting long enough: the periodic job leaves it alone.
    assert tasks.query_waiting_orders() == {"queried": 0, "paid": 0}
    with clock.frozen(clock.now() + dt.timedelta(minutes=6)):
        assert tasks.query_waiting_orders() == {"queried": 1, "paid": 1}
        assert tasks.query_waiting_orders() == {"queried": 0, "paid": 0}
    payment = Payment.objects.get(charge=paying["charge"])
    order.refresh_from_db()
    assert order.status == GatewayOrder.Status.PAID and order.notifications == 0
    assert payment.gateway_transaction == paying["gateway"].orders[order.order_no]["transaction"]
    # A late notification after the query (the gateway's retry) records nothing more.
    assert paying["gateway"].notify(paying["gateway"].orders[order.order_no], attempt=2)
    assert Payment.objects.filter(charge=paying["charge"]).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_notification_is_retried_until_answered(paying, settings):
    order = _start(paying)
    # The first call goes astray (answered 404, not SUCCESS): the gateway tries again later.
    real_notify = paying["gateway"].notify
    calls = []

    def flaky(order_data, attempt):
        calls.append(attempt)
        if attempt == 1:
            order_data = {**order_data, "notify_url": order_data["notify_url"] + "nowhere/"}
        return real_notify(order_data, attempt)

    def statuses():
        return [n["status"] for n in paying["gateway"].notifications]

    paying["gateway"].notify = flaky
    try:
        _confirm(order)
        # The payment is recorded before the sandbox has read our answer: wait for both.
        assert _wait_for(lambda: Payment.objects.filter(charge=paying["charge"]).exists()
                         and statuses()[-1:] == [200])
    finally:
        paying["gateway"].notify = real_notify
    assert statuses()[0] == 404 and statuses()[-1] == 200
    assert Payment.objects.filter(charge=paying["charge"]).count() == 1


@pytest.mark.django_db
def test_a_notification_not_signed_by_the_gateway_is_refused(client, gateway):
    dept, people, item = setting()
    case, charge = case_with_charge(people["clerk"], item)
    order = GatewayOrder.objects.create(charge=charge, order_no="SP2026TEST0001", amount=charge.total,
                                        created_at=clock.now(), pay_url="http://x/")
    body = json.dumps({"order_no": order.order_no, "status": "paid", "transaction": "T1", "amount": "80.00",
                       "paid_at": "2026-12-06T10:00:00+08:00"}).encode()
    forged = {"HTTP_X_MERCHANT_ID": "SHENPI-SANDBOX", "HTTP_X_TIMESTAMP": str(int(time.time())),
              "HTTP_X_SIGNATURE": "00" * 32}
    answer = client.post(reverse("pay:notify"), body, content_type="application/json", **forged)
    assert answer.status_code == 400 and answer.content == b"FAIL"
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_only_the_account_the_link_was_made_for_opens_the_pay_page(gateway):
    dept, people, item = setting()
    owner = real_named(verified())
    case, charge = case_with_charge(people["clerk"], item, name=owner.name, id_number=owner.id_number)
    link = _pay_link(client_for(owner))
    other = verified(mobile="13700001111", id_number=person_id("11010519850615123"), name="王二")
    assert client_for(other).get(link).status_code == 404
    assert client_for(owner).get(link).status_code == 200
    assert client_for(owner).get("/pay/not-a-token/").status_code == 404
