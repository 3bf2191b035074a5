"""Reads of discovery tasks and visits, always inside the actor's regions.

A task or visit lies in the household's own region (grid or village), so a grid worker
granted on the grid and the town's clerks above it both see it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from minzheng.common.errors import NotFound, PermissionRefused
from minzheng.common.masking import mask_name
from minzheng.domains.assistance.models.casework import ApplicationState, AssistanceApplication
from minzheng.domains.assistance.models.discovery import (
    DiscoveryStatus,
    DiscoveryTask,
    Visit,
    VisitStatus,
)
from minzheng.kernel.accounts.permissions import Perm, scope_paths
from minzheng.kernel.people.models import Membership, Relation
from minzheng.kernel.regions.selectors import path_filter

if TYPE_CHECKING:
    from collections.abc import Iterable

    from minzheng.kernel.accounts.models import User

__all__ = [
    "HouseholdWorkSummary",
    "discovery_task_get",
    "discovery_task_list",
    "household_heads",
    "task_applications",
    "visit_follow_up_scheduled",
    "visit_get",
    "visit_worklist",
    "worklist_household_work",
]


def _paths(actor: User) -> list[str]:
    paths = scope_paths(actor, Perm.ASSISTANCE_VIEW)
    if not paths:
        raise PermissionRefused(
            _("You may not view discovery tasks or visits."), code="assistance_view_denied"
        )
    return paths


def _tasks(actor: User) -> QuerySet[DiscoveryTask]:
    return DiscoveryTask.objects.filter(path_filter(_paths(actor), field="region")).select_related(
        "household", "region", "town", "programme", "assignee"
    )


def _visits(actor: User) -> QuerySet[Visit]:
    return Visit.objects.filter(path_filter(_paths(actor), field="region")).select_related(
        "household", "region", "town", "assignee", "visitor", "follow_up_of"
    )


def discovery_task_list(
    *,
    actor: User,
    status: str = DiscoveryStatus.OPEN,
    town: int | None = None,
    mine: bool = False,
) -> QuerySet[DiscoveryTask]:
    """Discovery tasks of the actor's regions (open by default), oldest month first."""
    qs = _tasks(actor)
    if status:
        qs = qs.filter(status=status)
    if town:
        qs = qs.filter(town_id=town)
    if mine:
        qs = qs.filter(assignee=actor)
    return qs.order_by("period", "household_id", "flag")


def discovery_task_get(*, actor: User, task_id: int) -> DiscoveryTask:
    """One task inside the actor's regions (NotFound outside them)."""
    task = _tasks(actor).select_related("application", "resolved_by").filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("No such discovery task."))
    return task


def task_applications(*, task: DiscoveryTask) -> QuerySet[AssistanceApplication]:
    """Applications that may resolve the task as applied: the household's, of the flag's
    programme (any for the index), not withdrawn."""
    qs = AssistanceApplication.objects.filter(household_id=task.household_id).exclude(
        state=ApplicationState.WITHDRAWN
    )
    if task.programme_id:
        qs = qs.filter(programme_id=task.programme_id)
    return qs.select_related("programme").order_by("-submitted_on", "-id")


def visit_worklist(
    *,
    actor: User,
    today: dt.date,
    town: int | None = None,
    mine: bool = False,
    overdue_only: bool = False,
) -> QuerySet[Visit]:
    """Scheduled visits of the actor's regions: overdue first, then by due date."""
    qs = _visits(actor).filter(status=VisitStatus.SCHEDULED)
    if town:
        qs = qs.filter(town_id=town)
    if mine:
        qs = qs.filter(assignee=actor)
    if overdue_only:
        qs = qs.filter(due_on__lt=today)
    return qs.annotate(
        overdue=Case(
            When(due_on__lt=today, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("overdue", "due_on", "-risk_score", "id")


def visit_get(*, actor: User, visit_id: int) -> Visit:
    """One visit inside the actor's regions (NotFound outside them), with the visit it
    follows up (`follow_up_of`) and its own follow-up visit (`follow_up_visit`), if any;
    both lie in the household's region, so inside the same scope."""
    visit = _visits(actor).select_related("follow_up_visit").filter(pk=visit_id).first()
    if visit is None:
        raise NotFound(_("No such visit."))
    return visit


def visit_follow_up_scheduled(*, actor: User, visit: Visit) -> Visit | None:
    """The follow-up visit scheduled for the visit's household (the visit's own or one
    already there when it asked), inside the actor's regions; None if there is none."""
    return (
        _visits(actor)
        .filter(
            household_id=visit.household_id,
            status=VisitStatus.SCHEDULED,
            follow_up_of__isnull=False,
        )
        .first()
    )


def household_heads(household_ids: Iterable[int]) -> dict[int, str]:
    """{household id: the head's masked name} in one query (for a page of rows)."""
    return {
        household_id: mask_name(name)
        for household_id, name in Membership.objects.filter(
            household_id__in=set(household_ids), end_date__isnull=True, relation=Relation.HEAD
        ).values_list("household_id", "person__name")
    }


@dataclass(frozen=True)
class HouseholdWorkSummary:
    """The first rows and the counts of the visits and discovery tasks on a worklist."""

    visits: list[Visit]  # scheduled, overdue first (each annotated with `overdue`: 0 if late)
    visit_count: int
    overdue_count: int
    tasks: list[DiscoveryTask]  # open, oldest month first
    task_count: int
    heads: dict[int, str]  # {household id: the head's masked name} of the rows shown


def worklist_household_work(
    *, actor: User, today: dt.date, limit: int, mine: bool = False
) -> HouseholdWorkSummary:
    """The scheduled visits and open discovery tasks the actor does, for their worklist.

    The rows of `visit_worklist` and `discovery_task_list` (same order) inside the regions
    where the actor may record visits and resolve tasks (ASSISTANCE_FILE); `mine` keeps the
    ones assigned to the actor. At most `limit` rows of each, in five queries whatever the
    number of rows.
    """
    doing = path_filter(scope_paths(actor, Perm.ASSISTANCE_FILE), field="region")
    visits_qs = visit_worklist(actor=actor, today=today, mine=mine).filter(doing)
    tasks_qs = discovery_task_list(actor=actor, mine=mine).filter(doing)
    counts = visits_qs.aggregate(
        scheduled=Count("id"), late=Count("id", filter=Q(due_on__lt=today))
    )
    visits = list(visits_qs[:limit])
    tasks = list(tasks_qs[:limit])
    return HouseholdWorkSummary(
        visits=visits,
        visit_count=counts["scheduled"],
        overdue_count=counts["late"],
        tasks=tasks,
        task_count=tasks_qs.count(),
        heads=household_heads([row.household_id for row in [*visits, *tasks]]),
    )
