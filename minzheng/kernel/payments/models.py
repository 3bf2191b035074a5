"""Tables of the payments kernel: payee accounts, payment batches and their lines.

A line is unique per (programme, beneficiary, month, kind, for_month), enforced by the
database, so a re-run, a concurrent run or a resumed run of a payroll never pays twice.
Each line carries a frozen snapshot of what the bank file needs (holder, account ciphertext,
bank code, amount), so later edits of the register never change a batch. A batch is a
workflow case (`CaseModel`): its state changes only through the workflow kernel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from minzheng.common.errors import PermissionRefused
from minzheng.common.models import TimeStampedModel
from minzheng.kernel.accounts.models import Role
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.workflow.fsm import LABEL, NOT_BY_ACTOR_OF, REASON_REQUIRED, condition
from minzheng.kernel.workflow.models import CaseModel, TaskSpec

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.regions.models import Region

ACCOUNT_NUMBER_PURPOSE = "payee.account_number"


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class PayeeAccount(TimeStampedModel):
    """The bank account into which a beneficiary's payments go (代发账户).

    The account number is stored like an ID number: AES-GCM ciphertext, a blind index
    for exact look-up and a masked form for display.
    """

    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="payee_accounts",
        verbose_name=_("account holder (person)"),
    )
    holder_name = models.CharField(_("account holder name"), max_length=50)
    holder_name_masked = models.CharField(_("account holder"), max_length=50, editable=False)
    bank_name = models.CharField(_("bank name"), max_length=80)
    bank_code = models.CharField(_("bank code"), max_length=12)
    account_number_ciphertext = models.BinaryField(editable=False)
    account_number_digest = models.CharField(max_length=32, db_index=True, editable=False)
    account_number_masked = models.CharField(_("account number"), max_length=40, editable=False)
    status = models.CharField(
        _("status"), max_length=8, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_reason = models.CharField(_("reason for closing"), max_length=200, blank=True)

    history = HistoricalRecords(excluded_fields=["account_number_ciphertext"])

    class Meta:
        ordering = ["id"]
        verbose_name = _("payee account")
        verbose_name_plural = _("payee accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(status="active"),
                name="payee_one_active_account_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder_name} {self.bank_name} {self.account_number_masked}"


class BatchState(models.TextChoices):
    GENERATED = "generated", _("Generated")
    PREPARED = "prepared", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    EXPORTED = "exported", _("Bank file made")
    SETTLED = "settled", _("Settled")
    PARTLY_RETURNED = "partly_returned", _("Settled with returns")


B = BatchState


# Permissions of the batch steps: (batch, user) -> bool, scoped on the batch's county.


def _may_prepare(batch: Any, user: Any) -> bool:
    return has_perm(user, Perm.PAYMENTS_PREPARE, batch.county)


def _may_approve(batch: Any, user: Any) -> bool:
    return has_perm(user, Perm.PAYMENTS_APPROVE, batch.county)


def _may_export(batch: Any, user: Any) -> bool:
    return has_perm(user, Perm.PAYMENTS_EXPORT, batch.county)


@condition(_("The batch has no lines."))
def _has_lines(batch: PaymentBatch) -> bool:
    return batch.line_count > 0


class PaymentBatch(CaseModel):
    """One county's payments of one programme for one month (a supplementary batch gets the
    next sequence number): a workflow case (ADR 0017, 0018).

    Its state changes only through `minzheng.kernel.workflow.services.transition_apply`
    (called by the services in `services.py`); the transitions below are the whole state
    table and set fields of the batch row only. The batch's timeline is its `CaseStep` rows.
    """

    programme = models.CharField(_("programme"), max_length=40)
    county = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    month = models.DateField(_("month"))
    sequence = models.PositiveSmallIntegerField(_("sequence"), default=1)
    programme_label = models.CharField(_("programme name on the bank file"), max_length=40)
    state = FSMField(
        _("state"),
        max_length=16,
        choices=BatchState.choices,
        default=BatchState.GENERATED,
        protected=True,
    )
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    total_amount = models.DecimalField(_("total"), max_digits=16, decimal_places=2, default=0)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    prepared_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month", "programme", "county_id", "sequence"]
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "county", "month", "sequence"], name="payment_batch_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.county_id} {self.month:%Y-%m} #{self.sequence}"

    # -- the kernel's hooks ------------------------------------------------------------

    def case_region(self) -> Region:
        return self.county

    def case_task(self) -> TaskSpec | None:
        """The county's payroll staff hold every open step of a batch (no legal deadline)."""
        action = {
            B.GENERATED: "submit",
            B.PREPARED: "approve",
            B.APPROVED: "export",
            B.EXPORTED: "settle",
        }.get(B(self.state))
        if action is None:
            return None
        return TaskSpec(
            role=Role.COUNTY_APPROVER, region=self.county, action=action, working_days=None
        )

    def case_check_actor(self, transition: str, actor: User | None) -> None:
        """Maker-checker beyond the kernel's: whoever generated the batch may not approve it."""
        if transition != "approve" or actor is None or self.generated_by_id is None:
            return
        if actor.pk == self.generated_by_id:
            raise PermissionRefused(
                _("You generated this batch: another person must approve it (maker-checker)."),
                code="maker_checker",
            )

    # -- the state table -----------------------------------------------------------------

    @transition(
        field=state,
        source=B.GENERATED,
        target=B.PREPARED,
        permission=_may_prepare,
        conditions=[_has_lines],
        custom={LABEL: _("Submit for approval")},
    )
    def submit(self, *, actor: User) -> dict[str, Any]:
        """From now on the lines are frozen: generation opens a supplementary batch."""
        self.prepared_by = actor
        self.prepared_at = timezone.now()
        return {"lines": self.line_count, "total": str(self.total_amount)}

    @transition(
        field=state,
        source=B.PREPARED,
        target=B.GENERATED,
        permission=_may_approve,
        custom={LABEL: _("Send back"), REASON_REQUIRED: True},
    )
    def send_back(self, *, actor: User) -> None:
        """The batch is open again for its preparer (and for new lines)."""

    @transition(
        field=state,
        source=B.PREPARED,
        target=B.APPROVED,
        permission=_may_approve,
        custom={LABEL: _("Approve"), NOT_BY_ACTOR_OF: ("submit",)},
    )
    def approve(self, *, actor: User) -> dict[str, Any]:
        self.approved_by = actor
        self.approved_at = timezone.now()
        return {"lines": self.line_count, "total": str(self.total_amount)}

    @transition(
        field=state,
        source=B.APPROVED,
        target=B.EXPORTED,
        permission=_may_export,
        custom={LABEL: _("Make the bank file")},
    )
    def export(self, *, actor: User) -> None:
        """The service writes the file and its BankFileExport row in the same transaction."""
        self.exported_at = timezone.now()

    @transition(
        field=state,
        source=[B.EXPORTED, B.SETTLED, B.PARTLY_RETURNED],
        target=None,
        permission=_may_export,
        custom={LABEL: _("Make the bank file again")},
    )
    def export_again(self, *, actor: User) -> None:
        """Writes the same content again (from the frozen lines); the state stays."""

    @transition(
        field=state,
        source=B.EXPORTED,
        target=B.SETTLED,
        permission=_may_prepare,
        custom={LABEL: _("Settle")},
    )
    def settle(self, *, actor: User) -> None:
        """The bank paid every line; the service marks the pending lines paid."""
        self.settled_at = self.settled_at or timezone.now()

    @transition(
        field=state,
        source=[B.EXPORTED, B.SETTLED, B.PARTLY_RETURNED],
        target=B.PARTLY_RETURNED,
        permission=_may_prepare,
        custom={LABEL: _("Record returned payments")},
    )
    def record_returns(self, *, actor: User) -> None:
        """The service marks the listed lines returned (and, on first settlement, the rest paid)."""
        self.settled_at = self.settled_at or timezone.now()


