"""Starting, running and resuming chunked jobs."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common.errors import Conflict, PermissionRefused
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.jobs.models import JobChunk, JobRun, JobStatus
from minzheng.kernel.jobs.registry import job_kind

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

logger = logging.getLogger(__name__)


def job_start(
    *, actor: User | None, kind: str, params: dict[str, Any] | None = None, enqueue: bool = True
) -> JobRun:
    """Record a job and its chunks, then enqueue one task per chunk after commit."""
    if actor is not None and not has_perm(actor, Perm.JOBS_RUN):
        raise PermissionRefused(_("You may not start jobs."))
    spec = job_kind(kind)
    params = params or {}
    keys = spec.chunk_keys(params)
    if spec.prepare is not None and keys:
        spec.prepare(params, keys)
    with transaction.atomic():
        job = JobRun.objects.create(
            kind=kind,
            params=params,
            total=len(keys),
            created_by=actor if actor and actor.is_authenticated else None,
        )
        JobChunk.objects.bulk_create([JobChunk(job=job, key=key) for key in keys])
        audit_record(
            actor=actor,
            action="jobs.job.start",
            obj=job,
            changes={"kind": kind, "params": params, "chunks": len(keys)},
        )
        if enqueue:
            transaction.on_commit(lambda: _enqueue(job.pk, keys))
    if not keys:
        _finish_if_complete(job.pk)
    return job


def _enqueue(job_id: int, keys: list[str]) -> None:
    """One Celery task per chunk (inline when no broker is configured).

    The task is looked up by name, so this module does not import the tasks module that
    imports it.
    """
    run_job_chunk = current_app.tasks["jobs.run_chunk"]
    for key in keys:
        run_job_chunk.delay(job_id, key)


def job_run_chunk(*, job_id: int, key: str) -> bool:
    """Run one chunk unless it is already done; returns whether it ran. Safe to retry."""
    job = JobRun.objects.get(pk=job_id)
    spec = job_kind(job.kind)
    now = timezone.now()
    JobRun.objects.filter(pk=job_id, started_at__isnull=True).update(
        started_at=now, status=JobStatus.RUNNING
    )
    claimed = (
        JobChunk.objects.filter(job_id=job_id, key=key)
        .exclude(status=JobStatus.SUCCEEDED)
        .update(status=JobStatus.RUNNING, started_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    try:
        with transaction.atomic():
            chunk = JobChunk.objects.select_for_update().get(job_id=job_id, key=key)
            if chunk.status == JobStatus.SUCCEEDED:
                return False
            items = spec.run_chunk(job.params, key)
            JobChunk.objects.filter(pk=chunk.pk).update(
                status=JobStatus.SUCCEEDED, items=items, finished_at=timezone.now(), error=""
            )
            JobRun.objects.filter(pk=job_id).update(done=F("done") + 1, items=F("items") + items)
    except Exception as exc:
        logger.exception("Job %s chunk %s failed", job_id, key)
        JobChunk.objects.filter(job_id=job_id, key=key).update(
            status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        JobRun.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, error=f"{key}: {exc}"[:2000], finished_at=timezone.now()
        )
        raise
    _finish_if_complete(job_id)
    return True


def _finish_if_complete(job_id: int) -> None:
    with transaction.atomic():
        job = JobRun.objects.select_for_update().get(pk=job_id)
        if job.is_finished and job.status == JobStatus.SUCCEEDED:
            return
        if job.chunks.exclude(status=JobStatus.SUCCEEDED).exists():
            return
        spec = job_kind(job.kind)
        if spec.finish is not None:
            spec.finish(job.params)
        now = timezone.now()
        JobRun.objects.filter(pk=job_id).update(
            status=JobStatus.SUCCEEDED, finished_at=now, started_at=job.started_at or now, error=""
        )


def job_resume(*, actor: User | None, job: JobRun, enqueue: bool = True) -> list[str]:
    """Re-run every chunk that did not succeed (after a crash or a failure)."""
    if actor is not None and not has_perm(actor, Perm.JOBS_RUN):
        raise PermissionRefused(_("You may not resume jobs."))
    if job.status == JobStatus.SUCCEEDED:
        raise Conflict(_("This job has already finished."), code="job_finished")
    with transaction.atomic():
        keys = list(job.chunks.exclude(status=JobStatus.SUCCEEDED).values_list("key", flat=True))
        JobChunk.objects.filter(job=job, key__in=keys).update(status=JobStatus.QUEUED)
        JobRun.objects.filter(pk=job.pk).update(
            status=JobStatus.RUNNING, error="", finished_at=None
        )
        audit_record(actor=actor, action="jobs.job.resume", obj=job, changes={"chunks": keys})
        if enqueue:
            transaction.on_commit(lambda: _enqueue(job.pk, keys))
    return keys
