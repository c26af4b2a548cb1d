"""GET /api/v1/cases/ answered without DRF's request cycle, for the call that dominates the load:
a department system or a list screen calling with an API token and plain filters.

It stands in for CaseListView only while it applies the view's whole policy (`Policy`): the
authentication classes (session first, then the token), the permission (an authenticated staff member),
no throttle, the renderers (JSON first) and content negotiation, the pagination, and DRF's own
request-cycle methods. Any difference, in the view or in REST_FRAMEWORK's defaults, makes it step
aside for good, decided once per view class (`stand_in`); tests/api/test_lean_policy.py fails
until the difference is taught here. The filters are parsed as the view's filter serializer
validates them, by parsers derived from its fields once (`Filters`): a filter declared there is
handled here too, or, of a kind not derived, left to DRF.

It answers only when everything is ordinary: a GET with `Authorization: Token …` of an active
user and no session cookie, JSON accepted, each query parameter a filter or the paginator's,
given once and valid, a cursor CasePagination accepts, and a page to show. Anything else returns
None and CaseListView lets DRF answer, with its 400/401 JSON, its browsable API and its content
negotiation; an empty page filtered by a code goes there too, so that an unknown code is still
named. When it does answer, it is with what DRF would have sent (tests/api/test_lean_list.py
compares both, headers included): the same rows, from the same statement (statements.CasePage),
the same cursor links from CasePagination itself, and the same bytes from the same renderer. What
it saves is DRF's request wrapping, content negotiation, authentication and permission classes,
the query-parameter serializer and the Response rendering cycle: about 0.4 ms of CPU per request.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_date
from rest_framework import ISO_8601, fields
from rest_framework.authentication import SessionAuthentication, get_authorization_header
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.settings import api_settings
from rest_framework.versioning import URLPathVersioning

from shenpi import clock

from . import presenters, queries, statements
from .authentication import TokenAuthentication, usable_token
from .pagination import CasePagination
from .permissions import IsStaff, is_staff
from .renderers import JSONRenderer

logger = logging.getLogger(__name__)


# -- the policy -----------------------------------------------------------------------------------

# DRF's methods that run before and around the view's own code for a GET; the lean path skips them,
# so a view that overrides one (to log, to check something more) is left to DRF.
_CYCLE = (
    "initialize_request", "initial", "perform_authentication", "check_permissions", "check_throttles",
    "determine_version", "perform_content_negotiation", "get_authenticators", "get_permissions",
    "get_throttles", "get_renderers", "get_content_negotiator", "get_format_suffix", "finalize_response",
    "default_response_headers", "paginator", "paginate_queryset", "get_paginated_response",
)


@dataclass(frozen=True)
class Policy:
    """What DRF applies to a request of a view besides the view's own code."""

    authentication: tuple[type, ...]
    permission: tuple[type, ...]
    throttle: tuple[type, ...]
    renderer: tuple[type, ...]
    negotiation: type
    versioning: type | None
    pagination: type | None
    overridden: frozenset[str]  # the methods of _CYCLE that are not DRF's own

    @classmethod
    def of(cls, view_class) -> Policy:
        # The view's attributes, not api_settings: DRF binds REST_FRAMEWORK's defaults to APIView
        # when it is imported and reads the view's attributes on each request.
        return cls(
            authentication=tuple(view_class.authentication_classes),
            permission=tuple(view_class.permission_classes),
            throttle=tuple(view_class.throttle_classes),
            renderer=tuple(view_class.renderer_classes),
            negotiation=view_class.content_negotiation_class,
            versioning=view_class.versioning_class,
            pagination=getattr(view_class, "pagination_class", None),
            overridden=frozenset(name for name in _CYCLE if not _drf_s_own(view_class, name)),
        )


def _drf_s_own(view_class, name: str) -> bool:
    owner = next((k for k in view_class.__mro__ if name in vars(k)), None)
    return owner is not None and owner.__module__.startswith("rest_framework.")


# The policy this path applies, class for class.
IMPLEMENTED = Policy(
    # DRF tries the session first: a request with a session cookie is left to it (_caller); without
    # one, the token is read as TokenAuthentication reads it, by the same load_token; a token it
    # would refuse (revoked, expired, a superuser's) is left to it, which records the refusal.
    authentication=(SessionAuthentication, TokenAuthentication),
    # The active user of a valid token is authenticated; a staff member's is let through (_caller).
    permission=(IsStaff,),
    # Nothing is counted.
    throttle=(),
    # `*/*` and `application/json` select the first renderer, whose bytes the page is rendered
    # with; two renderers make DRF add `Vary: Accept`.
    renderer=(JSONRenderer, BrowsableAPIRenderer),
    negotiation=DefaultContentNegotiation,
    # The URL pattern admits only an allowed version.
    versioning=URLPathVersioning,
    pagination=CasePagination,
    overridden=frozenset(),
)

