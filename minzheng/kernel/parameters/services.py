"""Proposing, confirming and withdrawing parameter changes (city administrators)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.parameters.models import ChangeStatus, ParameterChange
from minzheng.kernel.parameters.overlay import leaf
from minzheng.rules import tax_benefit_system

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User


def _require(actor: User | None) -> None:
    if actor is not None and not has_perm(actor, Perm.PARAMETERS_CHANGE):
        raise PermissionRefused(_("Only city administrators may change policy parameters."))


def _coerce(path: str, raw: Any) -> Any:
    """The value in the type the baseline uses for this parameter (number, boolean or text)."""
    try:
        parameter = leaf(tax_benefit_system().parameters, path)
    except KeyError:
        raise ValidationFailed(
            _("There is no parameter %(path)s.") % {"path": path}, field="path"
        ) from None
    current = next((v.value for v in parameter.values_list if v.value is not None), None)
    if isinstance(current, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"true", "1", "yes", "是"}:
            return True
        if text in {"false", "0", "no", "否"}:
            return False
        raise ValidationFailed(_("Enter yes or no."), field="value")
    if isinstance(current, int | float):
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValidationFailed(_("Enter a number."), field="value") from None
        if not number.is_finite() or number < 0:
            raise ValidationFailed(_("Enter a number of zero or more."), field="value")
        return int(number) if number == number.to_integral_value() else float(number)
    if not str(raw).strip():
        raise ValidationFailed(_("Enter a value."), field="value")
    return str(raw).strip()


def parameter_change_propose(
    *,
    actor: User | None,
    path: str,
    start: dt.date,
    value: Any,
    source_document: str,
    note: str = "",
) -> ParameterChange:
    """Record a proposed value; it affects nothing until confirmed."""
    _require(actor)
    if not source_document.strip():
        raise ValidationFailed(
            _("Name the document that sets this value (e.g. the city government's notice)."),
            field="source_document",
        )
    coerced = _coerce(path, value)
    with transaction.atomic():
        change = ParameterChange.objects.create(
            path=path,
            start=start,
            value=coerced,
            source_document=source_document.strip(),
            note=note.strip(),
            proposed_by=actor if actor and actor.is_authenticated else None,
        )
        audit_record(
            actor=actor,
            action="parameters.change.propose",
            obj=change,
            changes={
                "path": path,
                "start": start,
                "value": coerced,
                "source_document": change.source_document,
            },
        )
    return change


def parameter_change_confirm(*, actor: User | None, change: ParameterChange) -> ParameterChange:
    """Put a proposed change in force from its effective date."""
    _require(actor)
    try:
        with transaction.atomic():
            updated = ParameterChange.objects.filter(
                pk=change.pk, status=ChangeStatus.PROPOSED
            ).update(
                status=ChangeStatus.CONFIRMED,
                decided_at=timezone.now(),
                decided_by=actor if actor and actor.is_authenticated else None,
            )
            if not updated:
                raise Conflict(
                    _("This change is no longer waiting for confirmation."),
                    code="change_not_proposed",
                )
            change.refresh_from_db()
            audit_record(
                actor=actor,
                action="parameters.change.confirm",
                obj=change,
                changes={"path": change.path, "start": change.start, "value": change.value},
            )
    except IntegrityError:
        raise Conflict(
            _("A value for this parameter from %(start)s is already in force; withdraw it first.")
            % {"start": change.start},
            code="change_start_taken",
        ) from None
    return change


def parameter_change_withdraw(
    *, actor: User | None, change: ParameterChange, reason: str
) -> ParameterChange:
    """Withdraw a proposed or confirmed change; a confirmed one stops counting at once."""
    _require(actor)
    if not reason.strip():
        raise ValidationFailed(_("Give the reason for withdrawing the change."), field="reason")
    with transaction.atomic():
        updated = (
            ParameterChange.objects.filter(pk=change.pk)
            .exclude(status=ChangeStatus.WITHDRAWN)
            .update(
                status=ChangeStatus.WITHDRAWN,
                decided_at=timezone.now(),
                decided_by=actor if actor and actor.is_authenticated else None,
            )
        )
        if not updated:
            raise Conflict(_("This change has already been withdrawn."), code="change_withdrawn")
        change.refresh_from_db()
        audit_record(
            actor=actor,
            action="parameters.change.withdraw",
            obj=change,
            changes={"path": change.path, "start": change.start},
            reason=reason,
        )
    return change
