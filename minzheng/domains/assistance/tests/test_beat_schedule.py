"""Every periodic task of the beat schedule exists, and the monthly ones start their jobs."""

from __future__ import annotations

import pytest

from config.celery import app
from minzheng.domains.assistance import tasks
from minzheng.kernel.jobs.models import JobRun


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    app.finalize()
    assert app.conf.beat_schedule.keys() >= tasks.BEAT_SCHEDULE.keys()
    for entry in tasks.BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("task", "kind"),
    [
        (tasks.determine_month, "assistance.determine"),
        (tasks.discover_month, "assistance.discover"),
        (tasks.visits_schedule_month, "assistance.visits_schedule"),
    ],
)
def test_the_monthly_tasks_start_their_jobs(world, task, kind):
    job_id = task.run()
    assert JobRun.objects.get(pk=job_id).kind == kind
