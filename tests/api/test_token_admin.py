"""API tokens in the admin: made with the key shown once, listed without it, revoked."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from shenpi.accounts.models import User
from shenpi.api import tokens
from shenpi.api.models import ApiToken
from tests.factories import login_staff

from .conftest import CASES

pytestmark = pytest.mark.django_db


def test_the_admin_makes_a_scoped_token_shows_its_key_once_and_revokes_it(org, other, client, caplog):
    root = User.objects.create_superuser(username="root", password="Shenpi-test-2026")
    login_staff(client, root)
    caplog.set_level("INFO", logger="shenpi.security")
    response = client.post(reverse("admin:api_apitoken_add"), {
        "user": org.people["handler"].pk, "name": "住建局报表", "departments": [org.dept.pk], "items": [org.item.pk],
        "days": 30}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    key = re.search(r"请立即复制保存：(shp_\S+?)<", page).group(1)
    token = ApiToken.objects.get()
    assert token.key_hash == tokens.digest(key) and token.created_by == root and not token.can_act
    assert (token.department_ids, token.item_ids) == ([org.dept.pk], [org.item.pk])
    assert any(r.getMessage().startswith("token.created success") for r in caplog.records)
    listing = client.get(reverse("admin:api_apitoken_changelist")).content.decode()
    assert token.prefix in listing and key not in listing
    # A superuser cannot be the holder.
    refused = client.post(reverse("admin:api_apitoken_add"), {"user": root.pk, "name": "x", "days": 30})
    assert refused.status_code == 200 and ApiToken.objects.count() == 1
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert reader.get(CASES).status_code == 200
    client.post(reverse("admin:api_apitoken_changelist"),
                {"action": "revoke", "_selected_action": [token.pk]})
    assert ApiToken.objects.get().revoked_at is not None
    assert any(r.getMessage().startswith("token.revoked success") for r in caplog.records)
    assert reader.get(CASES).status_code == 401
