"""Loading the demo register: regions, then households and persons county by county.

1. Create the planned villages and grids that are missing.
2. Unless the register already holds persons, generate each county with numpy and write it
   in slices of households (COPY on PostgreSQL, bulk_create elsewhere) in one transaction.
3. Create the demo accounts, write one audit event and recount the region populations.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from minzheng.common.db import is_postgresql
from minzheng.common.errors import Conflict, ValidationFailed
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.jobs.services import job_run_chunk, job_start
from minzheng.kernel.people.demo.accounts import ensure_demo_resident, ensure_demo_staff
from minzheng.kernel.people.demo.names import NameVocabulary, vocabulary
from minzheng.kernel.people.demo.population import CityGrids, address_codes, generate_county
from minzheng.kernel.people.demo.regions import CITY_CODE, PlannedRegion, ensure_demo_regions
from minzheng.kernel.people.demo.rows import IdBases, build_rows
from minzheng.kernel.people.demo.writers import (
    CopySink,
    OrmSink,
    Sink,
    analyze,
    next_ids,
    reset_sequences,
    without_secondary_indexes,
    write_history,
)
from minzheng.kernel.people.models import Person
from minzheng.kernel.regions.models import Region, RegionLevel

CITY_HOUSEHOLDS = 2_000_000
# Resident population of the counties (2020 census, ten thousands): shares of the city.
COUNTY_POPULATION = {
    "330402": 62,
    "330411": 71,
    "330421": 65,
    "330424": 53,
    "330481": 108,
    "330482": 69,
    "330483": 103,
}
SCALES: dict[str, tuple[int, tuple[str, ...]]] = {
    "demo": (6_000, tuple(COUNTY_POPULATION)),
    "county": (
        round(CITY_HOUSEHOLDS * 62 / sum(COUNTY_POPULATION.values())),
        ("330402",),
    ),  # 南湖区
    "city": (CITY_HOUSEHOLDS, tuple(COUNTY_POPULATION)),
}
SLICE_HOUSEHOLDS = 25_000
Progress = Callable[[str, int], None]  # (what, households just written)


@dataclass
class SeedReport:
    """What a load did and how long each phase took (seconds)."""

    scale: str
    seed: int
    regions_created: int = 0
    households: int = 0
    persons: int = 0
    memberships: int = 0
    history_rows: int = 0
    skipped: bool = False
    resident: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())


@dataclass
class _Clock:
    """Adds the time since the previous lap to a phase."""

    timings: dict[str, float]
    last: float = field(default_factory=time.perf_counter)

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
        self.last = now


def allocate(total: int, counties: tuple[str, ...]) -> dict[str, int]:
    """Split `total` households between counties by population (largest remainders)."""
    weights = np.array([COUNTY_POPULATION[c] for c in counties], dtype=float)
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts), kind="stable")[: total - counts.sum()]:
        counts[i] += 1
    return dict(zip(counties, counts.tolist(), strict=True))


def grids_from_plan(
    planned: list[PlannedRegion], ids: dict[str, int], names: dict[str, str]
) -> CityGrids:
    """The planned grids with their ids and the county, town and village names by code."""
    counties = sorted(COUNTY_POPULATION)
    grids = [p for p in planned if p.level == RegionLevel.GRID]
    return CityGrids(
        county_codes=counties,
        county_names=[names[c] for c in counties],
        ids=np.array([ids[p.code] for p in grids], dtype=np.int64),
        county=np.array([counties.index(p.code[:6]) for p in grids], dtype=np.int8),
        weight=np.array([p.weight for p in grids]),
        is_street=np.array([p.code[6] == "0" for p in grids]),
        town_names=[names[p.code[:9]] for p in grids],
        village_names=[names[p.code[:12]] for p in grids],
    )


def city_grids(planned: list[PlannedRegion]) -> CityGrids:
    """grids_from_plan with the database's ids and names (existing regions keep theirs)."""
    city = Region.objects.get(code=CITY_CODE)
    under = Region.objects.filter(path__startswith=city.path)
    names = dict(under.values_list("code", "name"))
    ids = dict(under.filter(level=RegionLevel.GRID).values_list("code", "id"))
    return grids_from_plan(planned, ids, names)


def _write_county(
    *,
    report: SeedReport,
    clock: _Clock,
    context: _LoadContext,
    county: str,
    households: int,
    progress: Progress | None,
) -> None:
    """Generate one county and write it in slices of households."""
    grids = context.grids
    pop = generate_county(
        vocab=context.vocab,
        grids=grids,
        county_index=grids.county_codes.index(county),
        households=households,
        seed=report.seed,
    )
    clock("generate")
    for lo in range(0, pop.household_count, SLICE_HOUSEHOLDS):
        hi = min(lo + SLICE_HOUSEHOLDS, pop.household_count)
        batch = build_rows(
            pop=pop,
            grids=grids,
            vocab=context.vocab,
            codes=context.codes,
            bases=context.bases,
            household_offset=report.households,
            person_offset=report.persons,
            lo=lo,
            hi=hi,
        )
        clock("build rows")
        context.sink.write(batch)
        clock("write")
        if progress is not None:
            progress(grids.county_names[pop.county_index], hi - lo)
    report.households += pop.household_count
    report.persons += pop.person_count
    report.memberships += pop.person_count


