"""Writes of the payments kernel. Each is one transaction with its audit event.

Payee accounts · payroll generation (bulk, exactly once) · the batch's steps (submit, send
back, approve, bank file, settlement), each a workflow step through `transition_apply`
(ADR 0017, 0018) · returned payments and reissue · back pay and overpayments.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, TYPE_CHECKING

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common import crypto
from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.common.masking import mask_name
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.payments import bankfile, hooks
from minzheng.kernel.payments.entitlements import (
    EntitlementQuery,
    Entitlements,
    month_index,
    month_of_index,
)
from minzheng.kernel.payments.models import (
    ACCOUNT_NUMBER_PURPOSE,
    AccountStatus,
    BankFileExport,
    BatchState,
    LineKind,
    LineStatus,
    Overpayment,
    PayeeAccount,
    PaymentBatch,
    PaymentLine,
)
from minzheng.kernel.payments.writer import WriteResult, write_lines
from minzheng.kernel.regions.models import Region, RegionLevel
from minzheng.kernel.workflow.services import case_number_next, case_open, transition_apply

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.people.models import Person

ACCOUNT_NUMBER_RE = re.compile(r"^\d{8,30}$")
BANK_CODE_RE = re.compile(r"^\d{12}$")
CENT = Decimal("0.01")


def _require(actor: User | None, perm: Perm, region: Region, message: str) -> None:
    """Refuse unless the actor holds ``perm`` over ``region``; None is the system itself."""
    if actor is not None and not has_perm(actor, perm, region):
        raise PermissionRefused(message)


# --- payee accounts -------------------------------------------------------------------------


def normalise_account_number(raw: str) -> str:
    value = (raw or "").replace(" ", "").replace("-", "")
    if not ACCOUNT_NUMBER_RE.match(value):
        raise ValidationFailed(
            _("A bank account number is 8 to 30 digits."), field="account_number"
        )
    return value


def mask_account_number(value: str) -> str:
    """6222 **** **** 1234: the bank's prefix and the last four digits stay visible."""
    return f"{value[:4]} **** **** {value[-4:]}"


def account_number_digest(value: str) -> str:
    return crypto.blind_index(normalise_account_number(value), purpose=ACCOUNT_NUMBER_PURPOSE)


def payee_account_create(
    *,
    actor: User | None,
    person: Person,
    bank_name: str,
    bank_code: str,
    account_number: str,
    holder_name: str | None = None,
) -> PayeeAccount:
    """Record a person's payee account; the person's previous active account is closed."""
    number = normalise_account_number(account_number)
    if not BANK_CODE_RE.match(bank_code or ""):
        raise ValidationFailed(_("The bank code (行号) is 12 digits."), field="bank_code")
    if not (bank_name or "").strip():
        raise ValidationFailed(_("Enter the bank name."), field="bank_name")
    holder = (holder_name or person.name).strip()
    if holder != person.name:
        raise ValidationFailed(
            _("The account holder must be the person: the bank refuses other names."),
            field="holder_name",
        )
    _require(
        actor,
        Perm.PAYMENTS_PAYEE_CHANGE,
        person.residence_region,
        _("You may not record bank accounts of this person."),
    )
    with transaction.atomic():
        previous = list(
            PayeeAccount.objects.select_for_update().filter(
                person=person, status=AccountStatus.ACTIVE
            )
        )
        for old in previous:
            _close(old, _("Replaced by a new account."))
        account = PayeeAccount.objects.create(
            person=person,
            holder_name=holder,
            holder_name_masked=mask_name(holder),
            bank_name=bank_name.strip(),
            bank_code=bank_code,
            account_number_ciphertext=crypto.encrypt(number, purpose=ACCOUNT_NUMBER_PURPOSE),
            account_number_digest=crypto.blind_index(number, purpose=ACCOUNT_NUMBER_PURPOSE),
            account_number_masked=mask_account_number(number),
        )
        audit_record(
            actor=actor,
            action="payments.payee_account.create",
            obj=account,
            region_code=person.residence_region.code,
            changes={
                "person": person.pk,
                "bank_code": bank_code,
                "account_number": account.account_number_masked,
                "replaces": [old.pk for old in previous],
            },
        )
        hooks.account_recorded(account)
    return account


