"""Errors a service raises when it refuses an operation.

The message is for the user (translated, Chinese first); `code` is stable for the API.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A refusal a clerk can read: nothing was written."""

    code = "application_error"
    status = 400

    def __init__(
        self,
        message: Any,
        *,
        code: str | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = str(message)  # in the language active where the refusal was raised
        if code:
            self.code = code
        self.field = field
        self.extra = extra or {}


class ValidationFailed(ApplicationError):
    code = "validation_failed"
    status = 422


class PermissionRefused(ApplicationError):
    code = "permission_denied"
    status = 403


class NotFound(ApplicationError):
    """Also used for objects outside the actor's scope, so their existence is not leaked."""

    code = "not_found"
    status = 404


class Conflict(ApplicationError):
    code = "conflict"
    status = 409
