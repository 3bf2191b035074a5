"""Reads of the payments kernel, always inside the actor's regions; never a full account number."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from minzheng.common.errors import NotFound
from minzheng.kernel.accounts.permissions import Perm, scope_paths
from minzheng.kernel.payments.models import PayeeAccount, PaymentBatch, PaymentLine
from minzheng.kernel.people.models import Membership
from minzheng.kernel.regions.models import Region
from minzheng.kernel.regions.selectors import counties, path_filter
from minzheng.kernel.workflow.models import CaseStep
from minzheng.kernel.workflow.selectors import case_timeline

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.people.models import Household, Person

# The columns a preview page or the API may show: masked holder and account, never the
# ciphertext or the holder's full name.
PREVIEW_FIELDS = (
    "id",
    "beneficiary_kind",
    "beneficiary_id",
    "kind",
    "for_month",
    "amount",
    "members",
    "region__name",
    "holder_name_masked",
    "account_number_masked",
    "bank_name",
    "status",
    "return_reason",
)


def _paths(actor: User) -> list[str]:
    """Region paths where the actor may view payments; none gives empty lists, not errors."""
    return scope_paths(actor, Perm.PAYMENTS_VIEW)


def payment_batch_list(
    *,
    actor: User,
    programme: str | None = None,
    month: Any = None,
    county: Region | None = None,
    state: str | None = None,
) -> QuerySet[PaymentBatch]:
    """Batches of the counties inside the actor's regions (county grants and above: a batch
    holds every town of its county)."""
    paths = _paths(actor)
    qs = PaymentBatch.objects.filter(path_filter(paths, field="county")).select_related("county")
    if programme:
        qs = qs.filter(programme=programme)
    if month is not None:
        qs = qs.filter(month=month)
    if county is not None:
        qs = qs.filter(county=county)
    if state:
        qs = qs.filter(state=state)
    return qs


def payment_batch_totals(batches: QuerySet[PaymentBatch]) -> dict[str, Any]:
    """Number of batches, of lines and the amount of a (filtered) batch list."""
    totals = batches.aggregate(
        batches=Count("id"), lines=Sum("line_count"), amount=Sum("total_amount")
    )
    return {
        "batches": totals["batches"] or 0,
        "lines": totals["lines"] or 0,
        "amount": totals["amount"] or Decimal("0"),
    }


def payment_counties(*, actor: User, perm: Perm = Perm.PAYMENTS_VIEW) -> QuerySet[Region]:
    """The counties inside the actor's regions for `perm` (those whose batches they see)."""
    condition = Q(pk__in=[])
    for path in scope_paths(actor, perm):
        condition |= Q(path__startswith=path)
    return counties().filter(condition)


def payment_batch_timeline(*, actor: User, batch: PaymentBatch) -> QuerySet[CaseStep]:
    """The batch's steps (its CaseStep rows), oldest first."""
    payment_batch_get(actor=actor, batch_id=batch.pk)
    return case_timeline(case=batch)


def payment_batch_get(*, actor: User, batch_id: int) -> PaymentBatch:
    batch = payment_batch_list(actor=actor).filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(_("No such payment batch."))
    return batch


def payment_line_preview_queryset(*, actor: User, batch: PaymentBatch) -> QuerySet[Any]:
    """Lines of a batch as dicts of the masked preview columns only, in file order."""
    payment_batch_get(actor=actor, batch_id=batch.pk)
    return PaymentLine.objects.filter(batch=batch).order_by("pk").values(*PREVIEW_FIELDS)


def payment_line_preview(
    *, actor: User, batch: PaymentBatch, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Lines of a batch for a preview page or the API: masked holder and account only."""
    return list(payment_line_preview_queryset(actor=actor, batch=batch)[offset : offset + limit])


def payee_account_list(*, actor: User, person: Person) -> QuerySet[PayeeAccount]:
    """A person's accounts (current and closed), if the person lives in the actor's regions."""
    paths = _paths(actor)
    if not any(person.residence_region.path.startswith(path) for path in paths):
        raise NotFound(_("No such person."))
    return PayeeAccount.objects.filter(person=person).order_by("-id")


def household_payee_accounts(
    *, actor: User, household: Household
) -> list[tuple[Person, list[PayeeAccount]]]:
    """The current members of a household with their accounts (newest first), masked."""
    if not any(household.region.path.startswith(path) for path in _paths(actor)):
        raise NotFound(_("No such household."))
    members = [
        m.person
        for m in Membership.objects.filter(household=household, end_date__isnull=True)
        .select_related("person")
        .order_by("id")
    ]
    by_person: dict[int, list[PayeeAccount]] = {person.pk: [] for person in members}
    for account in PayeeAccount.objects.filter(person__in=members).order_by("-id"):
        by_person[account.person_id].append(account)
    return [(person, by_person[person.pk]) for person in members]
