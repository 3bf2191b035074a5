"""Determinations: what the rules decided for each household of the register, month by month."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _money(label: StrOrPromise) -> models.DecimalField:
    return models.DecimalField(label, max_digits=12, decimal_places=2, default=0)


class Determination(models.Model):
    """The programmes of one household for one month, as the batch determined them.

    One row per (household, month): a re-run replaces the row. Person-level amounts are
    stored as household sums (特困 members, separate enrolment, children, disability).

    Derived data, rebuilt county by county by the bulk determination: its foreign keys are
    declared without database constraints (ADR 0016). The batch writes only household ids
    it has just read from the register in the same transaction, households are never
    deleted (PROTECT, enforced by the ORM), and a job's deletion clears ``job`` (SET_NULL,
    enforced by the ORM).
    """

    household = models.ForeignKey(
        "people.Household",
        on_delete=models.PROTECT,
        related_name="determinations",
        verbose_name=_("household"),
        db_index=False,  # the unique (household, period) index serves the lookups
        db_constraint=False,  # a derived table rebuilt per run: see ADR 0016
    )
    period = models.DateField(_("month"), help_text=_("First day of the month determined."))
    county = models.CharField(_("county code"), max_length=6)  # PostgreSQL partitions by it
    household_size = models.PositiveSmallIntegerField(_("members"), default=0)
    dibao_standard = _money(_("dibao standard"))
    per_capita_income = _money(_("monthly income per capita"))
    assets_pass = models.BooleanField(_("assets within the limits"), default=False)
    dibao_eligible = models.BooleanField(_("dibao eligible"), default=False)
    dibao_top_up = _money(_("dibao top-up"))
    dibao_graduated_exit = models.BooleanField(_("dibao graduated exit"), default=False)
    dibao_graduated_exit_amount = _money(_("dibao graduated-exit amount"))
    dibao_amount = _money(_("dibao amount"))
    on_dibao = models.BooleanField(_("on dibao"), default=False)
    dibao_covered = models.PositiveSmallIntegerField(_("members covered by dibao"), default=0)
    marginal_eligible = models.BooleanField(_("dibao-marginal eligible"), default=False)
    marginal_graduated_exit = models.BooleanField(_("marginal graduated exit"), default=False)
    on_marginal = models.BooleanField(_("dibao-marginal"), default=False)
    low_income_rural = models.BooleanField(_("low-income rural household"), default=False)
    expenditure_poverty = models.BooleanField(_("rigid-expenditure hardship"), default=False)
    separate_enrolment_members = models.PositiveSmallIntegerField(
        _("members enrolled separately"), default=0
    )
    separate_enrolment_amount = _money(_("separate enrolment amount"))
    tekun_members = models.PositiveSmallIntegerField(_("extreme-poverty members"), default=0)
    tekun_amount = _money(_("extreme-poverty amount"))
    children_amount = _money(_("orphan and unsupported-child amount"))
    disability_amount = _money(_("disability subsidies"))
    temporary_type = models.CharField(_("temporary assistance type"), max_length=12, default="none")
    temporary_amount = _money(_("temporary assistance amount"))
    temporary_approval_level = models.CharField(
        _("temporary assistance approval level"), max_length=12, default="none"
    )
    price_subsidy = _money(_("price-rise subsidy"))
    assistance_monthly_total = _money(_("monthly assistance total"))
    job = models.ForeignKey(
        "jobs.JobRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("job"),
        db_index=False,  # nothing looks rows up by job
        db_constraint=False,  # see ADR 0016
    )
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["period", "household_id"]
        verbose_name = _("determination")
        verbose_name_plural = _("determinations")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "period"], name="determination_one_per_household_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.period:%Y-%m}"
