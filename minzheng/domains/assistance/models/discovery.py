"""Proactive discovery (主动发现) and visits (走访) by grid workers (网格员).

Both are dated records, not workflow cases: they are created in bulk per county (one INSERT
per chunk, idempotent through the unique constraints below), so they carry no case number.
Their `status` changes only in `services/discovery.py`, by updates of the locked row, and
every change is audited.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from minzheng.common.models import TimeStampedModel

__all__ = [
    "DiscoveryFlag",
    "DiscoveryStatus",
    "DiscoveryTask",
    "Visit",
    "VisitFinding",
    "VisitStatus",
]


class DiscoveryFlag(models.TextChoices):
    """Why the household was flagged: a programme the rules find it eligible for, or the
    multidimensional-poverty index (多维度贫困)."""

    DIBAO = "dibao", _("Dibao eligible")
    MARGINAL = "marginal", _("Dibao-marginal eligible")
    TEKUN = "tekun", _("Extreme-poverty eligible")
    MPI = "mpi", _("Multidimensionally poor")


class DiscoveryStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("status", "Open")  # not the button's "Open"
    APPLIED = "applied", _("Applied")
    DECLINED = "declined", _("Declined")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible after the visit")
    UNREACHABLE = "unreachable", _("Unreachable")


class HouseholdWork(TimeStampedModel):
    """Where a household's discovery task or visit lies and who does it.

    `region` is the household's own region (grid or village): scoping by its path lets both
    the grid worker (granted on the grid) and the town's clerks above it see the row.
    `assignee` is the grid worker of that region; empty when it has none (the town does it).
    """

    household = models.ForeignKey(
        "people.Household",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("household"),
    )
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    town = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("town")
    )
    county = models.CharField(_("county code"), max_length=6)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("grid worker"),
    )

    class Meta:
        abstract = True


class DiscoveryTask(HouseholdWork):
    """A household the rules or the index flag for a month but who has not applied."""

    period = models.DateField(_("month"), help_text=_("First day of the month determined."))
    flag = models.CharField(_("flagged as"), max_length=10, choices=DiscoveryFlag.choices)
    programme = models.ForeignKey(
        "assistance.Programme",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("programme"),
    )
    status = models.CharField(
        _("status"), max_length=14, choices=DiscoveryStatus.choices, default=DiscoveryStatus.OPEN
    )
    application = models.ForeignKey(
        "assistance.AssistanceApplication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("application"),
    )
    reason = models.TextField(_("reason"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-period", "id"]
        verbose_name = _("discovery task")
        verbose_name_plural = _("discovery tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "period", "flag"], name="discovery_one_per_month_flag"
            ),
            models.UniqueConstraint(
                fields=["household", "flag"],
                condition=models.Q(status="open"),
                name="discovery_one_open_per_flag",
            ),
        ]
        indexes = [
            models.Index(fields=["town", "status", "period"], name="discovery_town"),
            models.Index(fields=["assignee", "status"], name="discovery_assignee"),
        ]

    def __str__(self) -> str:
        return f"{self.flag} {self.household_id} {self.period:%Y-%m}"

    @property
    def is_open(self) -> bool:
        return self.status == DiscoveryStatus.OPEN


class VisitStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    DONE = "done", _("Done")


class VisitFinding(models.TextChoices):
    """The fixed checklist of a visit (free text goes to the note)."""

    FOOD = "food", _("Short of food or daily necessities")
    HOUSING = "housing", _("Unsafe or inadequate housing")
    HEALTH = "health", _("Illness without treatment")
    CARE = "care", _("No one to look after a member in need of care")
    INCOME = "income", _("Income or work changed")
    MEMBERS = "members", _("Household members changed")
    SCHOOLING = "schooling", _("A child out of school")
    SAFETY = "safety", _("Safety risk (fire, electricity, falls)")
    MENTAL = "mental", _("Loneliness or mental distress")


class Visit(HouseholdWork):
    """A visit (走访) due for an enrolled or flagged household, and its record once done.

    `period` is the first day of the month the visit is due; `due_on` its last day to be
    made, in working days (the workflow calendar). The risk score and its factors are
    those of scheduling time (docs/user/discovery.md).

    A follow-up visit (跟进走访) is scheduled when a recorded visit says follow-up is needed:
    `follow_up_of` links it to that visit (one follow-up per visit). The routine schedule
    keeps one visit per household and month; a follow-up may share its month.
    """

    status = models.CharField(
        _("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.SCHEDULED
    )
    period = models.DateField(_("month due"))
    due_on = models.DateField(_("due on"))
    interval_months = models.PositiveSmallIntegerField(_("visit interval (months)"))
    risk_score = models.PositiveSmallIntegerField(_("risk score"), default=0)
    risk_factors = models.JSONField(_("risk factors"), default=list, blank=True)
    visited_on = models.DateField(_("visited on"), null=True, blank=True)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("visitor"),
    )
    findings = models.JSONField(_("findings"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    follow_up = models.BooleanField(_("follow-up needed"), default=False)
    follow_up_of = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_up_visit",
        verbose_name=_("follow-up of"),
        help_text=_("The visit that asked for this follow-up visit."),
    )

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "period"],
                condition=models.Q(follow_up_of__isnull=True),
                name="visit_one_per_month",
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(status="scheduled"),
                name="visit_one_scheduled",
            ),
        ]
        indexes = [
            models.Index(fields=["town", "status", "due_on"], name="visit_town_due"),
            models.Index(fields=["assignee", "status", "due_on"], name="visit_assignee_due"),
        ]

    def __str__(self) -> str:
        return f"visit {self.household_id} {self.period:%Y-%m}"

    @property
    def is_follow_up(self) -> bool:
        return self.follow_up_of_id is not None

    @property
    def finding_labels(self) -> list[str]:
        labels = dict(VisitFinding.choices)
        return [str(labels.get(code, code)) for code in self.findings or []]

    @property
    def risk_factor_labels(self) -> list[str]:
        labels = dict(RISK_FACTOR_LABELS)
        return [str(labels.get(code, code)) for code in self.risk_factors or []]


RISK_FACTOR_LABELS = [
    ("tekun", _("Extreme-poverty support")),
    ("dibao", _("Dibao")),
    ("marginal", _("Dibao-marginal")),
    ("enrolled", _("Enrolled in another monthly programme")),
    ("graduated_exit", _("Graduated exit")),
    ("alone_70", _("Living alone, aged 70 or more")),
    ("severe_disability", _("Severe disability (grade 1 or 2)")),
    ("mpi_severe", _("Severely multidimensionally poor")),
    ("flagged", _("Flagged but not applied")),
]
