"""City-scale seeding: rows per second per table, phase timings and peak memory."""

from __future__ import annotations

import datetime as dt
import hashlib
import resource
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any

from minzheng.kernel.people.demo import SeedReport, seed_demo

REGISTER_PHASES = (
    "regions",
    "drop indexes",
    "generate",
    "build rows",
    "write",
    "rebuild indexes",
    "history",
    "analyze",
)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class SeedFigures:
    report: SeedReport
    wall_seconds: float
    rss_before_mb: float
    rss_peak_mb: float
    python_peak_mb: float | None


def run(*, scale: str, seed: int, households: int | None, trace: bool) -> SeedFigures:
    """Seed once and measure it."""
    before = peak_rss_mb()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    report = seed_demo(scale=scale, seed=seed, households=households, history=False)
    wall = time.perf_counter() - started
    python_peak = None
    if trace:
        python_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return SeedFigures(report, wall, before, peak_rss_mb(), python_peak)


def show(figures: SeedFigures) -> None:
    """Print the seeding figures."""
    report = figures.report
    load = sum(report.timings.get(phase, 0.0) for phase in REGISTER_PHASES)
    print(f"\n== Seeding, scale {report.scale} (seed {report.seed}) ==")
    print(f"register load       {load:8.1f} s  (regions, rows, indexes, statistics)")
    print(f"total               {figures.wall_seconds:8.1f} s  (also accounts, population recount)")
    for label, rows in (
        ("persons", report.persons),
        ("households", report.households),
        ("memberships", report.memberships),
    ):
        print(f"{label:<12} {rows:>12,} rows {rows / load:>12,.0f} rows/s")
    total_rows = report.persons + report.households + report.memberships
    print(f"{'all three':<12} {total_rows:>12,} rows {total_rows / load:>12,.0f} rows/s")
    print("phases:  " + ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items()))
    print(
        f"peak RSS {figures.rss_peak_mb:,.0f} MB (before seeding {figures.rss_before_mb:,.0f} MB)"
    )
    if figures.python_peak_mb is not None:
        print(f"peak Python heap (tracemalloc) {figures.python_peak_mb:,.0f} MB")


# ---------------------------------------------------------------- asset records at city scale

ASSET_SOURCES = ("deposit", "real_estate", "vehicle", "business")


def _normal() -> str:
    """A standard normal draw in SQL (Box–Muller over random())."""
    return "(sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))"


