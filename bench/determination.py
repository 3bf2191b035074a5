"""Bulk determination and what-if at city scale: (a) read → rules → write, (b) the same read
and write with no rules (the floor) and a/b, (c) a what-if of one county's standard change
across the city, (e) peak memory.

(a) and (b) run every county in turn in this process, timing each phase. (a∥) runs the real
job ("assistance.determine": ``determination_start`` and ``job_run_chunk`` per county, as a
Celery worker does) on a pool of worker processes, and reports its wall time; the per-county
checksums of its rows must equal those of (a).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import resource
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, connections, transaction
from django.utils import timezone

from bench.seeding import peak_rss_mb, seed_asset_records

WORKERS = 2


@dataclass
class DeterminationFigures:
    on: dt.date
    households: int = 0
    persons: int = 0
    county_households: dict[str, int] = field(default_factory=dict)
    asset_seed_seconds: float = 0.0
    asset_records_seeded: int = 0
    asset_households: dict[str, int] = field(default_factory=dict)
    parallel_seconds: float = 0.0
    parallel_workers: int = WORKERS
    checksums_equal: bool = False
    county_checksums: dict[str, str] = field(default_factory=dict)
    worker_rss_peak_mb: float = 0.0
    with_rules: dict[str, float] = field(default_factory=dict)  # phase -> seconds
    floor: dict[str, float] = field(default_factory=dict)
    whatif_build_seconds: float = 0.0
    whatif_seconds: float = 0.0
    whatif_entering: int = 0
    whatif_cost_change: float = 0.0
    whatif_county: str = ""
    rss_peak_mb: float = 0.0


def _pass(on: dt.date, *, rules: bool, figures: DeterminationFigures) -> dict[str, float]:
    """Every county as its job chunk would run it, each in its own transaction."""
    from bench.database import vacuum_if_needed
    from minzheng.domains.assistance import determination
    from minzheng.domains.assistance.models import Determination
    from minzheng.kernel.parameters.selectors import system_in_force
    from minzheng.kernel.verification.models import SourceRecord

    vacuum_if_needed([Determination._meta.db_table, SourceRecord._meta.db_table])

    phases: dict[str, float] = defaultdict(float)
    system = system_in_force()
    months = determination.lookback_months(system, on)
    started = time.perf_counter()
    households = persons = 0
    for county in determination.county_codes():
        with transaction.atomic():
            t0 = time.perf_counter()
            population = determination.read_population(county, on, lookback_months=months)
            t1 = time.perf_counter()
            if rules:
                outputs = determination.evaluate(population, system=system)
            else:
                outputs = determination.empty_outputs(population)
            t2 = time.perf_counter()
            determination.write_determinations(population, outputs)
        t3 = time.perf_counter()
        phases["read"] += t1 - t0
        phases["rules"] += t2 - t1
        phases["write"] += t3 - t2
        households += population.household_count
        figures.county_households[county] = population.household_count
        persons += population.person_count
    phases["total"] = time.perf_counter() - started
    figures.households, figures.persons = households, persons
    return dict(phases)


def checksums(period: dt.date) -> dict[str, str]:
    """Per county, an MD5 of every determined column of the month's rows (not job or time)."""
    from minzheng.domains.assistance.determination import COLUMNS
    from minzheng.domains.assistance.models import Determination

    columns = ", ".join(["household_id", *(c.name for c in COLUMNS)])
    table = Determination._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT county, md5(string_agg(concat_ws(',', {columns}), ';'"
            f" ORDER BY household_id)) FROM {table} WHERE period = %s GROUP BY county"
            " ORDER BY county",
            [period],
        )
        return dict(cursor.fetchall())


def _run_chunk(job_id: int, key: str) -> float:
    from minzheng.kernel.jobs.services import job_run_chunk

    started = time.perf_counter()
    job_run_chunk(job_id=job_id, key=key)
    return time.perf_counter() - started


def _parallel(on: dt.date, *, workers: int, sizes: dict[str, int]) -> float:
    """The real job on ``workers`` processes (forked, each with its own connection)."""
    from minzheng.domains.assistance.determination import county_codes
    from minzheng.domains.assistance.services import determination_start
    from minzheng.kernel.jobs.models import JobStatus

    started = time.perf_counter()
    job = determination_start(actor=None, on=on, enqueue=False)
    keys = list(job.chunks.values_list("key", flat=True))
    # The largest counties first, so that the last chunk to start is a small one.
    order = {code: i for i, code in enumerate(county_codes())}
    keys.sort(key=lambda key: (-sizes.get(key, 0), order.get(key, 0)))
    connections.close_all()  # a forked child must not share the parent's connection
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pool.starmap(_run_chunk, [(job.pk, key) for key in keys], chunksize=1)
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    if job.status != JobStatus.SUCCEEDED:
        raise RuntimeError(f"parallel determination job {job.pk} ended {job.status}: {job.error}")
    return elapsed


def run(*, on: dt.date | None = None) -> DeterminationFigures:
    from bench.database import vacuum_if_needed
    from minzheng.domains.assistance import whatif
    from minzheng.domains.assistance.models import Determination
    from minzheng.kernel.parameters.models import ChangeStatus, ParameterChange
    from minzheng.kernel.parameters.selectors import system_in_force

    on = on or timezone.localdate().replace(day=1)
    figures = DeterminationFigures(on=on)
    started = time.perf_counter()
    figures.asset_records_seeded = seed_asset_records(on=on)
    figures.asset_seed_seconds = time.perf_counter() - started
    figures.floor = _pass(on, rules=False, figures=figures)
    figures.with_rules = _pass(on, rules=True, figures=figures)
    sequential = checksums(on)
    figures.county_checksums = sequential
    figures.asset_households = _asset_households(on)
    vacuum_if_needed([Determination._meta.db_table])
    figures.parallel_seconds = _parallel(on, workers=WORKERS, sizes=figures.county_households)
    figures.checksums_equal = checksums(on) == sequential
    figures.worker_rss_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    # (c) one county's standard raised by 100 yuan, previewed across the city. The proposal
    # is not saved: the preview needs only its path, date and value.
    county = "330402"
    path = f"assistance.dibao.standard.c{county}"
    current = system_in_force().parameters(on.isoformat()).assistance.dibao.standard[f"c{county}"]
    change = ParameterChange(
        path=path,
        start=on,
        value=float(current) + 100,
        source_document="benchmark",
        status=ChangeStatus.PROPOSED,
    )
    whatif.whatif_cache_clear()
    started = time.perf_counter()
    for code in whatif.county_codes():  # build and compute every county's baseline once
        whatif._baseline(code, on, whatif.register_version(), system_in_force())
    figures.whatif_build_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = whatif.whatif_preview(actor=None, change=change, on=on)
    figures.whatif_seconds = time.perf_counter() - started
    figures.whatif_entering = result.entering("dibao")
    figures.whatif_cost_change = result.cost_change
    figures.whatif_county = county
    figures.rss_peak_mb = peak_rss_mb()
    return figures


def _asset_households(period: dt.date) -> dict[str, int]:
    """How many households of the month failed the asset test, and how many passed it."""
    from minzheng.domains.assistance.models import Determination

    rows = Determination.objects.filter(period=period)
    return {
        "failed": rows.filter(assets_pass=False).count(),
        "passed": rows.filter(assets_pass=True).count(),
    }


def show(figures: DeterminationFigures) -> None:
    a = figures.with_rules["total"]
    b = figures.floor["total"]

    def phases(p: dict[str, float]) -> str:
        return f"read {p['read']:.1f} s, rules {p['rules']:.1f} s, write {p['write']:.1f} s"

    print(
        f"determination {figures.on:%Y-%m}: {figures.households:,} households, "
        f"{figures.persons:,} persons"
    )
    if figures.asset_records_seeded:
        print(
            f"  seeded {figures.asset_records_seeded:,} asset records in "
            f"{figures.asset_seed_seconds:.1f} s (not timed below)"
        )
    print(
        f"  asset test: {figures.asset_households.get('failed', 0):,} households fail, "
        f"{figures.asset_households.get('passed', 0):,} pass"
    )
    print(f"  (a) read → rules → write: {a:.1f} s ({phases(figures.with_rules)})  target ≤ 60 s")
    print(
        f"  (a∥) the job on {figures.parallel_workers} worker processes: "
        f"{figures.parallel_seconds:.1f} s wall  target ≤ 60 s; per-county checksums "
        f"{'equal' if figures.checksums_equal else 'DIFFER'} to (a)"
    )
    print(
        "      checksums: "
        + ", ".join(f"{county} {digest[:8]}" for county, digest in figures.county_checksums.items())
    )
    print(f"  (b) read → write, no rules: {b:.1f} s ({phases(figures.floor)})")
    print(f"      a/b = {a / b:.2f}  target ≤ 2")
    print(
        f"  (c) what-if, standard of {figures.whatif_county} +100 yuan: "
        f"{figures.whatif_seconds:.2f} s  target ≤ 1 s "
        f"(population built once beforehand: {figures.whatif_build_seconds:.1f} s); "
        f"{figures.whatif_entering:,} households enter dibao, monthly cost "
        f"{figures.whatif_cost_change:+,.0f} yuan"
    )
    print(
        f"  (e) peak RSS {figures.rss_peak_mb:,.0f} MB (a worker: "
        f"{figures.worker_rss_peak_mb:,.0f} MB)  target ≤ 4096 MB"
    )
