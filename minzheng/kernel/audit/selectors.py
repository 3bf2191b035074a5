"""Reads of the audit trail, for auditors and system administrators."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from minzheng.common.errors import PermissionRefused
from minzheng.kernel.accounts.permissions import Perm, scope_paths
from minzheng.kernel.audit.models import AuditEvent

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User


def audit_event_list(
    *, actor: User, action: str = "", object_type: str = "", object_id: str = ""
) -> QuerySet[AuditEvent]:
    """Events in the actor's regions (events without a region need a city-wide grant)."""
    paths = scope_paths(actor, Perm.AUDIT_VIEW)
    if not paths:
        raise PermissionRefused("You may not read the audit trail.")
    condition = Q(pk__in=[])
    for path in paths:
        codes = path.strip("/").split("/")
        if len(codes) == 1:  # city-wide: every event
            condition = Q()
            break
        # Below the city, a region's code is a prefix of the codes of everything under it.
        condition |= Q(region_code__startswith=codes[-1])
    qs = AuditEvent.objects.filter(condition).select_related("actor")
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs
