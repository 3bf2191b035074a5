from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "minzheng.domains.assistance"
    label = "assistance"
    verbose_name = _("Social assistance")

    def ready(self) -> None:
        from minzheng.domains.assistance import (
            jobs,  # noqa: F401 - registers the job kinds
            payroll,  # noqa: F401 - registers payroll sources
        )
