"""API: payment batches and their lines, read-only and masked (never a full account number).

Generation, approval and the bank file are services called by the back office and jobs;
the bank file is not served here (it holds full account numbers).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from minzheng.common.api import ObjectId, Page, PageParams, paginate
from minzheng.kernel.accounts.api import request_actor
from minzheng.kernel.payments.models import BatchState, LineKind, LineStatus, PaymentBatch
from minzheng.kernel.payments.selectors import (
    payment_batch_get,
    payment_batch_list,
    payment_line_preview_queryset,
)

router = Router(tags=["payments"])


class BatchOut(Schema):
    id: int
    case_number: str = Field(description="The batch's case number, e.g. FF-330402-202612-00001.")
    programme: str
    county: str = Field(description="The county's statistical code.")
    month: dt.date = Field(description="The month paid (first day).")
    sequence: int = Field(description="1 for the month's batch, 2… for supplementary ones.")
    state: BatchState
    line_count: int
    total_amount: Decimal
    prepared_by: str | None
    approved_by: str | None

    @staticmethod
    def resolve_county(obj: PaymentBatch) -> str:
        return obj.county.code

    @staticmethod
    def resolve_prepared_by(obj: PaymentBatch) -> str | None:
        return obj.prepared_by.get_username() if obj.prepared_by else None

    @staticmethod
    def resolve_approved_by(obj: PaymentBatch) -> str | None:
        return obj.approved_by.get_username() if obj.approved_by else None


class LineOut(Schema):
    id: int = Field(description="The line reference (业务参考号) on the bank file.")
    beneficiary_kind: str
    beneficiary_id: int
    kind: LineKind
    for_month: dt.date
    amount: Decimal
    members: int
    region: str = Field(alias="region__name")
    holder: str = Field(alias="holder_name_masked", description="Masked, e.g. 张*国.")
    account_number: str = Field(
        alias="account_number_masked", description="Masked, e.g. 6222 **** **** 1234."
    )
    bank_name: str
    status: LineStatus
    return_reason: str


class BatchPage(Page[BatchOut]):
    pass


class LinePage(Page[LineOut]):
    pass


@router.get("/payment-batches", response=BatchPage, summary="List payment batches")
def list_payment_batches(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """Batches of the counties in your regions, newest month first."""
    qs = payment_batch_list(actor=request_actor(request)).select_related(
        "prepared_by", "approved_by"
    )
    return paginate(qs, page)


@router.get("/payment-batches/{batch_id}", response=BatchOut, summary="Get a payment batch")
def get_payment_batch(request: HttpRequest, batch_id: ObjectId) -> PaymentBatch:
    return payment_batch_get(actor=request_actor(request), batch_id=batch_id)


@router.get("/payment-batches/{batch_id}/lines", response=LinePage, summary="List a batch's lines")
def list_payment_lines(
    request: HttpRequest, batch_id: ObjectId, page: Query[PageParams]
) -> dict[str, Any]:
    """The batch's lines in bank-file order, holder and account masked."""
    actor = request_actor(request)
    batch = payment_batch_get(actor=actor, batch_id=batch_id)
    return paginate(payment_line_preview_queryset(actor=actor, batch=batch), page)
