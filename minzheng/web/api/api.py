"""The one NinjaAPI under /api/v1: mounts each kernel app's router and renders every error as
RFC 9457 problem details."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.operation import Operation

from minzheng.common.api import Problem
from minzheng.common.errors import ApplicationError
from minzheng.domains.assistance.api import router as assistance_router
from minzheng.kernel.accounts.api import STAFF_AUTH
from minzheng.kernel.accounts.api import router as accounts_router
from minzheng.kernel.jobs.api import router as jobs_router
from minzheng.kernel.payments.api import router as payments_router
from minzheng.kernel.people.api import router as people_router
from minzheng.kernel.regions.api import router as regions_router
from minzheng.kernel.verification.api import router as verification_router
from minzheng.web.api.problems import DOCUMENTED, PROBLEM_CONTENT_TYPE, problem_response

logger = logging.getLogger("minzheng.api")

DESCRIPTION = """
The register of persons, households and regions of the Jiaxing civil-affairs platform, for
other systems and scripts. Authenticate with a bearer token (`Authorization: Bearer mz_...`,
created at `POST /api/v1/tokens`) or the back-office session. Every list is paginated with
`limit` and `offset`; every error is `application/problem+json` with a stable `code`.
Everything is limited to the regions of your role grants: anything outside them is a 404.
"""


class MinzhengAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        return operation.view_func.__name__

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        _document_problems(schema)
        return schema

    def create_temporal_response(self, request: HttpRequest) -> HttpResponse:
        response = super().create_temporal_response(request)
        # Answers hold personal data: no shared cache may keep them.
        response["Cache-Control"] = "no-store"
        return response


def _document_problems(schema: dict[str, Any]) -> None:
    """Add the Problem schema and the error responses every operation can give."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    content = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            statuses: dict[int, object] = dict(DOCUMENTED)
            if "requestBody" in operation:
                statuses[400] = _("The request body is not valid JSON.")
            if method == "delete":
                statuses[409] = _("Conflict with the current state, e.g. already revoked.")
            for status, description in statuses.items():
                responses.setdefault(
                    str(status), {"description": str(description), "content": content}
                )


api = MinzhengAPI(
    title="嘉兴数字民政平台 API",
    version="1",
    description=DESCRIPTION,
    auth=STAFF_AUTH,
    urls_namespace="api",
)
api.add_router("", accounts_router)
api.add_router("", people_router)
api.add_router("", regions_router)
api.add_router("", jobs_router)
api.add_router("", payments_router)
api.add_router("", verification_router)
api.add_router("", assistance_router)


def _field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        location = loc[0] if loc else None
        parts = loc[1:]
        if location == "body":
            parts = parts[1:]  # drop the name of the view's payload argument
        message = str(error.get("msg", ""))
        if error.get("type") == "value_error":
            message = message.removeprefix("Value error, ")  # our validators' own words
        elif error.get("type") == "string_pattern_mismatch":
            message = _("The text holds characters that are not allowed here, or none visible.")
        result.append(
            {
                "field": ".".join(parts) or (location or "request"),
                "message": message,
                "location": location,
            }
        )
    return result


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    errors = None
    if exc.extra.get("errors"):
        errors = list(exc.extra["errors"])  # several fields at fault, e.g. an assess body
    elif exc.field:
        errors = [{"field": exc.field, "message": str(exc.message), "location": None}]
    elif exc.status == 422:
        errors = []
    return problem_response(
        request, status=exc.status, code=exc.code, detail=exc.message, errors=errors
    )


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return problem_response(
        request,
        status=422,
        detail=_("The request is not valid: see `errors`."),
        errors=_field_errors(exc.errors),
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    detail = {
        401: _("Log in, or send an API token: Authorization: Bearer mz_..."),
        400: _("The request body could not be read: send valid JSON."),
    }.get(exc.status_code, exc.message)
    return problem_response(request, status=exc.status_code, detail=detail)


@api.exception_handler(Http404)
@api.exception_handler(ObjectDoesNotExist)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(request, status=404, detail=_("Nothing was found here."))


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(request, status=403, detail=_("You may not do this."))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unexpected error in %s %s", request.method, request.path)
    return problem_response(
        request,
        status=500,
        detail=_("Something went wrong on our side; it has been logged."),
    )
