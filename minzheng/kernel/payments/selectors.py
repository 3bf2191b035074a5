"""Reads of the payments kernel, always inside the actor's regions; never a full account number."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from minzheng.common.errors import NotFound
from minzheng.kernel.accounts.permissions import Perm, scope_paths
from minzheng.kernel.payments.models import PayeeAccount, PaymentBatch, PaymentLine
from minzheng.kernel.regions.selectors import path_filter

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.people.models import Person

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
    *, actor: User, programme: str | None = None, month: Any = None
) -> QuerySet[PaymentBatch]:
    """Batches of the counties inside the actor's regions (county grants and above: a batch
    holds every town of its county)."""
    paths = _paths(actor)
    qs = PaymentBatch.objects.filter(path_filter(paths, field="county")).select_related("county")
    if programme:
        qs = qs.filter(programme=programme)
    if month is not None:
        qs = qs.filter(month=month)
    return qs


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
