from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from minzheng.common.errors import ApplicationError
from minzheng.domains.assistance.services import determination_start
from minzheng.kernel.jobs.management.commands.jobs_run import run_pending_chunks


class Command(BaseCommand):
    help = (
        "Determine every household's assistance for the month of --date, one job chunk per "
        "county, with a progress bar (or enqueue the chunks for the workers with --async)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", dest="everything", action="store_true", help="every household of the register"
        )
        parser.add_argument(
            "--county", action="append", default=[], help="only this county (repeatable)"
        )
        parser.add_argument("--date", default="", help="YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--async",
            dest="use_workers",
            action="store_true",
            help="enqueue the chunks for Celery workers instead",
        )

    def handle(
        self,
        *args: Any,
        everything: bool,
        county: list[str],
        date: str,
        use_workers: bool,
        **options: Any,
    ) -> None:
        if not everything and not county:
            raise CommandError("Give --all or at least one --county.")
        try:
            on = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date: expected YYYY-MM-DD, got {date!r}") from None
        try:
            job = determination_start(
                actor=None, on=on, counties=[] if everything else county, enqueue=use_workers
            )
        except ApplicationError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Job #{job.pk} (assistance.determine {on:%Y-%m}): {job.total} chunk(s)")
        if not use_workers:
            run_pending_chunks(job, self.stdout)
        job.refresh_from_db()
        self.stdout.write(f"Job #{job.pk}: {job.get_status_display()}, {job.items} household(s)")
