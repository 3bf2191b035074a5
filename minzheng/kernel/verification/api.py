"""API: household verification — data sources, source batches and verification reports.

A file is uploaded as multipart form data; a file with bad rows imports nothing and its
batch lists every bad row. `POST /verification/batches/{batch_id}/accept` then imports the
valid rows. Reports freeze the records a household check used. ID numbers appear masked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile
from ninja.params.functions import Form as FormParam
from pydantic import StrictInt

from minzheng.common.api import (
    LINE_PATTERN,
    MAX_DATABASE_ID,
    ObjectId,
    Page,
    PageParams,
    WholeNumber,
    paginate,
)
from minzheng.kernel.accounts.api import request_actor
from minzheng.kernel.verification.models import (
    BatchStatus,
    DataSource,
    PeriodKind,
    RecordKind,
    ReportPurpose,
    SourceBatch,
    SourceRowError,
    VerificationReport,
)
from minzheng.kernel.verification.selectors import (
    data_source_get,
    data_source_list,
    source_batch_get,
    source_batch_list,
    source_row_error_list,
    verification_household_get,
    verification_report_get,
)
from minzheng.kernel.verification.services import (
    source_batch_accept,
    source_batch_discard,
    source_batch_import,
    verification_report_create,
)

router = Router(tags=["verification"])

CONFLICT = {
    "409": {
        "description": "Conflict with the current state: the same file again, a batch already "
        "decided, too many errors to import a part.",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
}


class ColumnOut(Schema):
    key: str
    type: str
    header_zh: str
    header_en: str
    required: bool
    example: str = ""
    codes: list[dict[str, str]] = Field(default_factory=list)


class SourceOut(Schema):
    code: str
    kind: RecordKind
    name: str = Field(description="In the language of the request.")
    name_zh: str
    name_en: str
    department: str
    period_kind: PeriodKind
    columns: list[ColumnOut]
    unique_columns: list[str] = Field(description="Two rows with these values are duplicates.")


class BatchOut(Schema):
    id: int
    source: str
    file_name: str
    file_format: str
    file_size: int
    checksum: str
    status: BatchStatus
    row_count: int
    valid_count: int
    invalid_count: int
    imported_count: int
    linked_count: int = Field(description="Imported rows matched to a person of the register.")
    accepted_partial: bool
    can_accept: bool = Field(description="Whether the valid rows may still be imported.")
    errors_truncated: bool
    problem: str = Field(description="Why the file could not be read, if it could not.")
    created_at: dt.datetime

    @staticmethod
    def resolve_source(obj: SourceBatch) -> str:
        return obj.source.code

    @staticmethod
    def resolve_problem(obj: SourceBatch) -> str:
        return obj.problem_message


class RowErrorOut(Schema):
    line: int = Field(description="The line in the file; the header is line 1.")
    column: str = Field(description="The column key; empty for the whole row.")
    code: str
    value: str = Field(description="The value at fault; ID numbers masked.")
    message: str = Field(description="The reason, in the language of the request.")

    @staticmethod
    def resolve_message(obj: SourceRowError) -> str:
        return obj.message


class RowErrorPage(Page[RowErrorOut]):
    pass


class BatchDetailOut(BatchOut):
    errors: RowErrorPage


class BatchPage(Page[BatchOut]):
    pass


class BatchFilters(Schema):
    source: str = Field("", max_length=40, pattern=r"^[a-z_]*$", description="A source code.")
    status: BatchStatus | None = None


class ErrorPageParams(Schema):
    errors_limit: WholeNumber = Field(100, ge=1, le=1000, description="Errors per page.")
    errors_offset: WholeNumber = Field(0, ge=0, le=1_000_000, description="Errors to skip.")


class ReportIn(Schema):
    # Strict: JSON true is not household 1, nor "12" household 12.
    household_id: StrictInt = Field(..., ge=1, le=MAX_DATABASE_ID)
    purpose: ReportPurpose
    note: str = Field("", max_length=200, pattern=r"^$|" + LINE_PATTERN)
    as_of: dt.date | None = Field(None, description="Default: today.")


class ReportOut(Schema):
    id: int
    household_id: int
    purpose: ReportPurpose
    note: str
    as_of: dt.date
    window_start: dt.date
    window_end: dt.date
    record_count: int
    record_ids: list[int] = Field(description="The source records the report used.")
    summary: dict[str, Any] = Field(
        description=(
            "Per member and for the household: monthly income by item (wage, business, "
            "property, transfer, pension_basic, excluded) averaged over the window, assets "
            "(deposits, houses, vehicles, businesses) and events; frozen at creation."
        )
    )
    created_at: dt.datetime

    @staticmethod
    def resolve_record_ids(obj: VerificationReport) -> list[int]:
        return list(obj.records.order_by("id").values_list("id", flat=True))


@router.get("/verification/sources", response=list[SourceOut], summary="List data sources")
def list_sources(request: HttpRequest) -> list[DataSource]:
    """The sources a file can be imported for, with the columns of their files."""
    return list(data_source_list(actor=request_actor(request)))


@router.post(
    "/verification/batches",
    response={201: BatchOut},
    summary="Upload a source file",
    openapi_extra={"responses": CONFLICT},
)
def upload_batch(
    request: HttpRequest,
    file: File[UploadedFile],
    source: str = FormParam(
        ..., min_length=1, max_length=40, pattern=r"^[a-z_]+$", description="The source code."
    ),
) -> Status:
    """Validate a CSV or .xlsx file and import it when every row is valid.

    A file with bad rows imports nothing: the batch's status is `rejected` and its detail
    lists every bad row. The same file is refused a second time (409).
    """
    actor = request_actor(request)
    data_source = data_source_get(actor=actor, code=source)
    batch = source_batch_import(
        actor=actor, source=data_source, file=file, file_name=file.name or "upload"
    )
    return Status(201, batch)


@router.get("/verification/batches", response=BatchPage, summary="List source batches")
def list_batches(
    request: HttpRequest, filters: Query[BatchFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Batches uploaded in your regions, newest first."""
    actor = request_actor(request)
    source = data_source_get(actor=actor, code=filters.source) if filters.source else None
    batches = source_batch_list(actor=actor, source=source, status=filters.status or "")
    return paginate(batches, page)


