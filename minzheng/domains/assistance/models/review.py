"""Dynamic management (动态管理) of enrolled households: reviews and their outcomes.

A review is a dated record, not a workflow case: scheduled reviews are created in bulk for
every enrolment (one INSERT per chunk, idempotent through the unique constraints below), so
they carry no case number or task. Its `status` changes only in `services/review.py`, by
conditional updates on the locked row; the enrolment itself changes only through the
enrolment services (the workflow kernel's transitions), and every change is audited.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from minzheng.common.models import TimeStampedModel

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = [
    "Review",
    "ReviewKind",
    "ReviewOutcome",
    "ReviewReason",
    "ReviewStatus",
    "ReviewTrigger",
]


class ReviewKind(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled review")
    TRIGGERED = "triggered", _("Re-check after new source records")
    STANDARD_CHANGE = "standard_change", _("Recalculation after a standard change")


class ReviewStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("status", "Open")  # not the button's "Open"
    PROPOSED = "proposed", _("Outcome proposed")
    DECIDED = "decided", _("Decided")


OPEN_REVIEW_STATUSES = [ReviewStatus.OPEN, ReviewStatus.PROPOSED]


class ReviewTrigger(models.TextChoices):
    INCOME = "income", _("Income above the line")
    PROPERTY = "property", _("Property")
    DEATH = "death", _("A death")
    MOVE = "move", _("A move")
    STANDARD = "standard", _("The standard changed")


class ReviewOutcome(models.TextChoices):
    UNCHANGED = "unchanged", _("Unchanged")
    ADJUST = "adjust", _("Adjust the amount")
    SUSPEND = "suspend", _("Suspend")
    STOP = "stop", _("Stop")
    RESTORE = "restore", _("Restore")


class ReviewReason(models.TextChoices):
    """Reason codes of an outcome: fixed, so that reports can count them."""

    NO_CHANGE = "no_change", _("Circumstances unchanged")
    INCOME_CHANGED = "income_changed", _("Household income changed")
    INCOME_ABOVE_STANDARD = "income_above_standard", _("Income above the dibao standard")
    PROPERTY_ABOVE_LIMIT = "property_above_limit", _("Property above the limits")
    MEMBER_DIED = "member_died", _("A member died")
    MOVED_AWAY = "moved_away", _("Moved away")
    HOUSEHOLD_CHANGED = "household_changed", _("Household members changed")
    STANDARD_CHANGED = "standard_changed", _("The standard changed")
    NOT_COOPERATING = "not_cooperating", _("Did not take part in the review")
    CIRCUMSTANCES_RESTORED = "circumstances_restored", _("Eligible again after checking")


# Which reason codes fit which outcome (the service refuses the others).
REASONS_BY_OUTCOME: dict[str, set[str]] = {
    ReviewOutcome.UNCHANGED: {ReviewReason.NO_CHANGE, ReviewReason.CIRCUMSTANCES_RESTORED},
    ReviewOutcome.ADJUST: {
        ReviewReason.INCOME_CHANGED,
        ReviewReason.HOUSEHOLD_CHANGED,
        ReviewReason.MEMBER_DIED,
        ReviewReason.STANDARD_CHANGED,
        ReviewReason.MOVED_AWAY,
    },
    ReviewOutcome.SUSPEND: {
        ReviewReason.NOT_COOPERATING,
        ReviewReason.MOVED_AWAY,
        ReviewReason.INCOME_CHANGED,
        ReviewReason.PROPERTY_ABOVE_LIMIT,
    },
    ReviewOutcome.STOP: {
        ReviewReason.INCOME_ABOVE_STANDARD,
        ReviewReason.PROPERTY_ABOVE_LIMIT,
        ReviewReason.MEMBER_DIED,
        ReviewReason.MOVED_AWAY,
        ReviewReason.HOUSEHOLD_CHANGED,
        ReviewReason.NOT_COOPERATING,
    },
    ReviewOutcome.RESTORE: {ReviewReason.CIRCUMSTANCES_RESTORED, ReviewReason.NO_CHANGE},
}


def _money(label: StrOrPromise) -> models.DecimalField:
    return models.DecimalField(label, max_digits=12, decimal_places=2, null=True, blank=True)


class Review(TimeStampedModel):
    """One review of an enrolment: when it is due, why, and what was decided.

    `period` is the first day of the month the review is due (scheduled) or was raised
    (triggered, standard change). An outcome is proposed by a clerk and decided by an
    approver who did not propose it (maker-checker).
    """

    enrolment = models.ForeignKey(
        "assistance.Enrolment",
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("enrolment"),
    )
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("town")
    )
    county = models.CharField(_("county code"), max_length=6)
    kind = models.CharField(_("kind"), max_length=16, choices=ReviewKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )
    period = models.DateField(_("period"))
    due_on = models.DateField(_("due on"))
    interval_months = models.PositiveSmallIntegerField(_("review interval (months)"), default=12)
    source_batch = models.ForeignKey(
        "verification.SourceBatch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source batch"),
    )
    triggers = models.JSONField(_("triggered by"), default=list, blank=True)
    parameter_change = models.ForeignKey(
        "parameters.ParameterChange",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("standard change"),
    )
    assessment = models.JSONField(_("assessment"), default=dict, blank=True)
    recommended_outcome = models.CharField(
        _("recommended outcome"), max_length=10, choices=ReviewOutcome.choices, blank=True
    )
    recommended_amount = _money(_("amount the rules give"))
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=ReviewOutcome.choices, blank=True
    )
    reason_code = models.CharField(
        _("reason"), max_length=30, choices=ReviewReason.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    old_amount = _money(_("amount before"))
    new_amount = _money(_("new amount"))
    graduated_exit_months = models.PositiveSmallIntegerField(
        _("graduated exit (months)"), default=0
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    notice = models.ForeignKey(
        "documents.IssuedDocument",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("notice"),
    )

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "period"],
                condition=models.Q(kind="scheduled"),
                name="review_one_scheduled_per_period",
            ),
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=models.Q(kind="triggered", status__in=["open", "proposed"]),
                name="review_one_open_triggered",
            ),
            models.UniqueConstraint(
                fields=["enrolment", "parameter_change"],
                condition=models.Q(kind="standard_change"),
                name="review_one_per_standard_change",
            ),
        ]
        indexes = [
            models.Index(fields=["region", "status", "due_on"], name="review_worklist"),
            models.Index(fields=["county", "kind", "status"], name="review_county"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.enrolment_id} {self.period}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REVIEW_STATUSES

    @property
    def trigger_labels(self) -> list[str]:
        labels = dict(ReviewTrigger.choices)
        return [str(labels.get(code, code)) for code in self.triggers or []]

    @property
    def amount_change(self) -> Decimal | None:
        if self.new_amount is None or self.old_amount is None:
            return None
        return self.new_amount - self.old_amount
