"""The lean path of GET /api/v1/cases/ keeps DRF's policy and the filter serializer's reading.

The lean path skips DRF's authentication, permission, throttle and renderer classes and its
query-parameter serializer. It may only do so while it applies the same: these tests fail when
the view's policy and the one the lean path implements part, show that a view with another policy
is answered by DRF alone (the throttle counts, the permission refuses…), and hold the filters the
lean path parses to what the serializer validates, for valid and invalid values of every field.
"""

import datetime as dt

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.http import QueryDict
from django.urls import path
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAdminUser
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from shenpi.api import lean
from shenpi.api.authentication import TokenAuthentication
from shenpi.api.pagination import CasePagination
from shenpi.api.renderers import JSONRenderer
from shenpi.api.serializers import CaseFilterSerializer
from shenpi.api.views import CaseListView
from shenpi.cases.models import Channel, State

from .conftest import token_client


def test_the_lean_path_implements_exactly_the_list_view_s_policy():
    # A class added to the view or to REST_FRAMEWORK's defaults makes this fail: teach the lean
    # path (and lean.IMPLEMENTED) to apply it, or accept that DRF answers every list call.
    assert lean.Policy.of(CaseListView) == lean.IMPLEMENTED
    assert lean.stand_in(CaseListView) is not None


def test_the_view_s_defaults_are_rest_framework_s():
    # What the view does not set itself comes from REST_FRAMEWORK, so a change there reaches
    # Policy.of(CaseListView) and the test above.
    policy = lean.Policy.of(CaseListView)
    assert policy.authentication == tuple(api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    assert policy.permission == tuple(api_settings.DEFAULT_PERMISSION_CLASSES)
    assert policy.throttle == tuple(api_settings.DEFAULT_THROTTLE_CLASSES)


def test_every_filter_of_the_serializer_has_a_lean_parser():
    # A filter without one is not wrong (DRF answers when it is given) but loses the fast path.
    fields = CaseFilterSerializer().fields
    assert set(lean.stand_in(CaseListView).filters.fields) == {n for n, f in fields.items() if not f.read_only}


# -- views with another policy: DRF answers --------------------------------------------------------

class OnePerMinute(UserRateThrottle):
    rate = "1/min"
    cache = LocMemCache("lean-policy-throttle", {})


class Throttled(CaseListView):
    throttle_classes = [OnePerMinute]


class AdminsOnly(CaseListView):
    permission_classes = [IsAdminUser]


class SessionOnly(CaseListView):
    authentication_classes = [SessionAuthentication]


class TokenFirst(CaseListView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]


class HtmlFirst(CaseListView):
    renderer_classes = [BrowsableAPIRenderer, JSONRenderer]


class JsonOnly(CaseListView):
    renderer_classes = [JSONRenderer]


class TwoPerPage(CasePagination):
    page_size = 2


class ShortPages(CaseListView):
    pagination_class = TwoPerPage


class Audited(CaseListView):
    seen = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.seen.append(request.user)


class WithKind(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("a", "甲"), ("b", "乙")], required=False)
    number = serializers.IntegerField(required=False)  # a kind the lean path derives no parser for


class MoreFilters(CaseFilterSerializer, WithKind):
    pass


class OneEditMore(CaseListView):
    filter_serializer_class = MoreFilters


class MustName(CaseFilterSerializer):
    item = serializers.CharField(max_length=40)  # required


class ItemRequired(CaseListView):
    filter_serializer_class = MustName


VARIANTS = {view.__name__: view for view in (Throttled, AdminsOnly, SessionOnly, TokenFirst, HtmlFirst, JsonOnly,
                                             ShortPages, Audited, OneEditMore, ItemRequired)}
urlpatterns = [path(f"variants/{name}/", view.as_view(), {"version": "v1"}) for name, view in VARIANTS.items()]


