from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "minzheng.kernel.jobs"
    label = "jobs"
    verbose_name = _("Jobs")

    def ready(self) -> None:
        # Register the Celery tasks with the app in every process, not only in workers.
        from minzheng.kernel.jobs import tasks  # noqa: F401
