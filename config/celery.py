"""Celery application; tasks run eagerly when no CELERY_BROKER_URL is configured."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("minzheng")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _beat_schedule(sender: Celery, **kwargs: object) -> None:
    """The periodic tasks (run by `celery -A config beat`): the domains' schedules."""
    from minzheng.domains.assistance.tasks import BEAT_SCHEDULE

    sender.conf.beat_schedule = {**(sender.conf.beat_schedule or {}), **BEAT_SCHEDULE}
