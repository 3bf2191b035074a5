"""Population recount: registered and resident population of every region, from the register.

Split by county: each chunk counts living persons per leaf region with one GROUP BY, rolls the
counts up the county's tree in memory and writes the county's regions with one bulk update.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, QuerySet, Sum

from minzheng.kernel.jobs.registry import JobKind, register_job
from minzheng.kernel.people.models import Person
from minzheng.kernel.regions.models import Region, RegionLevel


def _county_keys(params: dict[str, Any]) -> list[str]:
    wanted = params.get("counties") or []
    qs = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code")
    if wanted:
        qs = qs.filter(code__in=wanted)
    return list(qs.values_list("code", flat=True))


def _roll_up(regions: list[Region], leaf_counts: Counter[int]) -> dict[int, int]:
    totals: Counter[int] = Counter()
    by_path = {region.path: region.pk for region in regions}
    path_of = {region.pk: region.path for region in regions}
    for region_id, count in leaf_counts.items():
        path = path_of.get(region_id)
        if path is None:
            continue
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            ancestor = by_path.get("/".join(parts[:depth]) + "/")
            if ancestor is not None:
                totals[ancestor] += count
    return totals


def _count_by(persons: QuerySet[Person], field: str, path: str) -> Counter[int]:
    """Living persons per leaf region under `path`, in one GROUP BY."""
    rows = (
        persons.filter(**{f"{field}__path__startswith": path})
        .values(field)
        .annotate(n=Count("id"))
        .values_list(field, "n")
    )
    return Counter(dict(rows))


def _recount_county(params: dict[str, Any], county_code: str) -> int:
    county = Region.objects.get(code=county_code)
    regions = list(Region.objects.filter(path__startswith=county.path))
    living = Person.objects.filter(death_date__isnull=True)
    resident = _count_by(living, "residence_region", county.path)
    registered = _count_by(living, "registered_region", county.path)
    resident_totals = _roll_up(regions, resident)
    registered_totals = _roll_up(regions, registered)
    for region in regions:
        region.resident_population = resident_totals.get(region.pk, 0)
        region.registered_population = registered_totals.get(region.pk, 0)
    Region.objects.bulk_update(
        regions, ["resident_population", "registered_population"], batch_size=1000
    )
    return sum(resident.values())


def _finish(params: dict[str, Any]) -> None:
    """The city's figures are the sum of its counties'."""
    sums = Region.objects.filter(level=RegionLevel.COUNTY).aggregate(
        registered=Sum("registered_population"), resident=Sum("resident_population")
    )
    Region.objects.filter(level=RegionLevel.CITY).update(
        registered_population=sums["registered"] or 0, resident_population=sums["resident"] or 0
    )


POPULATION_RECOUNT = register_job(
    JobKind(
        name="people.population_recount",
        label="Recount registered and resident population by region",
        chunk_keys=_county_keys,
        run_chunk=_recount_county,
        finish=_finish,
    )
)
