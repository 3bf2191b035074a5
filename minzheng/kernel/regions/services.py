"""Writes to the region tree (villages, communities and grids below the official towns)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.regions.models import LEVEL_DEPTH, Region, RegionLevel

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

CHILD_CODE_DIGITS: dict[str, int] = {RegionLevel.VILLAGE: 12, RegionLevel.GRID: 15}


def region_create(
    *, actor: User | None, parent: Region, code: str, name: str, level: str
) -> Region:
    """Add a village/community under a town or a grid under a village.

    Its code extends the parent's code by three digits (NBS village codes; grids likewise).
    """
    from minzheng.kernel.accounts.permissions import Perm, has_perm

    if actor is not None and not has_perm(actor, Perm.REGIONS_CHANGE, parent):
        raise PermissionRefused(_("You may not change the region tree."))
    if level not in CHILD_CODE_DIGITS:
        raise ValidationFailed(_("Only villages and grids can be added."), field="level")
    if LEVEL_DEPTH[RegionLevel(level)] != parent.depth + 1:
        raise ValidationFailed(
            _("A %(level)s must sit directly under the level above it.")
            % {"level": RegionLevel(level).label},
            field="parent",
        )
    if not (
        code.isdigit() and len(code) == CHILD_CODE_DIGITS[level] and code.startswith(parent.code)
    ):
        raise ValidationFailed(
            _("The code must be the parent's code followed by three digits."), field="code"
        )
    if not name.strip():
        raise ValidationFailed(_("Enter the name."), field="name")
    with transaction.atomic():
        if Region.objects.filter(code=code).exists():
            raise Conflict(_("Region code %(code)s already exists.") % {"code": code}, field="code")
        region = Region.objects.create(
            code=code,
            name=name.strip(),
            level=level,
            parent=parent,
            path=Region.build_path(parent, code),
        )
        audit_record(
            actor=actor,
            action="regions.region.create",
            obj=region,
            region_code=code,
            changes={"name": region.name, "level": level},
        )
    return region
