"""JSON errors for the API, one shape for all of them.

    {"code": "invalid", "detail": "申请人信息有误，请核对。", "fields": {"applicant.id_number": ["…"]}}

Services raise shenpi.errors (400 invalid, 403 forbidden, 409 refused/conflict);
DRF's own exceptions (validation, authentication, CSRF, unknown URL, bad method) are reshaped to
match, so a client reads one format whatever went wrong.
"""

from __future__ import annotations

import logging

from django import urls
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler
from rest_framework.views import set_rollback

from shenpi.errors import ServiceError
from shenpi.web import UNAVAILABLE_DETAIL

from .parsers import RequestTooLarge

logger = logging.getLogger(__name__)

INVALID_DETAIL = "提交的数据有误，请核对标出的字段。"
NOT_FOUND_DETAIL = "请求的资源不存在。"
CSRF_DETAIL = "CSRF 校验失败：以登录会话调用写操作时，须在 X-CSRFToken 请求头中携带 csrftoken Cookie 的值。"
SERVER_ERROR_DETAIL = "服务器内部错误，请稍后重试或联系中心管理员。"

# DRF's codes, renamed where the platform already has a word for the same thing.
_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "parse_error",
    exceptions.Throttled: "throttled",
}


class CsrfFailed(exceptions.PermissionDenied):
    default_detail = CSRF_DETAIL
    default_code = "csrf_failed"


def error_body(code: str, detail: str, fields: dict[str, list[str]] | None = None) -> dict:
    body = {"code": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return body


def flatten_fields(errors, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as {"applicant.name": [...], "materials.1.spec": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = str(key) if not prefix else f"{prefix}.{key}"
            flat.update(flatten_fields(value, name))
    elif isinstance(errors, list) and any(isinstance(e, dict | list) for e in errors):
        for index, value in enumerate(errors):
            if value:
                flat.update(flatten_fields(value, f"{prefix}.{index}" if prefix else str(index)))
    elif isinstance(errors, list):
        flat[prefix or "non_field_errors"] = [str(e) for e in errors]
    else:
        flat[prefix or "non_field_errors"] = [str(errors)]
    return flat


def _validation_body(exc: exceptions.ValidationError) -> dict:
    fields = flatten_fields(exc.detail)
    general = fields.pop("non_field_errors", None)
    if len(fields) == 0 and general:
        return error_body("invalid", "；".join(general))
    if general:
        fields["non_field_errors"] = general
    return error_body("invalid", INVALID_DETAIL, fields)


def _is_csrf_failure(exc: Exception) -> bool:
    # DRF's SessionAuthentication reports a missing token as PermissionDenied("CSRF Failed: …").
    return isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed")


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        set_rollback()
        return Response(exc.as_json(), status=exc.http_status)
    if _is_csrf_failure(exc):
        exc = CsrfFailed()
    if isinstance(exc, RequestDataTooBig):
        # Django's own limit, met where something read request.body: the parser's 413, not a 500.
        exc = RequestTooLarge()
    if isinstance(exc, OperationalError | InterfaceError):
        # The database out of reach (a restart): the caller may retry; the next request reconnects.
        logger.warning("API request failed: database unavailable: %s", exc)
        return Response(error_body("unavailable", UNAVAILABLE_DETAIL), status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": "5"})
    response = drf_handler(exc, context)
    if response is None:
        # An unexpected failure: logged with its traceback, answered in the same shape.
        logger.exception("API request failed", exc_info=exc)
        set_rollback()
        return Response(error_body("server_error", SERVER_ERROR_DETAIL), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc)
    elif isinstance(exc, Http404):
        response.data = error_body("not_found", NOT_FOUND_DETAIL)
    elif isinstance(exc, DjangoPermissionDenied):
        response.data = error_body("forbidden", str(exceptions.PermissionDenied.default_detail))
    else:
        code = getattr(exc, "default_code", "error")
        for kind, name in _CODES.items():
            if type(exc) is kind:
                code = name
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = error_body(code, str(detail))
    return response


def unknown_endpoint(request, *args, **kwargs):
    """Any URL under /api/ that names no endpoint: JSON, like every other API answer.

    This catch-all also stops Django's slash-appending redirect (which would lose a POST body),
    so a near miss is named in the message instead.
    """
    path = request.path
    other = path[:-1] if path.endswith("/") else f"{path}/"
    match = resolve(other, getattr(request, "urlconf", None)) if other != "/api" else None
    if match is not None and match.func is not unknown_endpoint:
        detail = f"没有这个接口。您要找的可能是 {other}（注意末尾的斜杠）。"
    else:
        detail = "没有这个接口，请核对地址（当前版本为 /api/v1/）。"
    return JsonResponse(error_body("not_found", detail), status=404)


def resolve(path: str, urlconf=None):
    try:
        return urls.resolve(path, urlconf)
    except urls.Resolver404:
        return None
