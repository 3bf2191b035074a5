"""Staff and resident accounts, region-scoped role grants and one-time login codes."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from minzheng.common.models import TimeStampedModel


class UserKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    RESIDENT = "resident", _("Resident")


class Role(models.TextChoices):
    VILLAGE_WORKER = "village_worker", _("Village/community worker")
    GRID_WORKER = "grid_worker", _("Grid worker")
    TOWN_CLERK = "town_clerk", _("Town civil-affairs clerk")
    TOWN_REVIEWER = "town_reviewer", _("Town reviewer")
    COUNTY_APPROVER = "county_approver", _("County approver")
    CITY_ADMIN = "city_admin", _("City administrator")
    AUDITOR = "auditor", _("Auditor")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


class User(AbstractUser):
    """An account. Staff log in by password; residents by phone and one-time code."""

    kind = models.CharField(
        _("kind"), max_length=8, choices=UserKind.choices, default=UserKind.STAFF
    )
    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
        verbose_name=_("person in the register"),
    )

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["phone"],
                condition=models.Q(kind="resident"),
                name="user_one_resident_account_per_phone",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_resident(self) -> bool:
        return self.kind == UserKind.RESIDENT


class RoleGrant(TimeStampedModel):
    """The user holds `role` over `region` and everything under it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="grants", verbose_name=_("region")
    )

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "region"], name="grant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region}"


class OneTimeCode(models.Model):
    """A login code sent by SMS to a resident; only its hash is stored."""

    phone = models.CharField(max_length=20, db_index=True)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"one-time code for {self.phone[:3]}****"


class ApiToken(TimeStampedModel):
    """A bearer token for the API; only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