def _close(account: PayeeAccount, reason: str) -> None:
    account.status = AccountStatus.CLOSED
    account.closed_at = timezone.now()
    account.closed_reason = reason
    account.save(update_fields=["status", "closed_at", "closed_reason", "updated_at"])


def payee_account_close(*, actor: User | None, account: PayeeAccount, reason: str) -> PayeeAccount:
    """Close an account (the bank closed it, the person asked): no new line will use it."""
    if not reason.strip():
        raise ValidationFailed(_("Give the reason for closing the account."), field="reason")
    with transaction.atomic():
        locked = (
            PayeeAccount.objects.select_for_update()
            .select_related("person__residence_region")
            .get(pk=account.pk)
        )
        region = locked.person.residence_region
        _require(
            actor,
            Perm.PAYMENTS_PAYEE_CHANGE,
            region,
            _("You may not change bank accounts of this person."),
        )
        if locked.status == AccountStatus.CLOSED:
            raise Conflict(_("This account is already closed."), code="already_closed")
        _close(locked, reason.strip())
        audit_record(
            actor=actor,
            action="payments.payee_account.close",
            obj=locked,
            region_code=region.code,
            reason=reason.strip(),
        )
    return locked


def payee_account_reveal(*, actor: User, account: PayeeAccount, reason: str) -> str:
    """The full account number, for an actor allowed to see it; every reveal is audited."""
    if not reason.strip():
        raise ValidationFailed(
            _("Give the reason for viewing the full account number."), field="reason"
        )
    region = account.person.residence_region
    if not has_perm(actor, Perm.PAYMENTS_PAYEE_REVEAL, region):
        raise PermissionRefused(
            _("You may not view full account numbers of this person."), code="reveal_denied"
        )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="payments.payee_account.reveal",
            obj=account,
            region_code=region.code,
            reason=reason.strip(),
        )
    return crypto.decrypt(account.account_number_ciphertext, purpose=ACCOUNT_NUMBER_PURPOSE)


# --- batches and generation -----------------------------------------------------------------


@dataclass(frozen=True)
class GenerationResult:
    batch: PaymentBatch | None  # None when nothing was left to pay
    inserted: int
    already_paid: int
    rejected: int  # no active payee account, region outside the county, amount not > 0


def _first_of_month(month: dt.date) -> dt.date:
    return month.replace(day=1)


def _county(county: Region | str) -> Region:
    region = county if isinstance(county, Region) else Region.objects.filter(code=county).first()
    if region is None or region.level != RegionLevel.COUNTY:
        raise ValidationFailed(_("Choose a county."), field="county")
    return region


def batch_case_prefix(county: Region, month: dt.date) -> str:
    """Case numbers of batches: "FF-<county code>-<yyyymm>-00001" (发放), one sequence per
    county and month across programmes."""
    return f"FF-{county.code}-{month:%Y%m}"


def _batch_opened(*, actor: User | None, batch: PaymentBatch, kind: str) -> None:
    """The batch's first step ("generate") and first task, once it holds lines."""
    case_open(
        actor=actor,
        case=batch,
        transition="generate",
        payload={
            "programme": batch.programme,
            "month": batch.month.isoformat(),
            "kind": kind,
            "lines": batch.line_count,
            "total": str(batch.total_amount),
        },
    )


class _NothingToPay(Exception):
    """Rolls back a batch created for a run that inserted no line (no empty batch, no gap)."""

    def __init__(self, result: WriteResult) -> None:
        self.result = result


