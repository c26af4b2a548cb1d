"""The centre administrator's pages of webhook subscriptions and their logs."""

import pytest
from django.urls import reverse

from shenpi import clock
from shenpi.accounts.models import User
from shenpi.exchange.models import Delivery, Destination
from tests import factories as f
from tests.exchange import test_webhooks as hooks
from tests.exchange.test_webhooks import accept, client_of

pytestmark = pytest.mark.django_db

world = hooks.world  # the fixture: two departments with their staff and items


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_administrator_sees_subscriptions_without_secrets_and_resends_failed_deliveries(world, client):
    api = client_of(world.zjj_people["clerk"])
    created = api.post("/api/v1/webhooks/", {"name": "住建局审批系统", "url": "http://127.0.0.1:9/events"},
                       format="json").json()
    Destination.objects.create(code="province", name="省电子监察平台", kind=Destination.Kind.UPSTREAM,
                               url="http://127.0.0.1:9/p", secret="x", created_at=clock.now())
    case = accept(world, world.permit)
    Delivery.objects.filter(destination__kind="webhook").update(status=Delivery.Status.FAILED, last_error="HTTP 503")
    root = User.objects.create_superuser(username="root", password="Shenpi-test-2026")
    f.login_staff(client, root)
    listing = client.get(reverse("admin:exchange_subscription_changelist")).content.decode()
    assert "住建局审批系统" in listing and "省电子监察平台" not in listing and created["secret"] not in listing
    subscription = Destination.objects.get(code=created["id"])
    page = client.get(reverse("admin:exchange_subscription_change", args=[subscription.pk])).content.decode()
    assert created["secret"] not in page and "whsec_" not in page
    log = client.get(reverse("admin:exchange_subscriptiondelivery_changelist"),
                     {"destination__id__exact": subscription.pk}).content.decode()
    assert case.number in log and "HTTP 503" in log
    failed = Delivery.objects.get(destination=subscription)
    client.post(reverse("admin:exchange_subscriptiondelivery_changelist"),
                {"action": "resend", "_selected_action": [failed.pk]})
    assert Delivery.objects.get(pk=failed.pk).status == Delivery.Status.PENDING
    assert Delivery.objects.filter(destination__kind="upstream").get().status == Delivery.Status.PENDING
