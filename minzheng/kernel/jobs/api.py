"""API: long-running jobs and their progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from minzheng.common.api import ObjectId, Page, PageParams, paginate
from minzheng.kernel.accounts.api import request_actor
from minzheng.kernel.jobs.models import JobChunk, JobRun, JobStatus
from minzheng.kernel.jobs.selectors import job_chunk_list, job_get, job_list

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: int
    kind: str
    params: dict[str, Any]
    status: JobStatus
    done: int = Field(description="Chunks finished.")
    total: int = Field(description="Chunks in all.")
    percent: int = Field(ge=0, le=100)
    items: int = Field(description="Items processed so far.")
    created_by: str | None = Field(description="User name of whoever started it; null: system.")
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    duration_seconds: float | None
    error: str

    @staticmethod
    def resolve_created_by(obj: JobRun) -> str | None:
        return obj.created_by.get_username() if obj.created_by else None


class JobChunkOut(Schema):
    key: str = Field(description="What the chunk covers, usually a county code.")
    status: JobStatus
    items: int
    attempts: int
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str


class JobDetailOut(JobOut):
    chunks: list[JobChunkOut] = Field(description="The chunks in key order.")

    @staticmethod
    def resolve_chunks(obj: JobRun) -> list[JobChunk]:
        return job_chunk_list(job=obj)


class JobPage(Page[JobOut]):
    pass


@router.get("/jobs", response=JobPage, summary="List jobs")
def list_jobs(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """Jobs, newest first, with their progress."""
    return paginate(job_list(actor=request_actor(request)), page)


@router.get("/jobs/{job_id}", response=JobDetailOut, summary="Get a job")
def get_job(request: HttpRequest, job_id: ObjectId) -> JobRun:
    """One job and its progress, chunk by chunk; poll it while it runs."""
    return job_get(actor=request_actor(request), job_id=job_id)