def _open_batch(
    *, actor: User | None, programme: str, label: str, county: Region, month: dt.date
) -> tuple[PaymentBatch, bool]:
    """The county's batch of the month still open for lines, or a new (supplementary) one.

    Two concurrent runs race on the unique (programme, county, month, sequence): the loser
    waits for the winner's commit, gets the IntegrityError and takes the winner's batch.
    """
    for _attempt in range(5):
        batch = (
            PaymentBatch.objects.select_for_update()
            .filter(programme=programme, county=county, month=month, state=BatchState.GENERATED)
            .order_by("-sequence")
            .first()
        )
        if batch is not None:
            return batch, False
        last = PaymentBatch.objects.filter(
            programme=programme, county=county, month=month
        ).aggregate(n=Max("sequence"))["n"]
        try:
            with transaction.atomic():
                batch = PaymentBatch.objects.create(
                    case_number=case_number_next(prefix=batch_case_prefix(county, month)),
                    programme=programme,
                    programme_label=label,
                    county=county,
                    month=month,
                    sequence=(last or 0) + 1,
                    generated_by=actor if actor is not None and actor.is_authenticated else None,
                )
            return batch, True
        except IntegrityError:
            continue
    raise Conflict(_("Another payroll run keeps creating batches; try again."), code="busy")


def _recount(batch: PaymentBatch) -> None:
    totals = PaymentLine.objects.filter(batch=batch).aggregate(n=Count("id"), total=Sum("amount"))
    PaymentBatch.objects.filter(pk=batch.pk).update(
        line_count=totals["n"] or 0, total_amount=totals["total"] or 0, updated_at=timezone.now()
    )
    batch.line_count = totals["n"] or 0
    batch.total_amount = totals["total"] or 0


def payment_batch_generate(
    *,
    actor: User | None,
    programme: str,
    county: Region | str,
    month: dt.date,
    entitlements: Entitlements | EntitlementQuery,
    label: str | None = None,
    kind: str = LineKind.REGULAR,
) -> GenerationResult:
    """Write the month's payment lines of one county in bulk, exactly once.

    Lines already in any batch (same programme, beneficiary, month, kind and month paid for)
    are left alone by the database's unique constraint, so calling this again, concurrently
    or after a crash pays nobody twice. New lines go into the county's open batch; when the
    month's batch is already submitted, into a supplementary one.
    """
    county = _county(county)
    month = _first_of_month(month)
    _require(
        actor,
        Perm.PAYMENTS_PREPARE,
        county,
        _("You may not prepare payments of %(county)s.") % {"county": county.name},
    )
    if kind not in (LineKind.REGULAR, LineKind.BACK_PAY):
        raise ValidationFailed(_("Unknown kind of payment."), field="kind")
    if kind == LineKind.BACK_PAY and getattr(entitlements, "for_months", None) is None:
        raise ValidationFailed(_("Back pay needs the month it makes up."), field="for_months")
    if isinstance(entitlements, Entitlements):  # a query's rows are checked once staged
        keys = entitlements.beneficiary_ids
        if entitlements.for_months is not None:
            keys = keys * 10_000 + entitlements.for_months
        ordered = np.sort(keys)  # a neighbour check: several times cheaper than np.unique
        if (ordered[1:] == ordered[:-1]).any():
            raise ValidationFailed(
                _("A beneficiary appears more than once for the same month."),
                field="entitlements",
            )
    with transaction.atomic():
        final: PaymentBatch | None = None
        try:
            with transaction.atomic():
                batch, created = _open_batch(
                    actor=actor,
                    programme=programme,
                    label=label or programme,
                    county=county,
                    month=month,
                )
                result = write_lines(
                    batch_id=batch.pk,
                    programme=programme,
                    kind=kind,
                    month=month,
                    county_path=county.path,
                    entitlements=entitlements,
                )
                if created and result.inserted == 0:
                    raise _NothingToPay(result)
        except _NothingToPay as nothing:
            result = nothing.result
        else:
            final = batch
            if result.inserted_fen is not None:
                # The batch row is locked (_open_batch), so adding to its totals is exact, and
                # the instance's totals are the row's: no need to read them back.
                added = Decimal(result.inserted_fen) / 100
                PaymentBatch.objects.filter(pk=batch.pk).update(
                    line_count=F("line_count") + result.inserted,
                    total_amount=F("total_amount") + added,
                    updated_at=timezone.now(),
                )
                batch.line_count += result.inserted
                batch.total_amount = (Decimal(batch.total_amount) + added).quantize(CENT)
            else:
                _recount(batch)
            if created:
                _batch_opened(actor=actor, batch=batch, kind=kind)
        already = result.staged - result.inserted - result.rejected
        audit_record(
            actor=actor,
            action="payments.batch.generate",
            obj=final,
            object_type="payments.paymentbatch",
            region_code=county.code,
            changes={
                "programme": programme,
                "month": month.isoformat(),
                "kind": kind,
                "inserted": result.inserted,
                "already_paid": already,
                "rejected": result.rejected,
            },
        )
    return GenerationResult(
        batch=final, inserted=result.inserted, already_paid=already, rejected=result.rejected
    )


