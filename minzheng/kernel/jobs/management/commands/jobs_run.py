from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from minzheng.kernel.jobs.models import JobRun
from minzheng.kernel.jobs.registry import JOB_KINDS
from minzheng.kernel.jobs.services import job_run_chunk, job_start


class Command(BaseCommand):
    help = "Start a job and run its chunks here with a progress bar (or enqueue them with --async)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(JOB_KINDS))
        parser.add_argument("--params", default="{}", help="job parameters as JSON")
        parser.add_argument(
            "--async",
            dest="use_workers",
            action="store_true",
            help="enqueue the chunks for Celery workers instead",
        )

    def handle(self, *args: Any, kind: str, params: str, use_workers: bool, **options: Any) -> None:
        job = job_start(actor=None, kind=kind, params=json.loads(params), enqueue=use_workers)
        self.stdout.write(f"Job #{job.pk} ({kind}): {job.total} chunk(s)")
        if not use_workers:
            run_pending_chunks(job, self.stdout)
        job.refresh_from_db()
        self.stdout.write(f"Job #{job.pk}: {job.get_status_display()}, {job.items} item(s)")


def run_pending_chunks(job: JobRun, stream: Any) -> None:
    """Run every chunk that has not succeeded, in key order, with a progress bar."""
    keys = list(job.chunks.exclude(status="succeeded").values_list("key", flat=True))
    with tqdm(total=job.total, initial=job.total - len(keys), file=stream, unit="chunk") as bar:
        for key in keys:
            bar.set_postfix_str(key)
            job_run_chunk(job_id=job.pk, key=key)
            bar.update(1)
