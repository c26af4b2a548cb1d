"""The case list's JSON renderer writes exactly what DRF's renderer writes, whatever the data."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict

from shenpi.api.renderers import JSONRenderer

PLAIN = {
    "next": "http://testserver/api/v1/cases/?cursor=cD05OTk%3D&state=in_progress",
    "previous": None,
    "results": [{"number": "20260924ABCDEFGH", "state_label": "办理中", "title": "引号\"、反斜杠\\、换行\n、制表\t\x01",
                 "row_version": 3, "overdue": False, "due_provisional": True, "emoji": "😀", "big": 2**63 - 1}],
}


@pytest.mark.parametrize("data", [
    PLAIN,
    {"received_at": dt.datetime(2026, 9, 24, 10, 0, 0, 123456, tzinfo=dt.UTC), "day": dt.date(2026, 9, 24)},
    {"amount": Decimal("12.50"), "label": gettext_lazy("办理中")},
    {"fields": {"state": [ErrorDetail("“lost”不是合法选项。", code="invalid_choice")]}},
    ReturnDict({"a": 1}, serializer=None),
    {"separators": "line\u2028paragraph\u2029"},
    {"huge": 2**70, 1: "non-string key"},
    [],
    "text",
])
def test_same_bytes_as_drf(data):
    assert JSONRenderer().render(data) == DRFJSONRenderer().render(data)


def test_indented_output_for_people_is_drfs():
    media_type = "application/json; indent=2"
    assert JSONRenderer().render(PLAIN, media_type) == DRFJSONRenderer().render(PLAIN, media_type)


def test_nothing_renders_as_nothing():
    assert JSONRenderer().render(None) == b""


def test_a_list_page_is_encoded_by_orjson_and_anything_else_by_drf(monkeypatch):
    # The point of the renderer: the page of the case list must not fall back to the slow encoder.
    fallbacks = []
    monkeypatch.setattr(DRFJSONRenderer, "render", lambda self, data, *a, **k: fallbacks.append(data) or b"")
    JSONRenderer().render(PLAIN)
    assert fallbacks == []
    JSONRenderer().render({"day": dt.date(2026, 9, 24)})
    assert len(fallbacks) == 1
