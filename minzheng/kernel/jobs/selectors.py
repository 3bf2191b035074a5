from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from minzheng.common.errors import NotFound, PermissionRefused
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.jobs.models import JobChunk, JobRun

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User


def job_list(*, actor: User) -> QuerySet[JobRun]:
    if not has_perm(actor, Perm.JOBS_VIEW):
        raise PermissionRefused("You may not view jobs.")
    return JobRun.objects.select_related("created_by").order_by("-created_at", "-id")


def job_get(*, actor: User, job_id: int) -> JobRun:
    try:
        return job_list(actor=actor).get(pk=job_id)
    except JobRun.DoesNotExist:
        raise NotFound("No such job.", code="job_not_found") from None


def job_chunk_list(*, job: JobRun) -> list[JobChunk]:
    """The job's chunks (usually one per county) in key order."""
    return list(JobChunk.objects.filter(job_id=job.pk).order_by("key"))
