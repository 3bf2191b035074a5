"""Reads of the region tree. Region names and codes are public; populations are statistics."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Count, F, Q, QuerySet

from minzheng.common.errors import NotFound
from minzheng.kernel.regions.models import Region, RegionLevel

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.accounts.permissions import Perm


def region_get_by_code(*, code: str) -> Region:
    try:
        return Region.objects.select_related("parent").get(code=code)
    except Region.DoesNotExist:
        raise NotFound(f"Region {code} does not exist.", code="region_not_found") from None


def regions_under(*, region: Region, include_self: bool = True) -> QuerySet[Region]:
    """Every region under `region` in one query (materialised path prefix)."""
    qs = Region.objects.filter(path__startswith=region.path)
    if not include_self:
        qs = qs.exclude(pk=region.pk)
    return qs


def path_filter(paths: Iterable[str], *, field: str) -> Q:
    """Q matching rows whose `field` (a Region FK) lies under any of `paths`.

    An empty iterable gives a Q that matches nothing.
    """
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field}__path__startswith": path})
    return condition


def counties() -> QuerySet[Region]:
    return Region.objects.filter(level=RegionLevel.COUNTY).order_by("code")


def ancestors(*, region: Region) -> list[Region]:
    """The chain from the city down to `region`, in one query."""
    codes = region.path.strip("/").split("/")
    by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in by_code]


def region_scope_paths(*, actor: User) -> list[str]:
    """Paths of the regions the actor may browse: under any of their grants (no overlap)."""
    from minzheng.kernel.accounts.permissions import Perm, scope_paths

    kept: list[str] = []
    for path in sorted({path for perm in Perm for path in scope_paths(actor, perm)}):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def region_roots(*, actor: User, perm: Perm | None = None) -> list[Region]:
    """The top regions of the actor's scope, with the number of regions directly under each.

    With `perm`, only the top regions where the actor holds that permission (e.g. the
    regions whose register they may change).
    """
    if perm is None:
        paths = region_scope_paths(actor=actor)
    else:
        from minzheng.kernel.accounts.permissions import scope_paths

        paths = scope_paths(actor, perm)
    regions = Region.objects.filter(path__in=paths).annotate(child_count=Count("children"))
    return list(regions.order_by("code"))


def region_get(*, actor: User, code: str) -> Region:
    """A region inside the actor's scope; NotFound outside it."""
    paths = region_scope_paths(actor=actor)
    region = Region.objects.select_related("parent").filter(code=code).first()
    if region is None or not any(region.path.startswith(path) for path in paths):
        raise NotFound(f"Region {code} is not in your regions.", code="region_not_found")
    return region


def region_chain_children(*, region: Region) -> tuple[list[Region], dict[str, list[Region]]]:
    """The chain from the city down to `region`, and the regions directly under each of them.

    One query, for choosing a region level by level. The lists are keyed by parent code.
    """
    codes = region.path.strip("/").split("/")
    rows = (
        Region.objects.filter(Q(code__in=codes) | Q(parent__code__in=codes))
        .annotate(parent_code=F("parent__code"))
        .order_by("code")
    )
    chain: dict[str, Region] = {}
    children: dict[str, list[Region]] = {code: [] for code in codes}
    for row in rows:
        if row.code in children:
            chain[row.code] = row
        if row.parent_code in children:  # type: ignore[attr-defined]
            children[row.parent_code].append(row)  # type: ignore[attr-defined]
    return [chain[code] for code in codes if code in chain], children


def region_children(*, region: Region) -> QuerySet[Region]:
    """The regions directly under `region`, each with the number of regions under it."""
    return region.children.annotate(child_count=Count("children")).order_by("code")


def region_list(
    *, actor: User, parent: Region | None = None, level: str | None = None
) -> QuerySet[Region]:
    """Regions inside the actor's scope, ordered by code.

    Optionally only those directly under `parent` or those of one `level`.
    """
    condition = Q(pk__in=[])
    for path in region_scope_paths(actor=actor):
        condition |= Q(path__startswith=path)
    qs = Region.objects.filter(condition)
    if parent is not None:
        qs = qs.filter(parent=parent)
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("code")


def region_names(*, codes: Iterable[str]) -> dict[str, str]:
    """Names of the regions with these codes, by code (names and codes are public)."""
    return dict(Region.objects.filter(code__in=list(codes)).values_list("code", "name"))