class LineKind(models.TextChoices):
    REGULAR = "regular", _("Regular")
    BACK_PAY = "back_pay", _("Back pay (补发)")
    REISSUE = "reissue", _("Reissue of a returned payment")


class LineStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")
    RETURNED = "returned", _("Returned by the bank")


class BeneficiaryKind(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    PERSON = "person", _("Person")


class PaymentLine(models.Model):
    """One payment to one beneficiary, with the snapshot the bank file is written from.

    Written in bulk by the payroll writer (never row by row), read-only once its batch is
    submitted; only the bank's settlement marks it paid or returned.
    """

    batch = models.ForeignKey(
        PaymentBatch,
        on_delete=models.PROTECT,
        related_name="lines",
        # The (batch, id) index below serves it and the bank file's keyset pages. No
        # database constraint: lines are inserted only in the transaction that holds the
        # batch row locked, and a batch is deleted only while it has no line (ADR 0018).
        db_index=False,
        db_constraint=False,
    )
    programme = models.CharField(_("programme"), max_length=40)
    beneficiary_kind = models.CharField(
        _("beneficiary kind"), max_length=10, choices=BeneficiaryKind.choices
    )
    beneficiary_id = models.BigIntegerField(_("beneficiary"))
    month = models.DateField(_("month paid"))
    for_month = models.DateField(_("month paid for"))
    kind = models.CharField(_("kind"), max_length=10, choices=LineKind.choices)
    # No plain index: the partial unique index below serves look-ups of reissues. No
    # database constraint: PostgreSQL would queue a deferred check for every inserted line,
    # null or not (about a tenth of a payroll's insert); a reissue is written only by
    # `payment_line_reissue`, which holds the original line locked, and lines are never
    # deleted (PROTECT, ADR 0018).
    reissue_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    members = models.PositiveSmallIntegerField(_("members covered"), default=1)
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("region"),
        # Lines are written only by the writer's INSERT … SELECT, which joins the region and
        # the payee account, and neither is ever deleted (PROTECT); a database constraint
        # would add a per-row check and row lock to every payroll (ADR 0018).
        db_index=False,
        db_constraint=False,
    )
    payee_account = models.ForeignKey(
        PayeeAccount,
        on_delete=models.PROTECT,
        related_name="lines",
        verbose_name=_("account"),
        db_index=False,
        db_constraint=False,
    )
    # Snapshot of the account at generation: later edits of the account or the register do
    # not reach a batch. The ciphertext is a copy (same purpose, so the same key decrypts).
    holder_name = models.CharField(_("account holder name"), max_length=50)
    holder_name_masked = models.CharField(_("account holder"), max_length=50)
    account_number_ciphertext = models.BinaryField(editable=False)
    account_number_masked = models.CharField(_("account number"), max_length=40)
    bank_code = models.CharField(_("bank code"), max_length=12)
    bank_name = models.CharField(_("bank name"), max_length=80)
    status = models.CharField(
        _("status"), max_length=10, choices=LineStatus.choices, default=LineStatus.PENDING
    )
    return_reason = models.CharField(_("reason returned"), max_length=200, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["batch_id", "id"]
        verbose_name = _("payment line")
        verbose_name_plural = _("payment lines")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "programme",
                    "beneficiary_kind",
                    "beneficiary_id",
                    "month",
                    "kind",
                    "for_month",
                ],
                condition=~models.Q(kind="reissue"),
                name="payment_line_once_per_month",
            ),
            models.UniqueConstraint(
                fields=["reissue_of"],
                condition=models.Q(reissue_of__isnull=False),
                name="payment_line_reissued_once",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_line_positive"),
            models.CheckConstraint(
                condition=models.Q(kind="reissue", reissue_of__isnull=False)
                | (~models.Q(kind="reissue") & models.Q(reissue_of__isnull=True)),
                name="payment_line_reissue_has_origin",
            ),
        ]
        indexes = [models.Index(fields=["batch", "id"], name="payment_line_batch_order")]

    def __str__(self) -> str:
        return f"{self.programme} {self.beneficiary_kind}:{self.beneficiary_id} {self.for_month}"