_KEYWORD = TokenAuthentication.keyword.lower().encode()
_PAGING = frozenset((CasePagination.cursor_query_param, CasePagination.page_size_query_param))
# What DRF's content negotiation answers with JSON by the list's first renderer, without parameters.
_JSON_ACCEPTED = frozenset(("*/*", "application/json"))
_RENDERER = JSONRenderer()


# -- the filters ----------------------------------------------------------------------------------

_REFUSED = object()  # a value the serializer refuses (DRF answers 400), or one no parser is derived for
_SKIPPED = object()  # no validated value at all (`name=` of an optional field without a default)
_INVALID = (ValidationError, DjangoValidationError)

Convert = Callable[[str], object]


def _choice(field) -> Convert:
    values = dict(field.choice_strings_to_values)
    return lambda value: values.get(value, _REFUSED)


def _boolean(field) -> Convert:
    # BooleanField tries true, then false, then null (when allowed), on the lowered string.
    words = {v: None for v in field.NULL_VALUES if isinstance(v, str)} if field.allow_null else {}
    words.update({v: False for v in field.FALSE_VALUES if isinstance(v, str)})
    words.update({v: True for v in field.TRUE_VALUES if isinstance(v, str)})
    return lambda value: words.get(value.lower(), _REFUSED)


def _date(field) -> Convert | None:
    formats = getattr(field, "input_formats", api_settings.DATE_INPUT_FORMATS)
    if [f.lower() for f in formats] != [ISO_8601]:
        return None  # strptime formats: not derived

    def convert(value):
        try:
            parsed = parse_date(value)  # what DateField calls for ISO 8601
        except (ValueError, TypeError):
            return _REFUSED
        return _REFUSED if parsed is None else parsed
    return convert


def _text(field) -> Convert:
    # CharField: a blank value skips the validators (max_length, NUL, surrogates).
    def convert(value):
        if field.trim_whitespace:
            value = value.strip()
        if not value:
            return "" if field.allow_blank else _REFUSED
        return _validated(field, value)
    return convert


def _validated(field, value):
    try:
        field.run_validators(value)
    except _INVALID:
        return _REFUSED
    return value


# Exact classes: a subclass may convert differently. The text converter runs the validators itself.
_KINDS = {fields.ChoiceField: _choice, fields.BooleanField: _boolean, fields.DateField: _date,
          fields.CharField: _text}


def _converter(form, name: str, field) -> Convert | None:
    """A non-empty value → what the serializer validates it to, or _REFUSED; None: not derived."""
    kind = _KINDS.get(type(field))
    convert = kind(field) if kind else None
    if convert is None:
        return None
    checks = []
    if kind is not _text and field.validators:
        checks.append(lambda value: _validated(field, value))
    validate_field = getattr(form, f"validate_{name}", None)
    if validate_field is not None:
        checks.append(validate_field)
    if not checks:
        return convert

    def checked(value):
        value = convert(value)
        try:
            for check in checks:
                if value is _REFUSED:
                    break
                value = check(value)
        except _INVALID:
            return _REFUSED
        return value
    return checked


def _on_empty(form, name: str, field):
    """What the serializer makes of `name=`, by DRF's own code: a value, _SKIPPED or _REFUSED.

    Not always what it makes of an absent parameter: an optional BooleanField without a default
    is False when absent but skipped when empty.
    """
    query = QueryDict(mutable=True)
    query[name] = ""
    try:
        value = field.run_validation(field.get_value(query))
        validate_field = getattr(form, f"validate_{name}", None)
        return value if validate_field is None else validate_field(value)
    except fields.SkipField:
        return _SKIPPED
    except _INVALID:
        return _REFUSED


