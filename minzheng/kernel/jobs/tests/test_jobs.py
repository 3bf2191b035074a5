import io

import pytest
from django.core.management import call_command

from minzheng.common.errors import Conflict, PermissionRefused
from minzheng.kernel.jobs.models import JobChunk, JobRun, JobStatus
from minzheng.kernel.jobs.registry import JOB_KINDS, JobKind, register_job
from minzheng.kernel.jobs.services import job_resume, job_run_chunk, job_start
from minzheng.kernel.regions.models import Region

pytestmark = pytest.mark.django_db

RUNS: list[str] = []
CRASH_ON: set[str] = set()


def _chunk(params, key):
    if key in CRASH_ON:
        CRASH_ON.discard(key)
        Region.objects.filter(code=key).update(resident_population=999_999)  # rolled back
        raise RuntimeError(f"worker died in {key}")
    RUNS.append(key)
    return 10


@pytest.fixture
def counting_kind():
    RUNS.clear()
    CRASH_ON.clear()
    register_job(
        JobKind(
            name="test.count",
            label="test",
            chunk_keys=lambda p: ["a", "b", "330402"],
            run_chunk=_chunk,
        )
    )
    yield "test.count"
    JOB_KINDS.pop("test.count")


def test_a_job_runs_each_chunk_once(counting_kind):
    job = job_start(actor=None, kind=counting_kind, enqueue=False)
    for key in ["a", "b", "330402", "a"]:
        job_run_chunk(job_id=job.pk, key=key)
    job.refresh_from_db()
    assert RUNS == ["a", "b", "330402"]
    assert (job.status, job.done, job.total, job.items, job.percent) == (
        JobStatus.SUCCEEDED,
        3,
        3,
        30,
        100,
    )


def test_a_crashed_chunk_leaves_nothing_and_resume_runs_only_what_is_left(counting_kind):
    CRASH_ON.add("330402")
    job = job_start(actor=None, kind=counting_kind, enqueue=False)
    job_run_chunk(job_id=job.pk, key="a")
    with pytest.raises(RuntimeError):
        job_run_chunk(job_id=job.pk, key="330402")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "worker died" in job.error
    assert Region.objects.get(code="330402").resident_population != 999_999

    resumed = job_resume(actor=None, job=job, enqueue=False)
    assert sorted(resumed) == ["330402", "b"]
    for key in resumed:
        job_run_chunk(job_id=job.pk, key=key)
    job.refresh_from_db()
    assert sorted(RUNS) == ["330402", "a", "b"]
    assert (job.status, job.done, job.items) == (JobStatus.SUCCEEDED, 3, 30)
    assert JobChunk.objects.get(job=job, key="330402").attempts == 2
    with pytest.raises(Conflict):
        job_resume(actor=None, job=job)


def test_a_chunk_left_running_by_a_killed_worker_is_resumed(counting_kind):
    job = job_start(actor=None, kind=counting_kind, enqueue=False)
    JobChunk.objects.filter(job=job, key="b").update(status=JobStatus.RUNNING)  # killed mid-run
    job_run_chunk(job_id=job.pk, key="a")
    job_run_chunk(job_id=job.pk, key="330402")
    job.refresh_from_db()
    assert job.status != JobStatus.SUCCEEDED
    assert job_resume(actor=None, job=job, enqueue=False) == ["b"]


def test_only_permitted_actors_start_jobs(world, counting_kind):
    with pytest.raises(PermissionRefused):
        job_start(actor=world.town_clerk, kind=counting_kind, enqueue=False)
    assert job_start(actor=world.county_approver, kind=counting_kind, enqueue=False).total == 3


def test_jobs_start_runs_inline_after_commit_in_the_embedded_default(
    counting_kind, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(actor=None, kind=counting_kind)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED


def test_population_recount_counts_living_persons(world):
    out = io.StringIO()
    call_command("jobs_run", "people.population_recount", stdout=out, stderr=out)
    job = JobRun.objects.get(kind="people.population_recount")
    assert job.status == JobStatus.SUCCEEDED
    assert job.total == 7
    regions = {r.code: r for r in Region.objects.all()}
    assert regions["330402009"].resident_population == 3
    assert regions["330402009001001"].resident_population == 3
    assert regions["330402"].registered_population == 3
    assert regions["330411105"].resident_population == 3
    assert regions["330400"].resident_population == 6
    assert regions["330421"].resident_population == 0
    assert "Succeeded" in out.getvalue() or "成功" in out.getvalue()


def test_jobs_resume_command(counting_kind):
    CRASH_ON.add("b")
    job = job_start(actor=None, kind=counting_kind, enqueue=False)
    with pytest.raises(RuntimeError):
        job_run_chunk(job_id=job.pk, key="b")
    out = io.StringIO()
    call_command("jobs_resume", str(job.pk), stdout=out, stderr=out)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert sorted(RUNS) == ["330402", "a", "b"]