@dataclass(frozen=True)
class _LoadContext:
    grids: CityGrids
    vocab: NameVocabulary
    codes: list[str]
    bases: IdBases
    sink: Sink


def _load_register(
    *, scale: str, seed: int, households: int, history: bool, progress: Progress | None
) -> SeedReport:
    """Generate and write every county of the scale in one transaction."""
    report = SeedReport(scale=scale, seed=seed)
    clock = _Clock(report.timings)
    planned, report.regions_created = ensure_demo_regions()
    grids = city_grids(planned)
    vocab = vocabulary()
    clock("regions")
    postgresql = is_postgresql()
    with transaction.atomic():
        context = _LoadContext(
            grids=grids,
            vocab=vocab,
            codes=address_codes(grids.county_codes),
            bases=next_ids(),
            sink=CopySink() if postgresql else OrmSink(),
        )
        with without_secondary_indexes() if postgresql else nullcontext():
            clock("drop indexes")
            try:
                for county, count in allocate(households, SCALES[scale][1]).items():
                    _write_county(
                        report=report,
                        clock=clock,
                        context=context,
                        county=county,
                        households=count,
                        progress=progress,
                    )
            finally:
                context.sink.close()
            clock("write")
        clock("rebuild indexes")
        reset_sequences()
        if history:
            report.history_rows = write_history(context.bases, timezone.now())
            clock("history")
    analyze()
    clock("analyze")
    return report


def population_recount() -> int:
    """Run the population recount job inline, chunk by chunk; returns the job id."""
    job = job_start(actor=None, kind="people.population_recount", enqueue=False)
    for key in job.chunks.order_by("key").values_list("key", flat=True):
        job_run_chunk(job_id=job.pk, key=key)
    return job.pk


def seed_demo(
    *,
    scale: str = "demo",
    seed: int = 1,
    if_empty: bool = False,
    households: int | None = None,
    history: bool | None = None,
    progress: Progress | None = None,
) -> SeedReport:
    """Load the deterministic demo register of `scale` and the demo accounts.

    `households` overrides the scale's household count; `history` (default: demo scale only)
    also writes the "created" history rows. With `if_empty`, a register that already holds
    persons is left alone (the regions and accounts are still completed).
    """
    if scale not in SCALES:
        raise ValidationFailed(
            gettext("Unknown scale %(scale)s.") % {"scale": scale}, field="scale"
        )
    total = SCALES[scale][0] if households is None else households
    if total < 1:
        raise ValidationFailed(gettext("Load at least one household."), field="households")
    if Person.objects.exists():
        if not if_empty:
            raise Conflict(
                gettext("The register already holds persons; demo data loads into an empty one."),
                code="register_not_empty",
            )
        report = SeedReport(scale=scale, seed=seed, skipped=True)
        started = time.perf_counter()
        _, report.regions_created = ensure_demo_regions()
        report.timings["regions"] = time.perf_counter() - started
    else:
        report = _load_register(
            scale=scale,
            seed=seed,
            households=total,
            history=(scale == "demo") if history is None else history,
            progress=progress,
        )
    started = time.perf_counter()
    ensure_demo_staff()
    # Only a register this load wrote gets its phone changed for the demo resident.
    resident = None if report.skipped else ensure_demo_resident()
    report.resident = resident.username if resident else ""
    report.timings["accounts"] = time.perf_counter() - started
    if not report.skipped:
        started = time.perf_counter()
        _record(report)
        population_recount()
        report.timings["population recount"] = time.perf_counter() - started
        _seed_verification(report)
    return report


def _seed_verification(report: SeedReport) -> None:
    """Demo source records for household verification, when that app is installed."""
    from django.apps import apps

    if not apps.is_installed("minzheng.kernel.verification"):
        return
    from minzheng.kernel.verification.demo import seed_source_records

    started = time.perf_counter()
    if seed_source_records(seed=report.seed):
        report.timings["verification records"] = time.perf_counter() - started


def _record(report: SeedReport) -> None:
    """The one audit event of a load."""
    with transaction.atomic():
        audit_record(
            actor=None,
            action="people.seed_demo",
            object_type="people.person",
            region_code=CITY_CODE,
            changes={
                "scale": report.scale,
                "seed": report.seed,
                "households": report.households,
                "persons": report.persons,
                "memberships": report.memberships,
                "regions_created": report.regions_created,
                "database": connection.vendor,
            },
        )