class Filters:
    """The query parameters of one filter serializer, read as its validation reads them.

    Derived once: per field, the key of its validated value, a converter for a non-empty value
    and the outcome of an empty one; the values of the fields not given, as DRF validates an
    empty query (defaults included). A field without a derived converter (a kind not in _KINDS,
    read-only, a nested source) makes the request DRF's whenever it is given.
    """

    def __init__(self, serializer_class):
        self.form = form = serializer_class()
        self.fields = {}
        for name, field in form.fields.items():
            if field.read_only or len(field.source_attrs) != 1:
                continue
            convert = _converter(form, name, field)
            if convert is not None:
                self.fields[name] = (field.source_attrs[0], convert, _on_empty(form, name, field))
        # Field by field as DRF reads an empty query (defaults, validate_<name>); the serializer's
        # validate() runs on each request's whole set.
        self.absent = dict(form.to_internal_value(QueryDict()))
        self.validate = form.validate
        self.validators = bool(form.validators)

    @classmethod
    def derived(cls, serializer_class) -> Filters | None:
        """The filters, or None when the serializer is one this path cannot follow: a filter
        that must be given, a default computed per request, a name the paginator reads."""
        writable = [f for f in serializer_class().fields.values() if not f.read_only]
        if any(f.required or f.field_name in _PAGING or (f.default is not fields.empty and callable(f.default))
               for f in writable):
            return None
        return cls(serializer_class)

    def parse(self, query) -> dict | None:
        """The validated filters of a QueryDict, or None for DRF to answer."""
        filters = self.absent.copy()
        for name, values in query.lists():
            if name in _PAGING:
                continue
            known = self.fields.get(name)
            # DRF reads the last of repeated values; a repeated parameter is not plain.
            if known is None or len(values) != 1:
                return None
            key, convert, on_empty = known
            value = convert(values[0]) if values[0] else on_empty
            if value is _REFUSED:
                return None
            if value is _SKIPPED:
                filters.pop(key, None)
            else:
                filters[key] = value
        try:
            if self.validators:
                self.form.run_validators(filters)
            return self.validate(filters)
        except _INVALID:
            return None


# -- standing in ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class StandIn:
    """What the lean path needs of the view it answers for, worked out once."""

    allow: str  # DRF's Allow header
    filters: Filters


@functools.cache
def stand_in(view_class) -> StandIn | None:
    """The lean path for a view, or None when its policy or filters differ from what it implements."""
    policy = Policy.of(view_class)
    if policy != IMPLEMENTED:
        logger.warning("The lean case list leaves %s to DRF: its policy %s is not the one implemented, %s",
                       view_class.__name__, policy, IMPLEMENTED)
        return None
    filters = Filters.derived(view_class.filter_serializer_class)
    if filters is None:
        logger.warning("The lean case list leaves %s to DRF: %s has a filter it cannot follow",
                       view_class.__name__, view_class.filter_serializer_class.__name__)
        return None
    view = view_class()
    view.setup(HttpRequest())  # where Django's View answers HEAD with get()
    return StandIn(allow=", ".join(view.allowed_methods), filters=filters)


class _Query:
    """What CasePagination reads of a request."""

    __slots__ = ("build_absolute_uri", "query_params")

    def __init__(self, request):
        self.query_params = request.GET
        self.build_absolute_uri = request.build_absolute_uri


def _caller(request):
    """The usable token (with its active staff user) of an `Authorization: Token <key>` request without
    a session; else None (DRF then answers, refusing an applicant's token with 403).

    DRF tries the session first, so a request carrying a session cookie is left to it. The header
    is split as TokenAuthentication splits it (bytes, ASCII whitespace).
    """
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    parts = get_authorization_header(request).split()
    if len(parts) != 2 or parts[0].lower() != _KEYWORD or not parts[1].isascii():
        return None
    token = usable_token(parts[1].decode())
    return token if token is not None and is_staff(token.user) else None


def case_list(request, view) -> HttpResponse | None:
    """The first page (or the page a cursor names) of GET /api/v1/cases/, or None for DRF to answer."""
    try:
        lean = stand_in(type(view))
        return None if lean is None else _answer(request, lean)
    except Exception:
        # DRF answers instead: the same page, or its JSON 500 if the failure is not the lean path's own.
        logger.exception("The lean case list failed; DRF answers the request")
        return None


def _answer(request, lean: StandIn) -> HttpResponse | None:
    if request.method != "GET" or request.META.get("HTTP_ACCEPT", "*/*") not in _JSON_ACCEPTED:
        return None
    filters = lean.filters.parse(request.GET)
    if filters is None:
        return None
    token = _caller(request)
    if token is None:
        return None
    user = token.user
    criteria = queries.list_criteria(filters)
    today = clock.today()
    paginator = CasePagination()
    try:
        rows = paginator.paginate_queryset(statements.CasePage(user, criteria, today, token.scope),
                                           _Query(request))
    except APIException:  # a cursor CasePagination refuses: DRF words the error
        return None
    if not rows and ("department" in criteria or "item" in criteria):
        return None
    body = _RENDERER.render({
        "next": paginator.get_next_link(),
        "previous": paginator.get_previous_link(),
        "results": presenters.case_summaries(rows, today),
    })
    response = HttpResponse(body, content_type="application/json")
    # DRF's headers: the methods of the endpoint, and Vary for the renderers and the session it tried first.
    response["Allow"] = lean.allow
    patch_vary_headers(response, ("Accept", "Cookie"))
    # Middleware and logging after the view see the caller, as with DRF.
    request.user = user
    return response