class OverpaymentStatus(models.TextChoices):
    OPEN = "open", _("To recover")
    RECOVERED = "recovered", _("Recovered")
    WAIVED = "waived", _("Waived")


class Overpayment(models.Model):
    """Money paid for a month above what is now due (e.g. a standard lowered retroactively).

    Recorded for a recovery decision (追回), never netted silently against later payments.
    """

    programme = models.CharField(_("programme"), max_length=40)
    beneficiary_kind = models.CharField(max_length=10, choices=BeneficiaryKind.choices)
    beneficiary_id = models.BigIntegerField(_("beneficiary"))
    for_month = models.DateField(_("month paid for"))
    detected_month = models.DateField(_("month detected"))
    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    status = models.CharField(
        max_length=10, choices=OverpaymentStatus.choices, default=OverpaymentStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("overpayment")
        verbose_name_plural = _("overpayments")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "programme",
                    "beneficiary_kind",
                    "beneficiary_id",
                    "for_month",
                    "detected_month",
                ],
                name="overpayment_once",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="overpayment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.beneficiary_kind}:{self.beneficiary_id} {self.for_month}"


class BankFileExport(models.Model):
    """Each bank file written: who, when, which format and the fingerprint of its bytes."""

    batch = models.ForeignKey(PaymentBatch, on_delete=models.PROTECT, related_name="exports")
    file_format = models.CharField(max_length=8)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    exported_at = models.DateTimeField(auto_now_add=True)
    line_count = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-exported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.file_format} {self.sha256[:12]}"
