"""Household economic-status verification (家庭经济状况核对).

Other departments' data arrive as source batches (one uploaded file each); every valid row
becomes a SourceRecord keyed by the blind index of the person's ID number, never the number
itself. A VerificationReport freezes which records one household check used.

SourceRecord is the one large table (tens of millions of rows at city scale) and is written
with COPY; on PostgreSQL each batch's records are a partition of their own, built by the
import and attached when it is complete (ADR 0020). Its foreign keys are declared without
database constraints: a per-row foreign-key trigger would more than double the cost of an
import. The import service is the only writer
and takes the batch, source and person ids from rows it has just read; batches, sources and
persons are never deleted (on_delete=PROTECT).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from minzheng.common.models import TimeStampedModel


class RecordKind(models.TextChoices):
    SOCIAL_INSURANCE = "social_insurance", _("Social insurance and pensions")
    WAGE = "wage", _("Wages (tax)")
    REAL_ESTATE = "real_estate", _("Real estate")
    VEHICLE = "vehicle", _("Vehicles")
    BUSINESS = "business", _("Business registration")
    DEPOSIT = "deposit", _("Deposits and securities")
    HOUSING_FUND = "housing_fund", _("Housing provident fund")
    UNEMPLOYMENT = "unemployment", _("Unemployment benefit")
    DEATH = "death", _("Deaths")
    HUKOU_CHANGE = "hukou_change", _("Household-registration changes")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    DATE = "date", _("Date")


def _localized(obj: object, field: str) -> str:
    language = (get_language() or "zh-hans").lower()
    suffix = "zh" if language.startswith("zh") else "en"
    return str(getattr(obj, f"{field}_{suffix}") or getattr(obj, f"{field}_zh"))


class DataSource(TimeStampedModel):
    """A department's data set and the columns of its file (see sources.py)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind of records"), max_length=20, choices=RecordKind.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    department_zh = models.CharField(_("department (Chinese)"), max_length=100)
    department_en = models.CharField(_("department (English)"), max_length=120)
    period_kind = models.CharField(
        _("period of a record"), max_length=8, choices=PeriodKind.choices
    )
    columns = models.JSONField(_("columns"), default=list)
    unique_columns = models.JSONField(
        _("columns that identify a row"),
        default=list,
        help_text=_("Two rows of one file with the same values here are duplicates."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("data source")
        verbose_name_plural = _("data sources")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localized(self, "name")

    @property
    def department(self) -> str:
        return _localized(self, "department")


class BatchStatus(models.TextChoices):
    REJECTED = "rejected", _("Has errors: nothing imported")
    IMPORTED = "imported", _("Imported")
    PARTIAL = "partial", _("Valid rows imported")
    DISCARDED = "discarded", _("Discarded")
    FAILED = "failed", _("Could not be read")


# A file with one of these statuses may not be uploaded again for the same source.
BLOCKING_STATUSES = (BatchStatus.REJECTED, BatchStatus.IMPORTED, BatchStatus.PARTIAL)


class SourceBatch(TimeStampedModel):
    """One uploaded file of a source and the outcome of its validation."""

    source = models.ForeignKey(
        DataSource, on_delete=models.PROTECT, related_name="batches", verbose_name=_("source")
    )
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("region"),
        help_text=_("The region of the uploader's import grant; the batch is visible there."),
    )
    file_name = models.CharField(_("file name"), max_length=200)
    file_format = models.CharField(_("format"), max_length=8)
    file_size = models.BigIntegerField(_("size in bytes"), default=0)
    checksum = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    status = models.CharField(_("status"), max_length=12, choices=BatchStatus.choices)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    valid_count = models.PositiveIntegerField(_("valid rows"), default=0)
    invalid_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    imported_count = models.PositiveIntegerField(_("rows imported"), default=0)
    linked_count = models.PositiveIntegerField(_("rows matched to the register"), default=0)
    accepted_partial = models.BooleanField(_("valid part accepted"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    problem = models.JSONField(
        _("problem with the whole file"),
        default=dict,
        blank=True,
        help_text=_("Messages by language when the file itself could not be read."),
    )
    errors_truncated = models.BooleanField(_("error list cut short"), default=False)
    pending_file = models.CharField(
        _("encrypted file awaiting a decision"), max_length=200, blank=True, editable=False
    )
    seconds = models.FloatField(_("processing time (s)"), default=0)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("source batch")
        verbose_name_plural = _("source batches")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "checksum"],
                condition=models.Q(status__in=["rejected", "imported", "partial"]),
                name="sourcebatch_same_file_once",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    @property
    def can_accept(self) -> bool:
        return (
            self.status == BatchStatus.REJECTED
            and self.valid_count > 0
            and not (self.errors_truncated)
        )

    @property
    def problem_message(self) -> str:
        if not self.problem:
            return ""
        language = (get_language() or "zh-hans").lower()
        return str(self.problem.get(language) or next(iter(self.problem.values())))


class SourceRowError(models.Model):
    """One problem of one row of a batch: line, column and reason (in every language)."""

    batch = models.ForeignKey(
        SourceBatch, on_delete=models.CASCADE, related_name="row_errors", verbose_name=_("batch")
    )
    line = models.PositiveIntegerField(_("line"))
    column = models.CharField(_("column"), max_length=40, blank=True)
    code = models.CharField(_("code"), max_length=40)
    value = models.CharField(
        _("value"), max_length=100, blank=True, help_text=_("ID numbers are kept masked.")
    )
    messages = models.JSONField(_("reason"), default=dict)

    class Meta:
        ordering = ["batch", "line", "id"]
        verbose_name = _("row error")
        verbose_name_plural = _("row errors")

    def __str__(self) -> str:
        return f"{self.line}:{self.column} {self.code}"

    @property
    def message(self) -> str:
        language = (get_language() or "zh-hans").lower()
        return str(self.messages.get(language) or next(iter(self.messages.values()), ""))


class SourceRecord(models.Model):
    """One valid row of a source file, about one person, for a month or a date."""

    batch = models.ForeignKey(
        SourceBatch,
        on_delete=models.PROTECT,
        related_name="records",
        db_constraint=False,
        db_index=False,
    )
    source = models.ForeignKey(
        DataSource,
        on_delete=models.PROTECT,
        related_name="records",
        db_constraint=False,
        db_index=False,
    )
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="source_records",
        db_constraint=False,
        db_index=False,
        help_text=_("Empty while the person is not in the register."),
    )
    id_number_digest = models.CharField(max_length=32, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, editable=False)
    name = models.CharField(_("name in the source"), max_length=50, blank=True)
    item = models.CharField(_("item"), max_length=32)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2, null=True)
    area = models.DecimalField(_("area (m²)"), max_digits=10, decimal_places=2, null=True)
    quantity = models.IntegerField(_("quantity"), null=True)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    payload = models.JSONField(_("other columns as sent"), default=dict)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("source record")
        verbose_name_plural = _("source records")
        indexes = [
            models.Index(fields=["person", "period_start"], name="sourcerecord_person_period"),
            models.Index(
                fields=["id_number_digest"],
                condition=models.Q(person__isnull=True),
                name="sourcerecord_unlinked_digest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.id_number_masked} {self.item} {self.period_start}"


class ReportPurpose(models.TextChoices):
    DIBAO = "dibao", _("Minimum living allowance (dibao) application")
    MARGINAL = "marginal", _("Dibao-marginal household identification")
    EXTREME_POVERTY = "extreme_poverty", _("Extreme-poverty support application")
    TEMPORARY = "temporary", _("Temporary assistance")
    REVIEW = "review", _("Periodic review")
    OTHER = "other", _("Other")


class VerificationReport(models.Model):
    """A household check frozen at creation: the records it used and their summary."""

    household = models.ForeignKey(
        "people.Household",
        on_delete=models.PROTECT,
        related_name="verification_reports",
        verbose_name=_("household"),
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=ReportPurpose.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    as_of = models.DateField(_("as of"))
    window_start = models.DateField(_("income window from"))
    window_end = models.DateField(_("income window to"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    record_count = models.PositiveIntegerField(_("records used"), default=0)
    summary = models.JSONField(_("summary"), default=dict)
    records = models.ManyToManyField(
        SourceRecord, through="VerificationReportRecord", related_name="reports"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("verification report")
        verbose_name_plural = _("verification reports")
        indexes = [models.Index(fields=["household", "-created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} household {self.household_id}"


class VerificationReportRecord(models.Model):
    """That a report used a record (the snapshot's list of evidence)."""

    report = models.ForeignKey(VerificationReport, on_delete=models.PROTECT, related_name="+")
    # Without a database constraint: on PostgreSQL the records are partitioned by batch,
    # and a partitioned table's unique keys must hold the batch (ADR 0020).
    record = models.ForeignKey(
        SourceRecord, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "record"], name="reportrecord_unique")
        ]

    def __str__(self) -> str:
        return f"{self.report_id}:{self.record_id}"
