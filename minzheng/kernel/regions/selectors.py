"""Reads of the region tree. Region names and codes are public; populations are statistics."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from minzheng.common.errors import NotFound
from minzheng.kernel.regions.models import Region, RegionLevel


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
