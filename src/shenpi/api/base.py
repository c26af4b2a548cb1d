"""What every API view shares: Chinese messages, 401 for a missing login, the caller's address."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from .parsers import JSONParser


class ApiViewMixin:
    # Mixed into every API view, before the DRF class. (No docstring: drf-spectacular would show
    # it as the description of every operation that does not set one.)

    # The API speaks JSON only; a form-encoded body answers 415 rather than half-parsed lists. The
    # parser refuses a body too large (413) or nested too deep (400) before it can fail midway.
    parser_classes = [JSONParser]

    def dispatch(self, request, *args, **kwargs):
        # The platform speaks Chinese to everyone: a department system sending
        # "Accept-Language: en" still gets the messages its users will read.
        with translation.override(settings.LANGUAGE_CODE):
            return super().dispatch(request, *args, **kwargs)

    def get_authenticate_header(self, request):
        # Session authentication has no challenge, and DRF then answers 403 to a caller who sent
        # no credentials at all; naming the token scheme makes that a proper 401.
        return 'Token realm="api"'


def row_id(text: str) -> int | None:
    """A row id taken from the path as text (so that a malformed one meets the permission check
    first and then answers 404, like an unknown one); None when it is not one."""
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None
