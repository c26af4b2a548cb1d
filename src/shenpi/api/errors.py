"""JSON errors for the API: field-level messages, 404 for unknown, 409 for a refused transition."""

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from shenpi.cases.errors import CaseError


def exception_handler(exc, context):
    if isinstance(exc, CaseError):
        return Response(exc.as_json(), status=exc.http_status)
    return drf_handler(exc, context)
