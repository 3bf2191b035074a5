"""manage.py seed_demo: load the deterministic demo register and the demo accounts."""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from minzheng.common.errors import ApplicationError
from minzheng.kernel.people.demo import SCALES, SeedReport, seed_demo


class Command(BaseCommand):
    help = (
        "Load demo data: villages and grids of every town, households and persons "
        "(demo ≈ 6,000 households over the city, county = 南湖区, city ≈ 2 M households), "
        "the demo accounts, then recount region populations. Same seed, same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing to a register that already holds persons (safe to repeat)",
        )
        parser.add_argument(
            "--households", type=int, default=None, help="override the scale's household count"
        )
        parser.add_argument(
            "--history",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="write the 'created' history rows (default: demo scale only)",
        )
        parser.add_argument(
            "--force", action="store_true", help="allow loading demo data with DEBUG off"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEBUG or settings.TESTING or options["force"]):
            raise CommandError("Refusing to load demo data with DEBUG off; add --force if meant.")
        total = options["households"] or SCALES[options["scale"]][0]
        with tqdm(
            total=total, unit="household", file=self.stderr, disable=None, leave=False
        ) as bar:

            def progress(county: str, households: int) -> None:
                bar.set_postfix_str(county)
                bar.update(households)

            try:
                report = seed_demo(
                    scale=options["scale"],
                    seed=options["seed"],
                    if_empty=options["if_empty"],
                    households=options["households"],
                    history=options["history"],
                    progress=progress,
                )
            except ApplicationError as error:
                raise CommandError(str(error.message)) from None
        self._summary(report)

    def _summary(self, report: SeedReport) -> None:
        """Counts, rates and phase timings of the load."""
        if report.skipped:
            self.stdout.write(
                "The register already holds persons: demo data left as it is "
                f"({report.regions_created} region(s) added)."
            )
            return
        seconds = report.seconds
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded scale {report.scale} (seed {report.seed}): "
                f"{report.households:,} households, {report.persons:,} persons, "
                f"{report.memberships:,} memberships, {report.regions_created:,} new regions "
                f"in {seconds:.1f} s ({report.persons / max(seconds, 1e-9):,.0f} persons/s)."
            )
        )
        phases = ", ".join(f"{name} {value:.1f} s" for name, value in report.timings.items())
        self.stdout.write(f"Phases: {phases}")
        if not report.resident:
            self.stdout.write("No household in 新嘉街道: the demo resident was not created.")