# --- the batch's steps: all through the workflow kernel's transition_apply ----------------
#
# transition_apply locks the batch row, checks the state table, the step's permission over
# the county, maker-checker (the submitter, and by `case_check_actor` the generator, may not
# approve) and a required reason, writes the CaseStep (the batch's timeline), moves its task
# and appends the audit event "payments.paymentbatch.<step>". The services below add only
# what a step writes to other tables, in the same transaction.


def payment_batch_submit(*, actor: User, batch: PaymentBatch, note: str = "") -> PaymentBatch:
    """The preparer submits the batch for approval; its lines are frozen from now on."""
    return transition_apply(actor=actor, case=batch, transition="submit", note=note)


def payment_batch_send_back(*, actor: User, batch: PaymentBatch, reason: str) -> PaymentBatch:
    """The checker returns a submitted batch to its preparer, with a reason."""
    return transition_apply(actor=actor, case=batch, transition="send_back", reason=reason)


def payment_batch_approve(*, actor: User, batch: PaymentBatch, note: str = "") -> PaymentBatch:
    """The checker approves a submitted batch; whoever prepared it may not (maker-checker)."""
    return transition_apply(actor=actor, case=batch, transition="approve", note=note)


# --- bank file ------------------------------------------------------------------------------


def payment_batch_export(
    *, actor: User, batch: PaymentBatch, out: IO[bytes], file_format: str = "csv"
) -> BankFileExport:
    """Write the bank file of an approved batch into ``out`` (audited as "bank file exported").

    The full account numbers are decrypted here and only here, streaming, from the batch's
    snapshot. The first export is the step "export" (approved → exported); a later one is
    the step "export_again", which writes the same content again (and is audited again).
    """
    if file_format not in bankfile.FORMATS:
        raise ValidationFailed(_("Unknown bank file format."), field="file_format")
    # The caller's instance may be stale (a second download): choose the step from the row;
    # transition_apply re-checks it under the row lock.
    current = PaymentBatch.objects.filter(pk=batch.pk).values_list("state", flat=True).first()
    step = "export" if current == BatchState.APPROVED else "export_again"
    with transaction.atomic():
        locked = transition_apply(
            actor=actor, case=batch, transition=step, payload={"format": file_format}
        )
        digest = hashlib.sha256()
        hashing = bankfile.HashingWriter(out, digest)
        count = bankfile.write(locked, hashing, file_format=file_format)
        export = BankFileExport.objects.create(
            batch=locked,
            file_format=file_format,
            exported_by=actor if actor.is_authenticated else None,
            line_count=count,
            sha256=digest.hexdigest(),
        )
        audit_record(
            actor=actor,
            action="payments.bank_file.export",
            obj=locked,
            region_code=locked.county.code,
            changes={"format": file_format, "lines": count, "sha256": export.sha256},
        )
    return export