def seed_asset_records(*, on: dt.date, seed: int = 1) -> int:
    """Asset records for the whole register, set-based, when it has none; returns how many.

    The demo generator (``kernel.verification.demo``) skips registers above 200 000 persons,
    so the city-scale benchmark would never read an asset. These rows follow the demo's
    rates: most adults hold deposits (a few also wealth products), about 72 % of households
    own a home (co-owned by head and spouse; 8 % own a second one), 38 % a car and 7 % a
    business (15 % of those deregistered). One imported batch per source, all records linked
    to their person, dated before ``on``.
    """
    from django.db import connection, transaction

    from minzheng.kernel.regions.models import Region
    from minzheng.kernel.verification.models import (
        BatchStatus,
        DataSource,
        SourceBatch,
        SourceRecord,
    )
    from minzheng.kernel.verification.writing import ensure_batch_partition

    sources = {s.code: s for s in DataSource.objects.filter(code__in=ASSET_SOURCES)}
    if SourceRecord.objects.filter(source__in=sources.values()).exists():
        return 0
    city = Region.objects.filter(parent__isnull=True).order_by("path").get()
    as_of = on.replace(day=1) - dt.timedelta(days=1)
    adult = on.replace(year=on.year - 18)
    batches = {}
    with transaction.atomic():
        for code, source in sources.items():
            batches[code] = SourceBatch.objects.create(
                source=source,
                region=city,
                file_name=f"bench-{code}.csv",
                file_format="csv",
                checksum=hashlib.sha256(f"bench:{seed}:{code}".encode()).hexdigest(),
                status=BatchStatus.IMPORTED,
            ).pk
            ensure_batch_partition(batches[code])
        table = SourceRecord._meta.db_table
        columns = (
            f"INSERT INTO {table} (batch_id, source_id, person_id, id_number_digest,"
            " id_number_masked, name, item, period_start, period_end, amount, area, reference,"
            " payload)"
        )
        person = "p.id, p.id_number_digest, p.id_number_masked, p.name"
        heads = (
            "SELECT m.household_id, random() AS draw, random() AS car, random() AS firm,"
            " random() AS other FROM people_membership m"
            " WHERE m.relation = 'head' AND m.end_date IS NULL"
        )
        owners = (
            "JOIN people_membership m ON m.household_id = h.household_id"
            " AND m.end_date IS NULL JOIN people_person p ON p.id = m.person_id"
        )
        statements = [
            # deposits of adults, and some wealth products at the same bank
            f"{columns} SELECT %(deposit)s, %(deposit_source)s, {person}, k.item, %(as_of)s,"
            f" %(as_of)s, round(exp(ln(k.scale) + k.sigma * {_normal()})::numeric, -2), NULL,"
            " 'bank ' || (p.id %% 4), '{}'"
            " FROM people_person p CROSS JOIN (VALUES ('deposit', 30000.0, 1.1, 0.8),"
            " ('wealth_product', 50000.0, 0.8, 0.12)) AS k(item, scale, sigma, rate)"
            " WHERE p.birth_date <= %(adult)s AND p.death_date IS NULL AND random() < k.rate",
            # homes: the first co-owned by head and spouse, a second one the head's alone
            f"{columns} SELECT %(real_estate)s, %(real_estate_source)s, {person}, 'residential',"
            " DATE '2015-06-18', DATE '2015-06-18', NULL, 95,"
            " '浙(2015)嘉兴市不动产权第' || lpad(h.household_id::text, 8, '0') || '-' || n || '号',"
            " '{}'"
            f" FROM ({heads}) h CROSS JOIN (VALUES (1), (2)) AS c(n) {owners}"
            " WHERE (c.n = 1 AND h.draw >= 0.28 AND m.relation IN ('head', 'spouse'))"
            " OR (c.n = 2 AND h.draw > 0.92 AND m.relation = 'head')",
            # a car for 38 % of households, a business for 7 % (15 % of them deregistered)
            f"{columns} SELECT %(vehicle)s, %(vehicle_source)s, {person}, 'car',"
            " DATE '2019-04-02', DATE '2019-04-02', 98000, NULL,"
            " '浙F' || lpad(h.household_id::text, 7, '0'), '{}'"
            f" FROM ({heads}) h {owners} WHERE m.relation = 'head' AND h.car < 0.38",
            f"{columns} SELECT %(business)s, %(business_source)s, {person}, 'sole_proprietor',"
            " DATE '2018-09-12', DATE '2018-09-12', 100000, NULL,"
            " '92330400' || lpad(h.household_id::text, 10, '0'),"
            " jsonb_build_object('status', CASE WHEN h.other < 0.85 THEN 'active'"
            " ELSE 'cancelled' END)"
            f" FROM ({heads}) h {owners} WHERE m.relation = 'head' AND h.firm < 0.07",
        ]
        params: dict[str, Any] = {"as_of": as_of, "adult": adult}
        for code, source in sources.items():
            params[code] = batches[code]
            params[f"{code}_source"] = source.pk
        total = 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [1 / (seed + 1)])
            for statement in statements:
                cursor.execute(statement, params)
                total += cursor.rowcount
            cursor.execute(f"ANALYZE {table}")
        for pk in batches.values():
            count = SourceRecord.objects.filter(batch_id=pk).count()
            SourceBatch.objects.filter(pk=pk).update(
                row_count=count, valid_count=count, imported_count=count, linked_count=count
            )
    return total
