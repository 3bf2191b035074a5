"""Reads of household verification, always inside the actor's regions.

Batches are visible under the region of the uploader's import grant to those who may
import there; reports under the household's region to those who may read verification.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet

from minzheng.common.errors import NotFound
from minzheng.kernel.accounts.permissions import Perm, has_perm, scope_paths
from minzheng.kernel.people.models import Household, Membership
from minzheng.kernel.regions.selectors import path_filter
from minzheng.kernel.verification.models import (
    DataSource,
    SourceBatch,
    SourceRowError,
    VerificationReport,
)

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User


def _paths(actor: User, perm: Perm) -> list[str]:
    """Region paths of `perm`; none gives empty lists and 404s, like any other region."""
    return scope_paths(actor, perm)


def may_view(actor: User) -> bool:
    return has_perm(actor, Perm.VERIFICATION_VIEW) or has_perm(actor, Perm.VERIFICATION_IMPORT)


def may_import(actor: User) -> bool:
    return has_perm(actor, Perm.VERIFICATION_IMPORT)


def data_source_list(*, actor: User) -> QuerySet[DataSource]:
    """The sources a file can be imported for: reference data any staff member may read."""
    return DataSource.objects.filter(is_active=True).order_by("id")


def data_source_get(*, actor: User, code: str) -> DataSource:
    try:
        return data_source_list(actor=actor).get(code=code)
    except DataSource.DoesNotExist:
        raise NotFound("No such data source.", code="source_not_found") from None


def source_batch_list(
    *, actor: User, source: DataSource | None = None, status: str = ""
) -> QuerySet[SourceBatch]:
    qs = SourceBatch.objects.filter(
        path_filter(_paths(actor, Perm.VERIFICATION_IMPORT), field="region")
    )
    if source is not None:
        qs = qs.filter(source=source)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("source", "region", "uploaded_by", "decided_by").order_by("-id")


def source_batch_get(*, actor: User, batch_id: int) -> SourceBatch:
    try:
        return source_batch_list(actor=actor).get(pk=batch_id)
    except SourceBatch.DoesNotExist:
        raise NotFound("No such batch in your regions.", code="batch_not_found") from None


def source_row_error_list(*, batch: SourceBatch) -> QuerySet[SourceRowError]:
    return SourceRowError.objects.filter(batch=batch).order_by("line", "id")


def _report_scope(actor: User) -> Q:
    return path_filter(_paths(actor, Perm.VERIFICATION_VIEW), field="household__region")


def verification_report_list(
    *, actor: User, household: Household | None = None
) -> QuerySet[VerificationReport]:
    qs = VerificationReport.objects.filter(_report_scope(actor))
    if household is not None:
        qs = qs.filter(household=household)
    return qs.select_related("household__region", "created_by").order_by("-id")


def verification_report_get(*, actor: User, report_id: int) -> VerificationReport:
    try:
        return verification_report_list(actor=actor).get(pk=report_id)
    except VerificationReport.DoesNotExist:
        raise NotFound("No such report in your regions.", code="report_not_found") from None


def verification_household_get(*, actor: User, household_id: int) -> Household:
    """A household the actor may check, with its current members."""
    try:
        return (
            Household.objects.filter(
                path_filter(_paths(actor, Perm.VERIFICATION_VIEW), field="region")
            )
            .select_related("region")
            .prefetch_related(
                Prefetch(
                    "memberships",
                    queryset=Membership.objects.filter(end_date__isnull=True)
                    .select_related("person")
                    .order_by("start_date", "id"),
                    to_attr="current_memberships",
                )
            )
            .get(pk=household_id)
        )
    except Household.DoesNotExist:
        raise NotFound("No such household in your regions.", code="household_not_found") from None


def report_records(*, report: VerificationReport) -> QuerySet:
    """The records a report used, with their sources (for the evidence table)."""
    return report.records.select_related("source").order_by(
        "source_id", "person_id", "period_start", "id"
    )