# --- settlement, returns and reissue --------------------------------------------------------


@dataclass(frozen=True)
class ReturnedPayment:
    """One row of the bank's return list: our line reference, optionally the account."""

    line_id: int
    reason: str
    account_number: str = ""


def _return_problems(batch: PaymentBatch, by_id: dict[int, ReturnedPayment]) -> list[str]:
    found = {
        line_id: (status, digest)
        for line_id, status, digest in PaymentLine.objects.filter(
            batch=batch, pk__in=list(by_id)
        ).values_list("pk", "status", "payee_account__account_number_digest")
    }
    problems = []
    for line_id, returned in by_id.items():
        if line_id not in found:
            problems.append(_("line %(id)s is not in this batch") % {"id": line_id})
        elif found[line_id][0] == LineStatus.RETURNED:
            problems.append(_("line %(id)s is already returned") % {"id": line_id})
        elif returned.account_number and (
            account_number_digest(returned.account_number) != found[line_id][1]
        ):
            problems.append(
                _("line %(id)s was paid to another account than the bank reports") % {"id": line_id}
            )
        elif not returned.reason.strip():
            problems.append(_("line %(id)s has no reason") % {"id": line_id})
    return problems


def payment_batch_settle(
    *, actor: User, batch: PaymentBatch, returns: Iterable[ReturnedPayment] = ()
) -> PaymentBatch:
    """Record the bank's result: the listed lines were returned, the others paid.

    Without returns this is the step "settle" (exported → settled, every line paid). With
    returns it is "record_returns": on an exported batch it settles it partly returned, on
    a settled batch it records returns the bank reported later.
    """
    returns = list(returns)
    by_id = {r.line_id: r for r in returns}
    if len(by_id) != len(returns):
        raise ValidationFailed(_("A line appears twice in the return list."))
    with transaction.atomic():
        locked = transition_apply(
            actor=actor,
            case=batch,
            transition="record_returns" if returns else "settle",
            payload={"returned": sorted(by_id)} if returns else None,
        )
        problems = _return_problems(locked, by_id)
        if problems:
            raise ValidationFailed(
                _("The return list does not match the batch: %(problems)s.")
                % {"problems": "; ".join(problems)}
            )
        now = timezone.now()
        # Lines still pending were paid: only the first settlement finds any.
        PaymentLine.objects.filter(batch=locked, status=LineStatus.PENDING).update(
            status=LineStatus.PAID
        )
        for line_id, returned in by_id.items():
            PaymentLine.objects.filter(pk=line_id).update(
                status=LineStatus.RETURNED,
                return_reason=returned.reason.strip()[:200],
                returned_at=now,
            )
    return locked


