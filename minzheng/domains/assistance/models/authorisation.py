"""Online applications prepared in the resident portal (码上办) and the signed verification
authorisations (家庭经济状况核对授权书) of the household's adult members.

A resident prepares an application step by step in an `ApplicationDraft`: the programme,
the household's circumstances, the documents (attachments of the draft) and one
`VerificationAuthorisation` per adult member. Submitting the draft files the application
once: the draft's one-to-one link to the application makes a second submit return the same
application instead of filing another.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minzheng.common.models import TimeStampedModel

__all__ = [
    "ApplicationDraft",
    "TemporaryReason",
    "VerificationAuthorisation",
]


class TemporaryReason(models.TextChoices):
    """Why a household asks for temporary assistance (临时救助, DOMAIN-RULES §3)."""

    ACCIDENT = "accident", _("Fire, traffic or other accident")
    ILLNESS = "illness", _("Sudden serious illness")
    EXPENDITURE = "expenditure", _("Essential spending the household cannot bear")
    OTHER = "other", _("Other special hardship")


class ApplicationDraft(TimeStampedModel):
    """An online application being prepared by a resident; filed once by submitting it.

    `token` names the draft in the portal's addresses. At most one unsubmitted draft per
    household and programme, so every member who opens "apply" continues the same draft.
    """

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("resident"),
    )
    household = models.ForeignKey(
        "people.Household",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("household"),
    )
    programme = models.ForeignKey(
        "assistance.Programme",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("programme"),
    )
    circumstances = models.TextField(_("circumstances"), blank=True)
    monthly_income = models.DecimalField(
        _("household income per month (declared)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    income_note = models.CharField(_("where the income comes from"), max_length=300, blank=True)
    temporary_reason = models.CharField(
        _("reason for temporary assistance"),
        max_length=12,
        choices=TemporaryReason.choices,
        blank=True,
    )
    circumstances_saved_at = models.DateTimeField(_("circumstances saved at"), null=True)
    uploaded_documents = models.JSONField(
        _("documents uploaded"),
        default=dict,
        blank=True,
        help_text=_("Required document → ids of the attachments uploaded for it."),
    )
    application = models.OneToOneField(
        "assistance.AssistanceApplication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="portal_draft",
        verbose_name=_("application filed"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("online application draft")
        verbose_name_plural = _("online application drafts")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "programme"],
                condition=models.Q(application__isnull=True),
                name="draft_one_open_per_household_programme",
            )
        ]
        # The nightly clean-up of abandoned drafts reads unsubmitted rows by last change.
        indexes = [
            models.Index(
                fields=["updated_at"],
                condition=models.Q(application__isnull=True),
                name="draft_unsubmitted_updated",
            )
        ]

    def __str__(self) -> str:
        return f"draft {self.token} ({self.programme_id}, household {self.household_id})"

    @property
    def is_submitted(self) -> bool:
        return self.application_id is not None


class VerificationAuthorisation(models.Model):
    """One adult member's consent to the household economic-status verification (授权书).

    Ticked by the applicant for each adult member in the portal; keeps the text that was
    shown (and its SHA-256), who ticked it, when, and from which address and browser.
    """

    draft = models.ForeignKey(
        ApplicationDraft,
        on_delete=models.PROTECT,
        related_name="authorisations",
        verbose_name=_("draft"),
    )
    application = models.ForeignKey(
        "assistance.AssistanceApplication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authorisations",
        verbose_name=_("application"),
    )
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("member who authorises"),
    )
    text = models.TextField(_("authorisation text shown"))
    text_sha256 = models.CharField(_("SHA-256 of the text"), max_length=64)
    consented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ticked by"),
    )
    consented_at = models.DateTimeField(_("consented at"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("verification authorisation")
        verbose_name_plural = _("verification authorisations")
        constraints = [
            models.UniqueConstraint(
                fields=["draft", "person"], name="authorisation_one_per_member_and_draft"
            )
        ]

    def __str__(self) -> str:
        return f"authorisation of person {self.person_id} (draft {self.draft_id})"
