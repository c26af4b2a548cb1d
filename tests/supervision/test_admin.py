"""Administrators edit a rule's thresholds and switch in the admin; the trail stays read-only."""

import json

import pytest
from django.urls import reverse

from shenpi.supervision.models import Alert, Rule
from tests.factories import login_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("rootadmin", "root@example.gov.cn", "Shenpi-test-2026")
    login_staff(client, user)
    return client


def _post(client, rule, params, enabled=True):
    url = reverse("admin:supervision_rule_change", args=[rule.pk])
    data = {"name": rule.name, "level": rule.level, "basis": rule.basis, "params": json.dumps(params)}
    if enabled:
        data["enabled"] = "on"
    return client.post(url, data)


def test_thresholds_are_edited_in_the_admin(admin_client):
    rule = Rule.objects.get(code="time.case")
    response = _post(admin_client, rule, {**rule.params, "red_overdue_days": 5}, enabled=False)
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.params["red_overdue_days"] == 5 and not rule.enabled


def test_a_bad_threshold_is_refused_and_nothing_changes(admin_client):
    rule = Rule.objects.get(code="time.case")
    before = dict(rule.params)
    response = _post(admin_client, rule, {"warn_share_left": 2})
    assert response.status_code == 200
    assert "应在0到1之间" in response.content.decode()
    rule.refresh_from_db()
    assert rule.params == before


def test_rules_cannot_be_added_or_deleted_and_alerts_are_read_only(admin_client):
    assert admin_client.get(reverse("admin:supervision_rule_add")).status_code == 403
    assert admin_client.get(reverse("admin:supervision_alert_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:supervision_alert_add")).status_code == 403
    assert Alert.objects.count() == 0
