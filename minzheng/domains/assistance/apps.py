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
        from minzheng.domains.assistance.services import (
            discovery,  # noqa: F401 - registers the discovery and visit job kinds
            payee,
            review,
        )
        from minzheng.kernel.verification.hooks import register_batch_imported

        register_batch_imported("assistance.reviews", review.batch_imported)
        payee.register_hooks()  # the enrolments' payee accounts follow the register

        # 码上办: anyone with an application's case number (or its QR code) reads its status.
        from minzheng.domains.assistance.selectors.portal import application_public_status
        from minzheng.kernel.documents.hooks import register_case_status_resolver

        register_case_status_resolver(application_public_status)
