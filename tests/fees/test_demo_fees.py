"""The demo year charges its fee-charging items: paid at the window with a bill before 办结, one refund."""

import pytest
from django.db import transaction

from shenpi.cases.models import Case, State
from shenpi.catalog.models import FeeStandard
from shenpi.demo import generator
from shenpi.fees import bills
from shenpi.fees.models import Bill, BillStock, Charge, Refund, WaiverReason
from shenpi.workdays import services as workdays
from tests.demo.conftest import _reference_data

pytestmark = [pytest.mark.django_db, pytest.mark.clocks(per_test=False)]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.test import override_settings

    path = tmp_path_factory.mktemp("var")
    with django_db_blocker.unblock(), override_settings(VAR_DIR=path, MEDIA_ROOT=path / "media"), \
            transaction.atomic():
        _reference_data()
        yield generator.generate(cases=200)
        transaction.set_rollback(True)
    workdays.forget_calendar()


def test_every_completed_granted_fee_case_was_paid_at_the_window_with_a_bill(demo):
    assert not demo.failures
    assert WaiverReason.objects.count() >= 3
    charged = Case.objects.filter(state=State.COMPLETED, decision="grant", version__fees__isnull=False).distinct()
    assert charged.exists()
    for case in charged:
        charge = Charge.objects.get(case=case, status__in=[Charge.Status.PAID, Charge.Status.REFUNDED])
        payment = charge.payments.get()
        assert payment.window_id is not None and payment.channel in ("cash", "card", "transfer")
        assert Bill.objects.filter(charge=charge, status=Bill.Status.USED).count() == 1
    # The road occupation fee is charged per square metre and day: a person enters the area.
    assert FeeStandard.objects.filter(name="城市道路占用费", kind=FeeStandard.Kind.PER_UNIT).exists()
    assert Refund.objects.filter(status=Refund.Status.PAID).count() == 1
    assert Charge.objects.filter(status=Charge.Status.REFUNDED).count() == 1
    for stock in BillStock.objects.all():
        assert bills.account(stock).accounted
