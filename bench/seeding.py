"""City-scale seeding: rows per second per table, phase timings and peak memory."""

from __future__ import annotations

import resource
import time
import tracemalloc
from dataclasses import dataclass

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
