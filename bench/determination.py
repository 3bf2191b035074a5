"""Bulk determination and what-if at city scale: (a) read → rules → write, (b) the same read
and write with no rules (the floor) and a/b, (c) a what-if of one county's standard change
across the city, (e) peak memory.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from bench.seeding import peak_rss_mb


@dataclass
class DeterminationFigures:
    on: dt.date
    households: int = 0
    persons: int = 0
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
    from minzheng.domains.assistance import determination
    from minzheng.kernel.parameters.selectors import system_in_force

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
        persons += population.person_count
    phases["total"] = time.perf_counter() - started
    figures.households, figures.persons = households, persons
    return dict(phases)


def run(*, on: dt.date | None = None) -> DeterminationFigures:
    from minzheng.domains.assistance import whatif
    from minzheng.kernel.parameters.models import ChangeStatus, ParameterChange
    from minzheng.kernel.parameters.selectors import system_in_force

    on = on or timezone.localdate().replace(day=1)
    figures = DeterminationFigures(on=on)
    figures.floor = _pass(on, rules=False, figures=figures)
    figures.with_rules = _pass(on, rules=True, figures=figures)

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


def show(figures: DeterminationFigures) -> None:
    a = figures.with_rules["total"]
    b = figures.floor["total"]

    def phases(p: dict[str, float]) -> str:
        return f"read {p['read']:.1f} s, rules {p['rules']:.1f} s, write {p['write']:.1f} s"

    print(
        f"determination {figures.on:%Y-%m}: {figures.households:,} households, "
        f"{figures.persons:,} persons"
    )
    print(f"  (a) read → rules → write: {a:.1f} s ({phases(figures.with_rules)})  target ≤ 60 s")
    print(f"  (b) read → write, no rules: {b:.1f} s ({phases(figures.floor)})")
    print(f"      a/b = {a / b:.2f}  target ≤ 2")
    print(
        f"  (c) what-if, standard of {figures.whatif_county} +100 yuan: "
        f"{figures.whatif_seconds:.2f} s  target ≤ 1 s "
        f"(population built once beforehand: {figures.whatif_build_seconds:.1f} s); "
        f"{figures.whatif_entering:,} households enter dibao, monthly cost "
        f"{figures.whatif_cost_change:+,.0f} yuan"
    )
    print(f"  (e) peak RSS {figures.rss_peak_mb:,.0f} MB  target ≤ 4096 MB")
