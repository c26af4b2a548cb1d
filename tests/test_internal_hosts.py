"""With SHENPI_INTERNAL_HOSTS, the staff side is served on the intranet host only: 404 on the public site."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories as f

pytestmark = pytest.mark.django_db
PUBLIC, INTERNAL = "zwfw.example.gov.cn", "shenpi.intranet"
STAFF_SIDE = ["/workbench/", "/supervision/", "/performance/", "/admin/", "/admin/login/", "/login/",
              "/api/docs/", "/api/schema/", "/api/v1/items/"]


@pytest.fixture
def split(settings):
    settings.ALLOWED_HOSTS = [PUBLIC, INTERNAL, "10.20.0.5"]
    settings.INTERNAL_HOSTS = [INTERNAL, "10.20.0.5"]


@pytest.mark.parametrize("path", STAFF_SIDE)
def test_the_staff_side_does_not_exist_on_the_public_host(split, path):
    assert Client(HTTP_HOST=PUBLIC).get(path).status_code == 404


def test_not_even_for_a_signed_in_administrator(split):
    people = f.staff(f.department())
    client = Client(HTTP_HOST=PUBLIC)
    client.force_login(people["admin"])
    assert client.get("/workbench/").status_code == 404
    assert client.get("/api/schema/").status_code == 404


@pytest.mark.parametrize("host", [INTERNAL, "10.20.0.5", "10.20.0.5:8443"])
def test_the_staff_side_is_served_on_internal_hosts(split, host):
    client = Client(HTTP_HOST=host)
    assert client.get("/login/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/workbench/").status_code == 302  # to the sign-in


@pytest.mark.parametrize("path", ["/", "/account/login/", "/query/"])
def test_the_public_site_stays_on_both(split, path):
    assert Client(HTTP_HOST=PUBLIC).get(path).status_code == 200
    assert Client(HTTP_HOST=INTERNAL).get(path).status_code == 200


def test_by_default_everything_is_served_everywhere(settings):
    assert settings.INTERNAL_HOSTS == []
    assert Client().get("/api/docs/").status_code == 200
    assert Client().get("/login/").status_code == 200
