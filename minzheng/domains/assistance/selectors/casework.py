"""Reads of assistance casework, always inside the actor's regions.

Staff of a town or above see the applications handled by (or filed at) towns of their
regions; a village or grid worker sees the applications of the households living in their
village or grid (they assist the town and co-sign its household visits); residents see the
applications of their own household. Payments read active enrolments in bulk through
`enrolments_payable`, which has no actor: it is the batch path of an already authorised job.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common.errors import NotFound, PermissionRefused
from minzheng.domains.assistance.models.authorisation import VerificationAuthorisation
from minzheng.domains.assistance.models.casework import (
    AssistanceApplication,
    Enrolment,
    EnrolmentState,
    Programme,
    RelativeRegistration,
)
from minzheng.kernel.accounts.models import UserKind
from minzheng.kernel.accounts.permissions import Perm, scope_paths
from minzheng.kernel.payments.models import AccountStatus
from minzheng.kernel.people.models import Membership
from minzheng.kernel.regions.models import LEVEL_DEPTH, RegionLevel
from minzheng.kernel.regions.selectors import path_filter
from minzheng.kernel.workflow import selectors as workflow_selectors

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.workflow.models import CaseStep, Task

__all__ = [
    "WorkItem",
    "application_authorisations",
    "application_get",
    "application_list",
    "application_scope",
    "application_timeline",
    "enrolments_payable",
    "enrolments_without_payee",
    "programme_list",
    "relative_list",
    "worklist",
]


def application_scope(actor: User) -> Q:
    """Applications the actor may see (raises PermissionRefused for none at all)."""
    if getattr(actor, "kind", None) == UserKind.RESIDENT:
        if actor.person_id is None:
            return Q(pk__in=[])
        households = Membership.objects.filter(
            person_id=actor.person_id, end_date__isnull=True
        ).values("household_id")
        return Q(household_id__in=households) | Q(submitted_by=actor)
    paths = scope_paths(actor, Perm.ASSISTANCE_VIEW)
    if not paths:
        raise PermissionRefused(
            _("You may not view assistance applications."), code="assistance_view_denied"
        )
    # An application's region and filing region are towns, so a grant below a town (a
    # village or grid) matches the household's region instead: the cases of its residents.
    towns = [path for path in paths if _depth(path) <= LEVEL_DEPTH[RegionLevel.TOWN]]
    below = [path for path in paths if path not in towns]
    return (
        path_filter(towns, field="region")
        | path_filter(towns, field="filed_region")
        | path_filter(below, field="household__region")
    )


def _depth(path: str) -> int:
    """The level depth of a region's materialised path (city 0, town 2, village 3)."""
    return path.strip("/").count("/")


def application_list(
    *,
    actor: User,
    state: str | None = None,
    programme: str | None = None,
    case_number: str = "",
) -> QuerySet[AssistanceApplication]:
    qs = AssistanceApplication.objects.filter(application_scope(actor))
    if state:
        qs = qs.filter(state=state)
    if programme:
        qs = qs.filter(programme__code=programme)
    if case_number.strip():
        qs = qs.filter(case_number__startswith=case_number.strip().upper())
    return qs.select_related(
        "programme", "household", "applicant", "region", "filed_region"
    ).order_by("-id")


def application_get(*, actor: User, application_id: int) -> AssistanceApplication:
    try:
        return application_list(actor=actor).get(pk=application_id)
    except AssistanceApplication.DoesNotExist:
        raise NotFound(
            _("No such application in your regions."), code="application_not_found"
        ) from None


def application_authorisations(
    *, actor: User, application: AssistanceApplication
) -> list[VerificationAuthorisation]:
    """The verification authorisations the applicant signed online for the adult members
    (授权书), oldest first, with each member (for a masked name)."""
    application = application_get(actor=actor, application_id=application.pk)
    return list(
        VerificationAuthorisation.objects.filter(application=application)
        .select_related("person")
        .order_by("id")
    )


