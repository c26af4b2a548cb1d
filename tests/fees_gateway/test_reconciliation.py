"""周对账 against the sandbox gateway's statement over HTTP: each kind of difference found, resolved."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import requests
from django.urls import reverse
from openpyxl import load_workbook

from shenpi import clock
from shenpi.errors import InvalidInput, TransitionRefused
from shenpi.fees import online, reconciliation
from shenpi.fees.models import Difference, Payment, Reconciliation
from shenpi.fees.payments import record_payment
from tests import factories

from .conftest import control
from .factory import case_with_charge, setting

pytestmark = pytest.mark.django_db
NOWHERE = "http://127.0.0.1:9/pay/notify/"  # notifications are dropped: payments come in by the query


def _paid_online(people, item, gateway):
    """A charge paid at the sandbox, its notification lost, recorded through the periodic query."""
    case, charge = case_with_charge(people["clerk"], item)
    control(gateway, "drop")
    order = online.start(charge, notify_url=NOWHERE, return_url="http://127.0.0.1:9/pay/done/")
    requests.post(order.pay_url, timeout=10, allow_redirects=False)
    online.refresh(order)
    return Payment.objects.get(charge=charge)


def test_reconciliation_lists_each_kind_of_difference(gateway):
    dept, people, item = setting()
    first, second, third = (_paid_online(people, item, gateway) for _ in range(3))
    # Planted: the statement shows another amount for one, a payment unknown to us, one recorded here only.
    control(gateway, "amount", order_no=second.gateway_order, amount="8.00")
    unknown = control(gateway, "unknown", amount="35.00", payment_code="370200000000099")
    case, charge = case_with_charge(people["clerk"], item)
    local_only, _ = record_payment(charge, channel=Payment.Channel.ONLINE, amount=Decimal("80.00"),
                                   gateway_order="SPLOCAL0001", gateway_transaction="LOCAL-ONLY-1")

    done = reconciliation.reconcile(clock.today(), clock.today(), actor=people["admin"])
    assert (done.gateway_count, done.gateway_amount) == (4, Decimal("203.00"))
    assert (done.recorded_count, done.recorded_amount) == (4, Decimal("320.00"))
    found = {(d.kind, d.order_no): d for d in done.differences.all()}
    assert set(found) == {(Difference.Kind.AMOUNT_DIFFERS, second.gateway_order),
                          (Difference.Kind.PAID_NOT_RECORDED, unknown["order_no"]),
                          (Difference.Kind.RECORDED_NOT_PAID, "SPLOCAL0001")}
    differs = found[(Difference.Kind.AMOUNT_DIFFERS, second.gateway_order)]
    assert (differs.gateway_amount, differs.recorded_amount) == (Decimal("8.00"), Decimal("80.00"))
    assert found[(Difference.Kind.PAID_NOT_RECORDED, unknown["order_no"])].transaction == unknown["transaction"]
    assert done.statement.read().decode().count("\n") == 5 and len(done.statement_digest) == 64
    assert first.gateway_order not in {d.order_no for d in found.values()}
    assert third.gateway_order not in {d.order_no for d in found.values()}

    with pytest.raises(InvalidInput):
        reconciliation.resolve(differs, "  ", actor=people["admin"])
    reconciliation.resolve(differs, "支付平台更正对账单金额", actor=people["admin"])
    differs.refresh_from_db()
    assert differs.resolved_at is not None and differs.resolution.startswith("支付平台更正对账单金额")
    with pytest.raises(TransitionRefused):
        reconciliation.resolve(differs, "再次处理", actor=people["admin"])
    assert local_only.pk


def test_a_matching_week_has_no_difference_and_an_uploaded_statement_is_read(gateway, client):
    dept, people, item = setting()
    payment = _paid_online(people, item, gateway)
    today = clock.today()
    statement = requests.get(f"{gateway.base}/v1/statements", timeout=5)  # unsigned: refused
    assert statement.status_code == 401
    content = online.gateway_module.gateway().statement(today, today)
    admin = factories.login_staff(client, people["admin"])
    answer = admin.post(reverse("fees:reconciliations"), {
        "first_day": today.isoformat(), "last_day": today.isoformat(), "statement": _upload(content)})
    assert answer.status_code == 302
    done = Reconciliation.objects.get()
    assert done.differences.count() == 0 and done.recorded_count == 1 and done.gateway_amount == payment.amount
    page = admin.get(reverse("fees:reconciliation", args=[done.pk])).content.decode()
    assert "账实相符" in page
    sheet = load_workbook(io.BytesIO(admin.get(reverse("fees:reconciliation_export", args=[done.pk])).content)).active
    assert sheet["A1"].value == "网上缴费对账差异表"
    # A malformed file is refused with its reason; a clerk may not reconcile.
    bad = admin.post(reverse("fees:reconciliations"), {"first_day": today.isoformat(), "last_day": today.isoformat(),
                                                        "statement": _upload(b"a,b\n1,2\n")})
    assert bad.status_code == 400 and "对账单" in bad.content.decode()
    clerk = factories.login_staff(client.__class__(), people["clerk"])
    assert clerk.get(reverse("fees:reconciliations")).status_code == 403


def test_differences_are_resolved_on_the_page(gateway, client):
    dept, people, item = setting()
    _paid_online(people, item, gateway)
    control(gateway, "unknown", amount="12.00")
    done = reconciliation.reconcile(clock.today(), clock.today())
    difference = done.differences.get()
    admin = factories.login_staff(client, people["admin"])
    assert admin.post(reverse("fees:resolve_difference", args=[difference.pk]), {"note": "经核实为其他单位款项，已退回"}
                      ).status_code == 302
    difference.refresh_from_db()
    assert difference.resolved_at is not None
    lead = factories.login_staff(client.__class__(), people["approver"])
    assert lead.get(reverse("fees:reconciliation", args=[done.pk])).status_code == 200
    assert lead.post(reverse("fees:resolve_difference", args=[difference.pk]), {"note": "x"}).status_code == 403


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("statement.csv", content, content_type="text/csv")
