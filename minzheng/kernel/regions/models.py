"""The region tree: city → county → town → village → grid."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from minzheng.common.models import TimeStampedModel


def path_is_rural(path: str) -> bool:
    """`Region.is_rural` for a materialised path (bulk callers have paths, not objects)."""
    parts = path.strip("/").split("/")
    return len(parts) >= 3 and int(parts[2][-3:]) >= 100


class RegionLevel(models.TextChoices):
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    TOWN = "town", _("Town/street")
    VILLAGE = "village", _("Village/community")
    GRID = "grid", _("Grid")


LEVEL_DEPTH = {
    RegionLevel.CITY: 0,
    RegionLevel.COUNTY: 1,
    RegionLevel.TOWN: 2,
    RegionLevel.VILLAGE: 3,
    RegionLevel.GRID: 4,
}


class Region(TimeStampedModel):
    """One administrative division or grid.

    `path` is the materialised path of codes ("330400/330402/330402009/"), so "every region
    under X" is one indexed prefix query: `path__startswith=x.path`.
    """

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=8, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    path = models.CharField(max_length=96, unique=True, editable=False)
    registered_population = models.PositiveIntegerField(_("registered population"), default=0)
    resident_population = models.PositiveIntegerField(_("resident population"), default=0)
    code_set_version = models.CharField(_("code set version"), max_length=16, default="2023")

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level="city", parent__isnull=True)
                | models.Q(parent__isnull=False),
                name="region_parent_required_below_city",
            )
        ]
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return LEVEL_DEPTH[RegionLevel(self.level)]

    @property
    def county_code(self) -> str:
        """The county-level code (6 digits) this region lies in; "" for the city."""
        parts = self.path.strip("/").split("/")
        return parts[1] if len(parts) > 1 else ""

    @property
    def is_rural(self) -> bool:
        """Whether the region lies under a town or township (镇/乡) rather than a street
        (街道): the town's statistical code ends in 0xx for a street and in 1xx/2xx for a
        town or township (GB/T 10114). The city and the counties are not rural."""
        return path_is_rural(self.path)

    def contains(self, other: Region) -> bool:
        return other.path.startswith(self.path)

    @staticmethod
    def build_path(parent: Region | None, code: str) -> str:
        return f"{parent.path if parent else ''}{code}/"