@pytest.fixture
def lean_answers(monkeypatch):
    """The calls the lean path answered itself."""
    answered = []
    original = lean._answer

    def spy(request, stand_in):
        response = original(request, stand_in)
        if response is not None:
            answered.append(request.get_full_path())
        return response

    monkeypatch.setattr(lean, "_answer", spy)
    return answered


def drf(view, monkeypatch, client, url, **headers):
    with monkeypatch.context() as patch:
        patch.setattr(lean, "_answer", lambda request, stand_in: None)
        return client.get(url, **headers)


@pytest.mark.parametrize("name", [n for n in VARIANTS if n != "OneEditMore"])
def test_a_view_with_another_policy_is_left_to_drf(name, monkeypatch):
    assert lean.Policy.of(VARIANTS[name]) != lean.IMPLEMENTED or name == "ItemRequired"
    warnings = []
    # The logger itself, not caplog: other tests (Celery's) may have reconfigured logging.
    monkeypatch.setattr(lean.logger, "warning", lambda message, *args: warnings.append(message % args))
    lean.stand_in.cache_clear()
    assert lean.stand_in(VARIANTS[name]) is None
    assert [w for w in warnings if f"leaves {name} to DRF" in w]


@pytest.mark.urls(__name__)
@pytest.mark.django_db
class TestDrfAppliesWhatTheLeanPathWouldHaveSkipped:
    @pytest.fixture(autouse=True)
    def _cases(self, mixed_cases):
        self.cases = mixed_cases

    def test_a_throttle_counts(self, org, lean_answers):
        OnePerMinute.cache.clear()
        client = token_client(org.people["handler"])
        assert client.get("/variants/Throttled/").status_code == 200
        assert client.get("/variants/Throttled/").status_code == 429
        assert lean_answers == []

    def test_a_permission_refuses(self, org, lean_answers):
        assert token_client(org.people["handler"]).get("/variants/AdminsOnly/").status_code == 403
        assert lean_answers == []

    def test_authentication_without_the_token_refuses_it(self, org, lean_answers):
        assert token_client(org.people["handler"]).get("/variants/SessionOnly/").status_code == 401
        assert lean_answers == []

    def test_renderers_in_another_order_negotiate_otherwise(self, org, lean_answers):
        response = token_client(org.people["handler"]).get("/variants/HtmlFirst/")
        assert response["Content-Type"].startswith("text/html")
        response = token_client(org.people["handler"]).get("/variants/JsonOnly/")
        assert "Accept" not in response["Vary"].split(", ")
        assert lean_answers == []

    def test_another_paginator_pages_otherwise(self, org, lean_answers):
        assert len(token_client(org.people["supervisor"]).get("/variants/ShortPages/").json()["results"]) == 2
        assert lean_answers == []

    def test_an_overridden_request_cycle_runs(self, org, lean_answers):
        handler = org.people["handler"]
        Audited.seen.clear()
        token_client(handler).get("/variants/Audited/")
        assert Audited.seen == [handler]
        assert lean_answers == []

    def test_a_filter_added_to_the_serializer_is_read_by_the_lean_path(self, org, monkeypatch, lean_answers):
        client = token_client(org.people["supervisor"])
        for query in ("kind=a&state=in_progress", "kind=", "number=3", "kind=c"):
            url = f"/variants/OneEditMore/?{query}"
            response = client.get(url)
            expected = drf(OneEditMore, monkeypatch, client, url)
            assert (response.status_code, response.content) == (expected.status_code, expected.content)
        # The choice is parsed like the serializer's; the integer (no derived parser) and the
        # invalid choice are DRF's.
        assert lean_answers == ["/variants/OneEditMore/?kind=a&state=in_progress", "/variants/OneEditMore/?kind="]
        assert client.get("/variants/OneEditMore/?kind=c").status_code == 400


# -- the filters, value by value -----------------------------------------------------------------

