"""RFC 9457 problem details: every API error is one of these, with a stable `code`."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://minzheng.jiaxing.gov.cn/problems/"

TITLES = {
    400: _("Bad request"),
    401: _("Authentication required"),
    403: _("Permission denied"),
    404: _("Not found"),
    405: _("Method not allowed"),
    409: _("Conflict"),
    422: _("Validation failed"),
    429: _("Too many requests"),
    500: _("Internal server error"),
}

DEFAULT_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "validation_failed",
    429: "throttled",
    500: "internal_error",
}

# Shown in the OpenAPI document for every operation.
DOCUMENTED = {
    401: _("Not authenticated: no session or token, or the token is wrong or revoked."),
    403: _("Permission denied, including a missing CSRF token on a session request."),
    404: _("Not found, or outside your regions."),
    422: _("The request is not valid; `errors` lists each field."),
}


def problem_body(
    request: HttpRequest,
    *,
    status: int,
    code: str | None = None,
    detail: Any = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    code = code or DEFAULT_CODES.get(status, "error")
    title = str(TITLES[status]) if status in TITLES else HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": str(detail) if detail else title,
        "code": code,
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(
    request: HttpRequest,
    *,
    status: int,
    code: str | None = None,
    detail: Any = None,
    errors: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    """A problem-details response; 401s also say how to authenticate."""
    body = problem_body(request, status=status, code=code, detail=detail, errors=errors)
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    response["Cache-Control"] = "no-store"
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="minzheng"'
    return response