def _detail(batch: SourceBatch, errors: ErrorPageParams) -> SourceBatch:
    rows = source_row_error_list(batch=batch)
    batch.errors = {  # type: ignore[attr-defined]
        "count": rows.count(),
        "limit": errors.errors_limit,
        "offset": errors.errors_offset,
        "items": list(rows[errors.errors_offset : errors.errors_offset + errors.errors_limit]),
    }
    return batch


@router.get(
    "/verification/batches/{batch_id}", response=BatchDetailOut, summary="Get a source batch"
)
def get_batch(
    request: HttpRequest, batch_id: ObjectId, errors: Query[ErrorPageParams]
) -> SourceBatch:
    """A batch and its bad rows: line, column, value (masked for ID numbers) and reason."""
    return _detail(source_batch_get(actor=request_actor(request), batch_id=batch_id), errors)


@router.post(
    "/verification/batches/{batch_id}/accept",
    response=BatchOut,
    summary="Import the valid rows of a batch with errors",
    openapi_extra={"responses": CONFLICT},
)
def accept_batch(request: HttpRequest, batch_id: ObjectId) -> SourceBatch:
    """The operator's confirmation: import the valid rows, leave the bad rows out."""
    actor = request_actor(request)
    return source_batch_accept(actor=actor, batch=source_batch_get(actor=actor, batch_id=batch_id))


@router.post(
    "/verification/batches/{batch_id}/discard",
    response=BatchOut,
    summary="Discard a batch with errors",
    openapi_extra={"responses": CONFLICT},
)
def discard_batch(request: HttpRequest, batch_id: ObjectId) -> SourceBatch:
    """Import nothing of the batch and delete its kept file."""
    actor = request_actor(request)
    return source_batch_discard(actor=actor, batch=source_batch_get(actor=actor, batch_id=batch_id))


@router.post(
    "/verification/reports",
    response={201: ReportOut},
    summary="Create a household verification report",
)
def create_report(request: HttpRequest, payload: ReportIn) -> Status:
    """Freeze the records that a check of the household uses and their summary."""
    actor = request_actor(request)
    household = verification_household_get(actor=actor, household_id=payload.household_id)
    report = verification_report_create(
        actor=actor,
        household=household,
        purpose=payload.purpose,
        note=payload.note,
        as_of=payload.as_of,
    )
    return Status(201, report)


@router.get(
    "/verification/reports/{report_id}", response=ReportOut, summary="Get a verification report"
)
def get_report(request: HttpRequest, report_id: ObjectId) -> VerificationReport:
    """A report of a household in your regions; 404 outside them."""
    return verification_report_get(actor=request_actor(request), report_id=report_id)
