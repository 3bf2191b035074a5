"""Reads of the assistance domain, always inside the actor's regions."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from minzheng.domains.assistance.models import Determination
from minzheng.kernel.people.selectors import household_scope

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User


def determination_list(
    *, actor: User, period: dt.date, on_dibao: bool | None = None
) -> QuerySet[Determination]:
    """The month's determinations of households in the actor's regions."""
    qs = Determination.objects.filter(
        household__in=_households_in_scope(actor), period=period.replace(day=1)
    )
    if on_dibao is not None:
        qs = qs.filter(on_dibao=on_dibao)
    return qs.select_related("household", "household__region").order_by("household_id")


def _households_in_scope(actor: User):  # type: ignore[no-untyped-def]
    from minzheng.kernel.people.models import Household

    return Household.objects.filter(household_scope(actor)).values("pk")
