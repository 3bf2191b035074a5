from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "minzheng.kernel.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from minzheng.kernel.payments import jobs  # noqa: F401  (registers the payroll job)