class EveryKind(CaseFilterSerializer):
    """The real filters, plus each option of the derived kinds, a field check and a kind not derived."""

    kind = serializers.ChoiceField(choices=[("a", "甲"), ("1", "乙")], required=False, allow_blank=True)
    flag = serializers.BooleanField(required=False)  # absent from a query string: False
    maybe = serializers.BooleanField(required=False, allow_null=True)
    code = serializers.CharField(required=False, min_length=2, max_length=4, allow_blank=True,
                                 trim_whitespace=False)
    since = serializers.DateField(required=False, allow_null=True)
    upper = serializers.CharField(required=False, max_length=6)
    number = serializers.IntegerField(required=False)
    renamed = serializers.ChoiceField(choices=[("x", "X")], required=False, source="other")

    def validate_upper(self, value):
        if value == "no":
            raise serializers.ValidationError("不行")
        return value.upper()


SAMPLES = {
    "choice": [*State.values, *Channel.values, "a", "1", "x", "lost", "In_progress", " received"],
    "boolean": ["true", "false", "True", "FALSE", "yes", "No", "on", "off", "1", "0", "t", "F", "y", "n",
                "null", "Null", "none", "2", " true"],
    "date": ["2026-09-30", "2026-9-1", "20260930", "2026-W40-1", "2026-02-30", "2026-09-30T10:00",
             " 2026-09-30", "2026-09-30 ", "0000-01-01", "9999-12-31", "２０２６-09-30", "26-09-30"],
    "text": ["ZJJ", " ZJJ ", "  ", "\t", "a\x00b", "\ud800", "no", "No", "x" * 4, "x" * 5, "x" * 51, "王五",
             "2026", "a"],
}
values = st.one_of(st.just(""), *(st.sampled_from(v) for v in SAMPLES.values()), st.text(max_size=8))


@st.composite
def queries(draw, names):
    query = QueryDict(mutable=True)
    for name in draw(st.lists(st.sampled_from(names), unique=True, max_size=5)):
        query[name] = draw(values)
    return query


@pytest.mark.parametrize("serializer_class", [CaseFilterSerializer, EveryKind])
@settings(max_examples=600, deadline=None, derandomize=True)
@given(data=st.data())
def test_the_lean_parsing_agrees_with_the_serializer(serializer_class, data):
    filters = lean.Filters(serializer_class)
    query = data.draw(queries(list(serializer_class().fields)))
    form = serializer_class(data=query)
    parsed = filters.parse(query)
    if parsed is None:
        # Left to DRF: a value it refuses, or a field the lean path has no parser for.
        assert not form.is_valid() or not set(query) <= set(filters.fields), (query, parsed)
    else:
        assert form.is_valid(), (query, form.errors)
        assert parsed == form.validated_data


@pytest.mark.parametrize("query", [
    "", "state=in_progress&overdue=yes", "overdue=", "received_from=2026-09-01&received_to=2026-09-24",
    "department=%20ZJJ%20&q=2026", "kind=&flag=on&maybe=&since=&code=", "upper=abc&renamed=x", "code=%20%20",
])
def test_valid_queries_of_every_derived_kind_are_read_by_the_lean_path(query):
    form = EveryKind(data=QueryDict(query))
    assert form.is_valid(), form.errors
    assert lean.Filters(EveryKind).parse(QueryDict(query)) == form.validated_data


@pytest.mark.parametrize("query", [
    "received_from=2026-09-24&received_to=2026-09-01", "upper=no", "code=a", "code=abcde", "state=lost",
    "number=3", "overdue=true&overdue=false",
])
def test_refused_or_underived_queries_are_left_to_drf(query):
    assert lean.Filters(EveryKind).parse(QueryDict(query)) is None


def test_a_paged_query_reads_only_the_filters():
    assert lean.Filters(CaseFilterSerializer).parse(QueryDict("cursor=abc&page_size=5&due_before=2026-09-30")) == {
        "overdue": None, "due_before": dt.date(2026, 9, 30)}
