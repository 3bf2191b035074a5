from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "minzheng.kernel.people"
    label = "people"
    verbose_name = _("People register")

    def ready(self) -> None:
        from minzheng.kernel.people import jobs  # noqa: F401  (registers the job kind)
