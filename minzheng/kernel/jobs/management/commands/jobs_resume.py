from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minzheng.common.errors import ApplicationError
from minzheng.kernel.jobs.management.commands.jobs_run import run_pending_chunks
from minzheng.kernel.jobs.models import JobRun
from minzheng.kernel.jobs.services import job_resume


class Command(BaseCommand):
    help = "Resume a job after a crash or failure: re-run only the chunks that did not finish."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job_id", type=int)
        parser.add_argument("--async", dest="use_workers", action="store_true")

    def handle(self, *args: Any, job_id: int, use_workers: bool, **options: Any) -> None:
        job = JobRun.objects.filter(pk=job_id).first()
        if job is None:
            raise CommandError(f"No job #{job_id}.")
        try:
            keys = job_resume(actor=None, job=job, enqueue=use_workers)
        except ApplicationError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Job #{job.pk}: resuming {len(keys)} chunk(s)")
        if not use_workers:
            run_pending_chunks(job, self.stdout)
        job.refresh_from_db()
        self.stdout.write(f"Job #{job.pk}: {job.get_status_display()}")