def application_timeline(*, actor: User, application: AssistanceApplication) -> list[CaseStep]:
    """Every step of the case (and of its enrolment), oldest first."""
    application = application_get(actor=actor, application_id=application.pk)
    steps = list(workflow_selectors.case_timeline(case=application))
    enrolment = Enrolment.objects.filter(application=application).first()
    if enrolment is not None:
        steps += list(workflow_selectors.case_timeline(case=enrolment))
    return sorted(steps, key=lambda step: (step.at, step.pk))


@dataclass(frozen=True)
class WorkItem:
    task: Task
    application: AssistanceApplication
    overdue: bool


def worklist(*, actor: User, today: dt.date | None = None) -> list[WorkItem]:
    """The applications waiting on the actor's roles in their regions, overdue first."""
    today = today or timezone.localdate()
    tasks = list(workflow_selectors.worklist(actor=actor, model=AssistanceApplication, today=today))
    applications = AssistanceApplication.objects.select_related(
        "programme", "household", "applicant", "region"
    ).in_bulk([task.object_id for task in tasks])
    return [
        WorkItem(task=task, application=applications[task.object_id], overdue=task.overdue)  # type: ignore[attr-defined]
        for task in tasks
        if task.object_id in applications
    ]


def programme_list(*, active: bool = True) -> QuerySet[Programme]:
    """The programme catalogue (public reference data)."""
    qs = Programme.objects.all()
    return qs.filter(is_active=True) if active else qs


def relative_list(*, actor: User) -> QuerySet[RelativeRegistration]:
    paths = scope_paths(actor, Perm.ASSISTANCE_RELATIVES)
    if not paths:
        raise PermissionRefused(_("You may not view the close-relatives register."))
    return (
        RelativeRegistration.objects.filter(path_filter(paths, field="region"))
        .select_related("staff", "relative", "region")
        .order_by("-id")
    )


def enrolments_without_payee(*, actor: User, today: dt.date) -> QuerySet[Enrolment]:
    """Enrolments still to be paid monthly whose payee account is missing or closed, in the
    towns where the actor records payee accounts: the payroll rejects them until one is
    recorded or chosen. Ordered by town, then enrolment."""
    paths = scope_paths(actor, Perm.PAYMENTS_PAYEE_CHANGE)
    month = today.replace(day=1)
    return (
        Enrolment.objects.filter(path_filter(paths, field="region"), monthly_amount__gt=0)
        .filter(
            Q(state__in=[EnrolmentState.ACTIVE, EnrolmentState.SUSPENDED])
            | Q(state=EnrolmentState.STOPPED, end_month__gte=month)
        )
        .filter(Q(payee_account__isnull=True) | ~Q(payee_account__status=AccountStatus.ACTIVE))
        .select_related("programme", "region", "payee_account", "application__applicant")
        .order_by("region__path", "id")
    )


def enrolments_payable(
    *, month: dt.date, county: str | None = None, programme: str | None = None
) -> QuerySet[Enrolment, dict[str, Any]]:
    """Active enrolments paying in `month`, as plain rows for the payment batch (bulk path).

    Rows: id, case_number, programme code, household id, county, region id, covered count,
    monthly amount, one-off amount, start and end month. Suspended enrolments are left out;
    a stopped one pays until its end month (the end of a graduated exit, if any).
    """
    first = month.replace(day=1)
    qs = Enrolment.objects.filter(
        Q(state__in=[EnrolmentState.ACTIVE, EnrolmentState.STOPPED]),
        Q(start_month__lte=first),
        Q(end_month__isnull=True) | Q(end_month__gte=first),
    )
    if county:
        qs = qs.filter(county=county)
    if programme:
        qs = qs.filter(programme__code=programme)
    return qs.order_by("id").values(
        "id",
        "case_number",
        "programme__code",
        "household_id",
        "county",
        "region_id",
        "covered_count",
        "monthly_amount",
        "one_off_amount",
        "start_month",
        "end_month",
    )
