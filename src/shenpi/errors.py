"""What a service says when it will not do what was asked: one vocabulary for every app.

Services raise these; pages show `message` (and `fields` next to their inputs) with `http_status`,
the API answers `as_json()` with it (shenpi.api.errors), commands print the message and exit
non-zero. Nothing here knows of a web framework: every layer can raise and catch them.
"""

from __future__ import annotations


class ServiceError(Exception):
    http_status = 400
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


class InvalidInput(ServiceError):
    """The request itself is wrong: a missing reason, a bad ID number, an unknown material."""


class TransitionRefused(ServiceError):
    """The action is not allowed now: wrong state, wrong role, out of order."""

    http_status = 409
    code = "refused"


class Conflict(TransitionRefused):
    """Someone else changed the case first."""

    code = "conflict"


class Forbidden(ServiceError):
    http_status = 403
    code = "forbidden"
