"""GET /api/v1/cases/ answered without DRF's request cycle, for the call that dominates the load:
a department system or a list screen calling with an API token and plain filters.

It answers only when everything is ordinary: a GET with `Authorization: Token …` of an active
user and no session cookie, JSON accepted, each query parameter known, given once and in its
plain form (a choice, a code, `true`/`false`, an ISO date), a cursor CasePagination accepts, and a
page to show. Anything else returns None and CaseListView lets DRF answer, with its 400/401
JSON, its browsable API and its content negotiation; an empty page filtered by a code goes there
too, so that an unknown code is still named. When it does answer, it is with what DRF would have
sent (tests/api/test_lean_list.py compares both, headers included): the same rows, from the same
statement (statements.CasePage), the same cursor links from CasePagination itself, and the same
bytes from the same renderer. What it saves is DRF's request wrapping, content negotiation,
authentication and permission classes, the query-parameter serializer and the Response rendering
cycle: about 1 ms of CPU per request.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from rest_framework.exceptions import APIException

from shenpi import clock

from . import presenters, queries, statements
from .authentication import load_token
from .pagination import CasePagination
from .renderers import JSONRenderer
from .serializers import CaseFilterSerializer

# The filters as serializers.CaseFilterSerializer declares them: choices, and free text with its maximum length.
_DECLARED = CaseFilterSerializer().fields
_CHOICES = {name: frozenset(_DECLARED[name].choices) for name in ("state", "channel")}
_TEXT = {name: _DECLARED[name].max_length for name in ("department", "item", "q")}
_DATES = frozenset(("due_before", "due_after", "received_from", "received_to"))
_PAGING = frozenset(("cursor", "page_size"))
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_BOOLEANS = {"true": True, "false": False}
# What DRF's content negotiation answers with JSON by the list's first renderer, without parameters.
_JSON_ACCEPTED = frozenset(("*/*", "application/json"))
_RENDERER = JSONRenderer()

logger = logging.getLogger(__name__)


class _Query:
    """What CasePagination reads of a request."""

    __slots__ = ("build_absolute_uri", "query_params")

    def __init__(self, request):
        self.query_params = request.GET
        self.build_absolute_uri = request.build_absolute_uri


def _caller(request):
    """The active user of an `Authorization: Token <key>` request without a session; else None.

    DRF tries the session first, so a request carrying a session cookie is left to it.
    """
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    parts = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(parts) != 2 or parts[0].lower() != "token" or not parts[1].isascii():
        return None
    token = load_token(parts[1])
    if token is None or not token.user.is_active:
        return None
    return token.user


def _filters(query) -> dict | None:
    """The filters as CaseFilterSerializer would validate them, or None when any is not plain."""
    filters = {}
    for name, values in query.lists():
        if len(values) != 1:
            return None
        value = values[0]
        if name in _PAGING:
            continue
        if name in _CHOICES:
            if value not in _CHOICES[name]:
                return None
        elif name in _TEXT:
            if not value or len(value) > _TEXT[name] or value != value.strip() or not value.isprintable():
                return None
        elif name == "overdue":
            if value not in _BOOLEANS:
                return None
            value = _BOOLEANS[value]
        elif name in _DATES:
            if not _ISO_DAY.match(value):
                return None
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                return None
        else:
            return None
        filters[name] = value
    start, end = filters.get("received_from"), filters.get("received_to")
    if start and end and start > end:
        return None
    return filters


def case_list(request, allowed_methods: list[str]) -> HttpResponse | None:
    """The first page (or the page a cursor names) of GET /api/v1/cases/, or None for DRF to answer."""
    try:
        return _answer(request, allowed_methods)
    except Exception:
        # DRF answers instead: the same page, or its JSON 500 if the failure is not the lean path's own.
        logger.exception("The lean case list failed; DRF answers the request")
        return None


def _answer(request, allowed_methods: list[str]) -> HttpResponse | None:
    if request.method != "GET" or request.META.get("HTTP_ACCEPT", "*/*") not in _JSON_ACCEPTED:
        return None
    filters = _filters(request.GET)
    if filters is None:
        return None
    user = _caller(request)
    if user is None:
        return None
    criteria = queries.list_criteria(filters)
    today = clock.today()
    paginator = CasePagination()
    try:
        rows = paginator.paginate_queryset(statements.CasePage(user, criteria, today), _Query(request))
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
    response["Allow"] = ", ".join(allowed_methods)
    patch_vary_headers(response, ("Accept", "Cookie"))
    # Middleware and logging after the view see the caller, as with DRF.
    request.user = user
    return response
