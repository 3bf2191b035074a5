"""Celery tasks: thin, idempotent wrappers around the job services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="jobs.run_chunk", acks_late=True)
def run_job_chunk(job_id: int, key: str) -> bool:
    from minzheng.kernel.jobs.services import job_run_chunk

    return job_run_chunk(job_id=job_id, key=key)


@shared_task(name="jobs.ping")
def ping(value: str) -> str:
    """Round trip through the broker, used by the health check and the worker test."""
    return f"pong:{value}"
