"""网上缴费 in a real browser: 我的办件 → the pay page → the sandbox gateway's page → 确认支付 → back,
paid, the notification having come over HTTP to the live server."""

import os
import re

import pytest
from playwright.sync_api import expect

from shenpi.fees.models import Charge, Payment
from tests.applicants.helpers import PASSWORD, real_named, verified
from tests.browser import fresh_page, shot

from .factory import case_with_charge, setting

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_applicant_pays_a_charge_online_through_the_gateway(live_server, gateway, settings):
    settings.PAYMENT_NOTIFY_BASE = live_server.url
    dept, people, item = setting()
    applicant = real_named(verified())
    case, charge = case_with_charge(people["clerk"], item, name=applicant.name, id_number=applicant.id_number)
    base = live_server.url

    # The gateway's pages have no favicon: the browser's request for it is answered 404 by the sandbox server.
    with fresh_page(re.compile(r"status of (400|403|404|409) ")) as page:
        page.goto(f"{base}/account/login/")
        page.fill("input[name=identifier]", applicant.id_number)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/account/$"))
        page.click("text=网上缴费")
        expect(page.locator("#payment-code")).to_have_text(charge.number)
        page.click("#start-pay")
        expect(page.locator("#order img")).to_be_visible()
        shot(page, "pay-order")
        page.click("#go-pay")
        expect(page.locator("body")).to_contain_text("¥80.00")
        page.click("text=确认支付")
        page.wait_for_url(re.compile(r"/pay/done/\?order_no="))
        expect(page.locator("#paid")).to_contain_text("缴费成功")
        shot(page, "pay-done")

    payment = Payment.objects.get(charge=charge)
    assert payment.channel == Payment.Channel.ONLINE and payment.gateway_transaction
    assert Charge.objects.get(pk=charge.pk).status == Charge.Status.PAID
    assert [n["answer"] for n in gateway.notifications] == ["SUCCESS"]
