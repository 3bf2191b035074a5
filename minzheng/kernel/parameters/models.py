"""Policy parameter changes held in the database, layered over the rules' YAML baseline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("In force")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ParameterChange(models.Model):
    """One dated value of one parameter, e.g. the dibao standard of 南湖区 from 2026-07-01.

    A change is proposed, previewed (what-if), then confirmed; only confirmed changes enter
    the rules. It holds from `start` until the next dated value of the same parameter.
    """

    path = models.CharField(_("parameter"), max_length=200, db_index=True)
    start = models.DateField(_("effective from"))
    value = models.JSONField(_("value"))
    source_document = models.CharField(_("source document"), max_length=300)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["path", "start", "id"]
        verbose_name = _("parameter change")
        verbose_name_plural = _("parameter changes")
        constraints = [
            models.UniqueConstraint(
                fields=["path", "start"],
                condition=models.Q(status="confirmed"),
                name="parameter_one_confirmed_value_per_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.path} from {self.start}: {self.value}"
