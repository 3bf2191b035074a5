"""The enrolment's payee account (发放账户, ADR 0023): where the monthly payroll pays.

- At approval, the household's head's active payee account (none: the payroll rejects the
  household until one is recorded, and the case page says so).
- A town clerk or the county may choose the account of another current member (a guardian
  paid for a head who cannot hold an account, say), with a reason; audited.
- Kept current by hooks, inside the transaction of the change:
  - an account recorded for a person replaces that person's older accounts on every
    enrolment, and becomes the payee of enrolments without one whose household the person
    heads (the usual order at the counter: approval first, the bank card after);
  - the payee leaving the household, or dying, moves the enrolment to the head's active
    account, or to none when the head is that person or has no account.
  Each hook writes one audit event listing the enrolments it changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.domains.assistance.models import Enrolment
from minzheng.domains.assistance.payroll import NO_ACCOUNT, head_accounts
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.payments import hooks as payment_hooks
from minzheng.kernel.payments.models import AccountStatus, PayeeAccount
from minzheng.kernel.people import hooks as people_hooks
from minzheng.kernel.people.models import Household, Membership, Relation

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

__all__ = ["enrolment_payee_set", "payee_choices", "payee_default"]

AUDIT_LISTED = 1_000  # enrolment ids listed in a hook's audit event at most


def payee_default(household: Household) -> PayeeAccount | None:
    """The head's active payee account: an enrolment's payee at approval."""
    account = int(head_accounts(np.array([household.pk], dtype=np.int64))[0])
    return PayeeAccount.objects.get(pk=account) if account != NO_ACCOUNT else None


def payee_choices(enrolment: Enrolment) -> list[PayeeAccount]:
    """The active accounts of the household's current living members, head first."""
    members = Membership.objects.filter(
        household_id=enrolment.household_id,
        end_date__isnull=True,
        person__death_date__isnull=True,
    )
    heads = set(members.filter(relation=Relation.HEAD).values_list("person_id", flat=True))
    accounts = PayeeAccount.objects.filter(
        person_id__in=members.values("person_id"), status=AccountStatus.ACTIVE
    ).select_related("person")
    return sorted(accounts, key=lambda account: (account.person_id not in heads, account.pk))


def enrolment_payee_set(
    *, actor: User, enrolment: Enrolment, account: PayeeAccount, reason: str
) -> Enrolment:
    """Pay the enrolment to ``account``: an active account of a current living member."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for changing the payee account."), field="reason")
    with transaction.atomic():
        locked = Enrolment.objects.select_for_update().select_related("region").get(pk=enrolment.pk)
        if not has_perm(actor, Perm.PAYMENTS_PAYEE_CHANGE, locked.region):
            raise PermissionRefused(
                _("You may not change the payee account of this enrolment."), code="payee_denied"
            )
        if account.pk not in {choice.pk for choice in payee_choices(locked)}:
            raise ValidationFailed(
                _(
                    "The payee account must be an active account of a living member of the"
                    " household."
                ),
                field="account",
            )
        if locked.payee_account_id == account.pk:
            raise Conflict(_("The enrolment is already paid to this account."), code="unchanged")
        before = locked.payee_account
        locked.payee_account = account
        locked.save(update_fields=["payee_account", "updated_at"])
        audit_record(
            actor=actor,
            action="assistance.enrolment.payee_change",
            obj=locked,
            region_code=locked.region.code,
            changes={
                "payee_account": [
                    before.account_number_masked if before else None,
                    account.account_number_masked,
                ]
            },
            reason=reason,
        )
    return locked


def _audit_followed(enrolment_ids: list[int], cause: str, **facts: object) -> None:
    if not enrolment_ids:
        return
    audit_record(
        actor=None,
        action="assistance.enrolment.payee_follow",
        object_type="assistance.enrolment",
        changes={
            "cause": cause,
            **facts,
            "enrolments": sorted(enrolment_ids)[:AUDIT_LISTED],
            "_not_listed": max(len(enrolment_ids) - AUDIT_LISTED, 0),
        },
    )


def account_recorded(account: PayeeAccount) -> None:
    """A new account of a person: it replaces the person's older accounts on enrolments, and
    pays enrolments without a payee of the households the person heads."""
    heads = Membership.objects.filter(
        person_id=account.person_id, relation=Relation.HEAD, end_date__isnull=True
    ).values("household_id")
    older = PayeeAccount.objects.filter(person_id=account.person_id).exclude(pk=account.pk)
    affected = Enrolment.objects.filter(
        Q(payee_account__in=older.values("pk"))
        | Q(payee_account__isnull=True, household_id__in=heads)
    )
    ids = list(affected.values_list("pk", flat=True))
    if ids:
        Enrolment.objects.filter(pk__in=ids).update(payee_account=account)
    _audit_followed(ids, "account_recorded", account=account.pk)


def _repoint(enrolments: list[tuple[int, int]], gone_person: int, cause: str) -> None:
    """Move (enrolment id, household id) pairs off ``gone_person``'s accounts: to their
    household's head's active account, or to none."""
    if not enrolments:
        return
    households = np.array([household for _pk, household in enrolments], dtype=np.int64)
    accounts = head_accounts(households).tolist()
    own = set(PayeeAccount.objects.filter(person_id=gone_person).values_list("pk", flat=True))
    by_account: dict[int | None, list[int]] = {}
    for (pk, _household), account in zip(enrolments, accounts, strict=True):
        target = None if account == NO_ACCOUNT or account in own else int(account)
        by_account.setdefault(target, []).append(pk)
    for target, ids in by_account.items():
        Enrolment.objects.filter(pk__in=ids).update(payee_account_id=target)
    _audit_followed([pk for pk, _household in enrolments], cause, person=gone_person)


def _paid_to(person_id: int) -> Q:
    return Q(payee_account__person_id=person_id)


def member_left(household_id: int, person_id: int) -> None:
    enrolments = Enrolment.objects.filter(_paid_to(person_id), household_id=household_id)
    _repoint(list(enrolments.values_list("pk", "household_id")), person_id, "member_left")


def person_died(person_id: int) -> None:
    enrolments = Enrolment.objects.filter(_paid_to(person_id))
    _repoint(list(enrolments.values_list("pk", "household_id")), person_id, "person_died")


def register_hooks() -> None:
    payment_hooks.account_recorded.register("assistance.payee", account_recorded)
    people_hooks.member_left.register("assistance.payee", member_left)
    people_hooks.person_died.register("assistance.payee", person_died)
