"""The API's one request format, JSON, with the two limits a hostile body runs into.

- Size: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (SHENPI_DATA_UPLOAD_MAX_MEMORY_SIZE) is refused
  with 413 by its Content-Length, before a byte of it is read. (Django checks the limit only for
  `request.body` and forms; DRF reads the stream itself, and the check then fires midway as an
  unexpected error.)
- Depth: Python's decoder recurses once per nesting level; `[[[[…` 100,000 deep exhausts the
  stack and raised RecursionError, a 500. It is a 400 like any other malformed JSON.
- NUL: `\u0000` in a string or key is valid JSON, but PostgreSQL stores and compares no text with
  it (a lookup of such an item code was a 500 there): a 400, on every database alike.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions, parsers, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(f"请求体过大：不能超过 {limit} 字节（约 {limit / 1024 / 1024:.1f} MB）。")


def check_size(request) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise exceptions.ParseError("Content-Length 请求头无效。") from None
    if limit is not None and length > limit:
        raise RequestTooLarge()


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        if request is not None:
            check_size(request)
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON 嵌套层数过多，无法解析。") from None
        if _has_nul(data):
            raise exceptions.ParseError("请求数据中不能含有空字符（\\u0000）。")
        return data


def _has_nul(data) -> bool:
    """Whether any string or key holds NUL; iterative, so a deep body cannot exhaust the stack."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False