def payment_line_reissue(
    *,
    actor: User | None,
    line: PaymentLine,
    month: dt.date | None = None,
    payee_account: PayeeAccount | None = None,
) -> PaymentLine:
    """Pay a returned line again, to the person's corrected account, in the open batch of
    ``month`` (this month by default). A line is reissued at most once (unique)."""
    month = _first_of_month(month or timezone.localdate())
    with transaction.atomic():
        original = (
            PaymentLine.objects.select_for_update()
            .select_related("batch__county", "payee_account")
            .get(pk=line.pk)
        )
        county = original.batch.county
        _require(
            actor,
            Perm.PAYMENTS_PREPARE,
            county,
            _("You may not prepare payments of %(county)s.") % {"county": county.name},
        )
        if original.status != LineStatus.RETURNED:
            raise Conflict(_("Only a returned payment can be reissued."), code="not_returned")
        if payee_account is None:
            payee_account = PayeeAccount.objects.filter(
                person_id=original.payee_account.person_id, status=AccountStatus.ACTIVE
            ).first()
        if payee_account is None or payee_account.status != AccountStatus.ACTIVE:
            raise ValidationFailed(
                _("Record the corrected bank account before reissuing."), field="payee_account"
            )
        if payee_account.pk == original.payee_account_id:
            raise ValidationFailed(
                _("The payment was returned from this account: record the corrected one first."),
                field="payee_account",
            )
        batch, created = _open_batch(
            actor=actor,
            programme=original.programme,
            label=original.batch.programme_label,
            county=county,
            month=month,
        )
        try:
            with transaction.atomic():
                reissue = PaymentLine.objects.create(
                    batch=batch,
                    programme=original.programme,
                    beneficiary_kind=original.beneficiary_kind,
                    beneficiary_id=original.beneficiary_id,
                    month=month,
                    for_month=original.for_month,
                    kind=LineKind.REISSUE,
                    reissue_of=original,
                    amount=original.amount,
                    members=original.members,
                    region_id=original.region_id,
                    payee_account=payee_account,
                    holder_name=payee_account.holder_name,
                    holder_name_masked=payee_account.holder_name_masked,
                    account_number_ciphertext=payee_account.account_number_ciphertext,
                    account_number_masked=payee_account.account_number_masked,
                    bank_code=payee_account.bank_code,
                    bank_name=payee_account.bank_name,
                    created_at=timezone.now(),
                )
        except IntegrityError:
            raise Conflict(
                _("This payment has already been reissued."), code="already_reissued"
            ) from None
        _recount(batch)
        if created:
            _batch_opened(actor=actor, batch=batch, kind=LineKind.REISSUE)
        audit_record(
            actor=actor,
            action="payments.line.reissue",
            obj=reissue,
            region_code=county.code,
            changes={"reissue_of": original.pk, "batch": batch.pk, "amount": str(reissue.amount)},
        )
    return reissue


# --- back pay -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackPayPlan:
    """Differences between what is due and what was paid, per (beneficiary, month)."""

    back_pay: Entitlements  # positive differences, with for_months
    overpaid_beneficiary_ids: np.ndarray
    overpaid_for_months: np.ndarray
    overpaid_fen: np.ndarray


