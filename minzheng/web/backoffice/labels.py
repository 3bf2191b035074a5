"""Display names for codes the kernel stores as plain text (job kinds, audit actions, types)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from minzheng.kernel.jobs.registry import JOB_KINDS

JOB_KIND_LABELS: dict[str, Promise] = {
    "people.population_recount": _("Recount registered and resident population by region"),
}

AUDIT_ACTION_LABELS: dict[str, Promise] = {
    "accounts.staff.login": _("Staff login"),
    "accounts.staff.create": _("Staff account created"),
    "accounts.role.grant": _("Role granted"),
    "accounts.role.revoke": _("Role revoked"),
    "accounts.resident.create": _("Resident account created"),
    "accounts.resident.login": _("Resident login"),
    "accounts.api_token.create": _("API token created"),
    "accounts.api_token.revoke": _("API token revoked"),
    "people.person.create": _("Person registered"),
    "people.person.update": _("Person's facts changed"),
    "people.person.reveal_id_number": _("Full ID number viewed"),
    "people.household.create": _("Household created"),
    "people.membership.add": _("Member joined household"),
    "people.membership.end": _("Member left household"),
    "regions.region.create": _("Region added"),
    "jobs.job.start": _("Job started"),
    "jobs.job.resume": _("Job resumed"),
}

OBJECT_TYPE_LABELS: dict[str, Promise] = {
    "people.person": _("Person"),
    "people.household": _("Household"),
    "accounts.user": _("Account"),
    "accounts.apitoken": _("API token"),
    "regions.region": _("Region"),
    "jobs.jobrun": _("Job"),
}


def job_kind_label(kind: str) -> str:
    if kind in JOB_KIND_LABELS:
        return str(JOB_KIND_LABELS[kind])
    spec = JOB_KINDS.get(kind)
    return spec.label if spec else kind


def audit_action_label(action: str) -> str:
    return str(AUDIT_ACTION_LABELS.get(action, action))


def object_type_label(object_type: str) -> str:
    return str(OBJECT_TYPE_LABELS.get(object_type, object_type))
