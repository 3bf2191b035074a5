"""A real Celery worker process against the local Redis broker.

Skipped, with the reason printed, when no broker answers; CI starts Redis, so there it runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app
from minzheng.kernel.jobs.models import JobRun, JobStatus
from minzheng.kernel.jobs.services import job_start
from minzheng.kernel.jobs.tasks import ping
from minzheng.kernel.regions.models import Region

BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[4]


def _broker_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(BROKER_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not _broker_reachable(),
        reason=f"no Celery broker reachable at {BROKER_URL}: start Redis to run this test",
    ),
]


def _reset_connections() -> None:
    """Forget cached broker pools and result backends so the new configuration applies."""
    app._after_fork()
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@pytest.fixture
def worker(settings):
    """Start a worker on a private queue; point this process's Celery app at the broker."""
    queue = f"minzheng-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "MINZHENG_TESTING": "1",
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_RESULT_BACKEND": BROKER_URL,
    }
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
            "-Q",
            queue,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    previous = {
        key: app.conf.get(key)
        for key in ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
    }
    app.conf.update(
        broker_url=BROKER_URL,
        result_backend=BROKER_URL,
        task_always_eager=False,
        task_default_queue=queue,
    )
    _reset_connections()
    try:
        yield queue
    finally:
        app.conf.update(previous)
        _reset_connections()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_task_round_trips_through_a_real_worker(worker):
    result = ping.apply_async(("minzheng",), queue=worker)
    assert result.get(timeout=60) == "pong:minzheng"


@pytest.mark.skipif(
    "DATABASE_URL" not in os.environ or not os.environ["DATABASE_URL"].startswith("postgres"),
    reason="the worker process shares the test database only on PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_county_split_job_runs_on_the_worker(worker):
    from minzheng.testing.world import build_world

    build_world()
    job = job_start(actor=None, kind="people.population_recount")  # enqueued after commit
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.5)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.done == job.total == 7
    assert Region.objects.get(code="330400").resident_population == 6
    assert JobRun.objects.count() == 1
