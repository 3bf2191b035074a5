"""Celery tasks of the assistance domain: thin, idempotent wrappers around services.

`BEAT_SCHEDULE` below is the schedule of these tasks, for the Celery beat configuration
(or an operator's cron): `assistance.reviews_schedule` on the first of every month and
`assistance.standard_changes_due` daily. Both start a chunked job with one Celery task per
county (kernel/jobs). `assistance.drafts_purge` runs every night and removes the portal's
abandoned drafts in bulk (also `manage.py assistance_drafts_purge`).
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from celery.schedules import crontab

BEAT_SCHEDULE = {
    # The month's determination first; discovery reads its rows, visits read discovery.
    "assistance-determine": {
        "task": "assistance.determine_month",
        "schedule": crontab(minute=10, hour=0, day_of_month=1),
    },
    "assistance-discover": {
        "task": "assistance.discover_month",
        "schedule": crontab(minute=0, hour=6, day_of_month=1),
    },
    "assistance-visits-schedule": {
        "task": "assistance.visits_schedule_month",
        "schedule": crontab(minute=0, hour=7, day_of_month=1),
    },
    "assistance-reviews-schedule": {
        "task": "assistance.reviews_schedule",
        "schedule": crontab(minute=0, hour=1, day_of_month=1),
    },
    "assistance-standard-changes-due": {
        "task": "assistance.standard_changes_due",
        "schedule": crontab(minute=30, hour=0),
    },
    # At night, when nobody is filling in a draft.
    "assistance-drafts-purge": {
        "task": "assistance.drafts_purge",
        "schedule": crontab(minute=30, hour=3),
    },
}


@shared_task(name="assistance.reviews_schedule")
def reviews_schedule(on: str | None = None) -> int:
    """Create the scheduled reviews due by `on` (ISO date; today): one job, a chunk per county."""
    from django.utils import timezone

    from minzheng.domains.assistance.services.review import SCHEDULE_KIND
    from minzheng.kernel.jobs.services import job_start

    day = dt.date.fromisoformat(on) if on else timezone.localdate()
    return job_start(actor=None, kind=SCHEDULE_KIND, params={"on": day.isoformat()}).pk


@shared_task(name="assistance.reviews_trigger", acks_late=True)
def reviews_trigger(batch_id: int) -> int:
    """Open the triggered reviews of an imported source batch (safe to retry)."""
    from minzheng.domains.assistance.services.review import reviews_trigger_for_batch
    from minzheng.kernel.verification.models import SourceBatch

    batch = SourceBatch.objects.select_related("source", "region").get(pk=batch_id)
    return reviews_trigger_for_batch(batch=batch)


@shared_task(name="assistance.standard_change_recalculate")
def standard_change_recalculate(change_id: int) -> int:
    """Recalculate every enrolment after a confirmed change in force: a chunk per county."""
    from minzheng.common.errors import Conflict
    from minzheng.domains.assistance.services.review import standard_change_recalculate_start
    from minzheng.kernel.parameters.models import ParameterChange

    change = ParameterChange.objects.get(pk=change_id)
    try:
        return standard_change_recalculate_start(actor=None, change=change).pk
    except Conflict:  # already recalculated (a retry), or withdrawn meanwhile
        return 0


@shared_task(name="assistance.standard_changes_due")
def standard_changes_due() -> list[int]:
    """Daily: recalculate after changes confirmed earlier that have come into force."""
    from minzheng.domains.assistance.services.review import standard_changes_due_start

    return standard_changes_due_start()


def _start_job(kind: str) -> int:
    from minzheng.kernel.jobs.services import job_start

    return job_start(actor=None, kind=kind, params={}).pk


@shared_task(name="assistance.determine_month")
def determine_month() -> int:
    """Monthly: determine every household of the register for this month (a chunk per county)."""
    from django.utils import timezone

    from minzheng.domains.assistance.services import determination_start

    return determination_start(actor=None, on=timezone.localdate()).pk


@shared_task(name="assistance.discover_month")
def discover_month() -> int:
    """Monthly: discovery tasks for households flagged by this month's determination."""
    from minzheng.domains.assistance.services.discovery import DISCOVER_KIND

    return _start_job(DISCOVER_KIND)


@shared_task(name="assistance.visits_schedule_month")
def visits_schedule_month() -> int:
    """Monthly: schedule the visits due, by risk."""
    from minzheng.domains.assistance.services.discovery import VISITS_SCHEDULE_KIND

    return _start_job(VISITS_SCHEDULE_KIND)


@shared_task(name="assistance.drafts_purge")
def drafts_purge(older_than_days: int | None = None) -> dict[str, object]:
    """Nightly: delete the portal drafts never submitted and left unchanged for
    ASSISTANCE_DRAFT_RETENTION_DAYS (or `older_than_days`), with their files; idempotent."""
    from minzheng.domains.assistance.services.portal import drafts_purge_abandoned

    return drafts_purge_abandoned(older_than_days=older_than_days).as_dict()
