"""What a case operation says when it will not do what was asked."""

from rest_framework import status


class CaseError(Exception):
    http_status = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def as_json(self) -> dict:
        body = {"code": self.code, "detail": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class InvalidInput(CaseError):
    """The request itself is wrong: a missing reason, a bad ID number, an unknown material."""


class TransitionRefused(CaseError):
    """The action is not allowed now: wrong state, wrong role, out of order."""

    http_status = status.HTTP_409_CONFLICT
    code = "refused"


class Conflict(TransitionRefused):
    """Someone else changed the case first."""

    code = "conflict"


class Forbidden(CaseError):
    http_status = status.HTTP_403_FORBIDDEN
    code = "forbidden"