def paid_fen(
    *, programme: str, beneficiary_kind: str, months: Iterable[dt.date]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Net amount already settled per (beneficiary, month paid for), in fen, as arrays.

    Counts every line that was not returned (regular, back pay and reissues) and subtracts
    overpayments already recorded, so a back-pay re-run finds nothing left to do.
    """
    month_list = [_first_of_month(m) for m in months]
    rows = (
        PaymentLine.objects.filter(
            programme=programme, beneficiary_kind=beneficiary_kind, for_month__in=month_list
        )
        .exclude(status=LineStatus.RETURNED)
        .values("beneficiary_id", "for_month")
        .annotate(total=Sum("amount"))
        .values_list("beneficiary_id", "for_month", "total")
    )
    over = (
        Overpayment.objects.filter(
            programme=programme, beneficiary_kind=beneficiary_kind, for_month__in=month_list
        )
        .values("beneficiary_id", "for_month")
        .annotate(total=Sum("amount"))
        .values_list("beneficiary_id", "for_month", "total")
    )
    totals: dict[tuple[int, int], int] = {}
    for beneficiary, for_month, total in rows:
        key = (beneficiary, month_index(for_month))
        totals[key] = totals.get(key, 0) + int(total * 100)
    for beneficiary, for_month, total in over:
        key = (beneficiary, month_index(for_month))
        totals[key] = totals.get(key, 0) - int(total * 100)
    ids = np.fromiter((k[0] for k in totals), dtype=np.int64, count=len(totals))
    months_ = np.fromiter((k[1] for k in totals), dtype=np.int32, count=len(totals))
    amounts = np.fromiter(totals.values(), dtype=np.int64, count=len(totals))
    return ids, months_, amounts


def back_pay_plan(*, programme: str, due: Entitlements) -> BackPayPlan:
    """Compare ``due`` (per beneficiary and month, with for_months) with what was paid."""
    if due.for_months is None:
        raise ValidationFailed(_("Back pay needs the month it makes up."), field="for_months")
    months = {month_of_index(m) for m in np.unique(due.for_months).tolist()}
    paid_ids, paid_months, paid_amounts = paid_fen(
        programme=programme, beneficiary_kind=due.beneficiary_kind, months=months
    )
    due_keys = due.beneficiary_ids * 10_000 + due.for_months
    paid_keys = paid_ids * 10_000 + paid_months
    order = np.argsort(paid_keys)
    paid_keys, paid_amounts = paid_keys[order], paid_amounts[order]
    position = np.searchsorted(paid_keys, due_keys)
    position = np.minimum(position, max(len(paid_keys) - 1, 0))
    matched = (
        (paid_keys[position] == due_keys) if len(paid_keys) else np.zeros(len(due), dtype=bool)
    )
    already = np.where(matched, paid_amounts[position] if len(paid_keys) else 0, 0)
    difference = due.amounts_fen - already
    positive = difference > 0
    back_pay = due.take(positive)
    back_pay = Entitlements(
        beneficiary_ids=back_pay.beneficiary_ids,
        payee_account_ids=back_pay.payee_account_ids,
        amounts_fen=difference[positive],
        members=back_pay.members,
        region_ids=back_pay.region_ids,
        beneficiary_kind=due.beneficiary_kind,
        for_months=back_pay.for_months,
    )
    negative = difference < 0
    return BackPayPlan(
        back_pay=back_pay,
        overpaid_beneficiary_ids=due.beneficiary_ids[negative],
        overpaid_for_months=due.for_months[negative],
        overpaid_fen=-difference[negative],
    )


def payment_back_pay_generate(
    *,
    actor: User | None,
    programme: str,
    county: Region | str,
    month: dt.date,
    due: Entitlements,
    label: str | None = None,
) -> tuple[GenerationResult, int]:
    """Back pay (补发) for past months after a retroactive approval or standard change.

    ``due`` holds what each beneficiary should have received for each past month. Positive
    differences become back-pay lines paid in ``month``; negative ones are recorded as
    overpayments to recover, never netted against other months. Returns the generation
    result and the number of overpayments recorded.
    """
    county = _county(county)
    month = _first_of_month(month)
    if due.for_months is not None and (due.for_months >= month_index(month)).any():
        raise ValidationFailed(_("Back pay is for months before the month paid."))
    with transaction.atomic():
        plan = back_pay_plan(programme=programme, due=due)
        result = payment_batch_generate(
            actor=actor,
            programme=programme,
            county=county,
            month=month,
            entitlements=plan.back_pay,
            label=label,
            kind=LineKind.BACK_PAY,
        )
        overpayments = [
            Overpayment(
                programme=programme,
                beneficiary_kind=due.beneficiary_kind,
                beneficiary_id=beneficiary,
                for_month=month_of_index(for_month),
                detected_month=month,
                county=county,
                amount=Decimal(fen) / 100,
            )
            for beneficiary, for_month, fen in zip(
                plan.overpaid_beneficiary_ids.tolist(),
                plan.overpaid_for_months.tolist(),
                plan.overpaid_fen.tolist(),
                strict=True,
            )
        ]
        created = Overpayment.objects.bulk_create(overpayments, ignore_conflicts=True)
        if overpayments:
            audit_record(
                actor=actor,
                action="payments.overpayment.record",
                object_type="payments.overpayment",
                region_code=county.code,
                changes={
                    "programme": programme,
                    "month": month.isoformat(),
                    "count": len(overpayments),
                    "total_fen": int(plan.overpaid_fen.sum()),
                },
            )
    return result, len(created)
