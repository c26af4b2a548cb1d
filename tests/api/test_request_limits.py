"""A hostile body is refused precisely: too large is 413 before it is read, nested too deep is 400,
and nothing is saved; neither is ever a 500."""

import pytest
from django.core.exceptions import RequestDataTooBig

from shenpi.cases.models import Case

from .conftest import CASES, application, token_client

pytestmark = pytest.mark.django_db


def _post(client, body: str | bytes, **extra):
    return client.generic("POST", CASES, body, content_type="application/json", **extra)


def test_a_json_body_nested_100000_deep_is_400(org):
    client = token_client(org.people["clerk"])
    for body in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
        response = _post(client, body)
        assert response.status_code == 400
        assert response.json() == {"code": "parse_error", "detail": "JSON 嵌套层数过多，无法解析。"}
    assert Case.objects.count() == 0


def test_a_body_over_the_limit_is_413_and_one_within_it_is_read(org, settings):
    client = token_client(org.people["clerk"])
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440  # the default: 2.5 MB
    padding = " " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = _post(client, '{"title": "x"}' + padding)
    assert response.status_code == 413
    assert response.json() == {"code": "too_large", "detail": "请求体过大：不能超过 2621440 字节（约 2.5 MB）。"}
    # The limit is a setting: the same body is read (and judged on its content) when it fits.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024
    response = _post(client, '{"title": "x"}' + padding)
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert Case.objects.count() == 0


def test_a_valid_application_still_goes_through_the_parser(org):
    import json

    response = _post(token_client(org.people["clerk"]), json.dumps(application(org.item)))
    assert response.status_code == 201


def test_django_s_own_limit_met_elsewhere_is_413_too(org, monkeypatch):
    from shenpi.api import parsers

    def too_big(*args, **kwargs):
        raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")

    monkeypatch.setattr(parsers.parsers.JSONParser, "parse", too_big)
    response = _post(token_client(org.people["clerk"]), "{}")
    assert response.status_code == 413 and response.json()["code"] == "too_large"


def test_a_bad_content_length_is_400(org):
    response = _post(token_client(org.people["clerk"]), "{}", CONTENT_LENGTH="many")
    assert response.status_code == 400


def test_a_nul_character_anywhere_in_the_body_is_400(org):
    """Valid JSON, but PostgreSQL can neither store nor compare text with NUL (it was a 500 there)."""
    import json

    client = token_client(org.people["clerk"])
    for body in (dict(application(org.item), item="ITEM\x00"), dict(application(org.item), **{"k\x00": 1})):
        response = _post(client, json.dumps(body))
        assert response.status_code == 400
        assert response.json() == {"code": "parse_error", "detail": "请求数据中不能含有空字符（\\u0000）。"}
    assert Case.objects.count() == 0


def test_a_nul_character_in_a_case_number_or_item_code_is_404(org):
    client = token_client(org.people["clerk"])
    assert client.get(CASES + "SP%00/").status_code == 404
    assert client.post(CASES + "SP%00/actions/", {"action": "accept"}, format="json").status_code == 404
    assert client.get("/api/v1/items/X%00/").status_code == 404
