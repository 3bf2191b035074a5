"""Tables of the payments kernel: payee accounts, payment batches and their lines.

A line is unique per (programme, beneficiary, month, kind, for_month), enforced by the
database, so a re-run, a concurrent run or a resumed run of a payroll never pays twice.
Each line carries a frozen snapshot of what the bank file needs (holder, account ciphertext,
bank code, amount), so later edits of the register never change a batch.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from minzheng.common.models import TimeStampedModel

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


class PaymentBatch(FSMModelMixin, TimeStampedModel):
    """One county's payments of one programme for one month (a supplementary batch gets the
    next sequence number). Its state changes only through the transitions below."""

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

    # Transitions: only services call these, inside their transaction, after their checks.
    @transition(field=state, source=BatchState.GENERATED, target=BatchState.PREPARED)
    def submit(self) -> None:
        pass

    @transition(field=state, source=BatchState.PREPARED, target=BatchState.GENERATED)
    def send_back(self) -> None:
        pass

    @transition(field=state, source=BatchState.PREPARED, target=BatchState.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=state, source=BatchState.APPROVED, target=BatchState.EXPORTED)
    def mark_exported(self) -> None:
        pass

    @transition(field=state, source=BatchState.EXPORTED, target=BatchState.SETTLED)
    def settle(self) -> None:
        pass

    @transition(
        field=state,
        source=[BatchState.EXPORTED, BatchState.SETTLED, BatchState.PARTLY_RETURNED],
        target=BatchState.PARTLY_RETURNED,
    )
    def settle_with_returns(self) -> None:
        pass


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
    # No plain index: the partial unique index below serves look-ups of reissues.
    reissue_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
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
