"""Back-office pages of proactive discovery (主动发现) and visits (走访): the grid worker's
discovery list and visit list (phone-sized cards), a task's page with its outcome form, a
visit's page with its record form, and the town's overdue visits.

Thin: each view reads through the discovery selectors or calls one discovery service; a
refusal comes back to the page as a message, an invalid form re-renders with its errors.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common.errors import ApplicationError
from minzheng.domains.assistance.discovery_forms import (
    ListFilterForm,
    ResolveForm,
    VisitRecordForm,
)
from minzheng.domains.assistance.models.discovery import (
    DiscoveryStatus,
    DiscoveryTask,
    Visit,
    VisitStatus,
)
from minzheng.domains.assistance.selectors import discovery as selectors
from minzheng.domains.assistance.services import discovery as services
from minzheng.kernel.accounts.models import Role
from minzheng.kernel.accounts.permissions import Perm, has_perm, roles, scope_paths
from minzheng.kernel.regions.models import Region, RegionLevel
from minzheng.kernel.workflow.calendar import working_days_between
from minzheng.web.backoffice.access import actor_of, page, staff_view

PAGE_SIZE = 50


def _towns(actor: Any) -> Any:
    """Towns the actor sees: under their paths, or above their grid or village."""
    condition = Q(pk__in=[])
    for path in scope_paths(actor, Perm.ASSISTANCE_VIEW):
        parts = path.strip("/").split("/")
        condition |= Q(path__startswith=path) | Q(path="/".join(parts[:3]) + "/")
    return Region.objects.filter(condition, level=RegionLevel.TOWN).order_by("code")


def _filters(request: HttpRequest, actor: Any) -> tuple[ListFilterForm, int | None, bool]:
    """The filter form and its (town, mine); a grid worker sees their own rows by default."""
    data = request.GET.copy() if request.GET else None
    if data is None and Role.GRID_WORKER in roles(actor):
        data = {"mine": "on"}  # type: ignore[assignment]
    filters = ListFilterForm(data, towns=_towns(actor))
    chosen = filters.cleaned_data if filters.is_valid() else {}
    town = chosen.get("town")
    return filters, (town.pk if town else None), bool(chosen.get("mine"))


@staff_view(perm=Perm.ASSISTANCE_VIEW)
def discovery_list(request: HttpRequest) -> HttpResponse:
    """Open discovery tasks of the actor's regions (a grid worker's own by default)."""
    actor = actor_of(request)
    filters, town, mine = _filters(request, actor)
    qs = selectors.discovery_task_list(actor=actor, town=town, mine=mine)
    tasks = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return page(
        request,
        "assistance/discovery/list.html",
        {
            "discovery_nav": True,
            "filters": filters,
            "tasks": tasks,
            "heads": selectors.household_heads(t.household_id for t in tasks),
        },
    )


def _task_page(
    request: HttpRequest, task: DiscoveryTask, form: ResolveForm | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    applications = selectors.task_applications(task=task)
    return page(
        request,
        "assistance/discovery/task.html",
        {
            "discovery_nav": True,
            "task": task,
            "head": selectors.household_heads([task.household_id]).get(task.household_id, "—"),
            "can_resolve": task.is_open and has_perm(actor, Perm.ASSISTANCE_FILE, task.region),
            "form": form or ResolveForm(applications=applications),
        },
        status=status,
    )


@staff_view(perm=Perm.ASSISTANCE_VIEW)
def discovery_task(request: HttpRequest, task_id: int) -> HttpResponse:
    """A task's page; POST resolves it (applied, declined, not eligible, unreachable)."""
    actor = actor_of(request)
    task = selectors.discovery_task_get(actor=actor, task_id=task_id)
    if request.method != "POST":
        return _task_page(request, task)
    form = ResolveForm(request.POST, applications=selectors.task_applications(task=task))
    if not form.is_valid():
        return _task_page(request, task, form, status=400)
    data = form.cleaned_data
    try:
        if data["outcome"] == DiscoveryStatus.APPLIED:
            services.discovery_task_apply(actor=actor, task=task, application=data["application"])
        elif data["outcome"] == DiscoveryStatus.DECLINED:
            services.discovery_task_decline(actor=actor, task=task, reason=data["reason"])
        elif data["outcome"] == DiscoveryStatus.NOT_ELIGIBLE:
            services.discovery_task_not_eligible(actor=actor, task=task, reason=data["reason"])
        else:
            services.discovery_task_unreachable(actor=actor, task=task, reason=data["reason"])
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("assistance:discovery_task", task_id=task.pk)
    messages.success(request, _("The discovery task was resolved."))
    return redirect("assistance:discovery")


def _visit_rows(visits: Any, today: Any) -> list[tuple[Visit, int]]:
    """(visit, working days overdue) for a page of visits (the workflow calendar)."""
    return [
        (visit, working_days_between(visit.due_on, today) if visit.due_on < today else 0)
        for visit in visits
    ]


def _visit_list(request: HttpRequest, *, overdue_only: bool) -> HttpResponse:
    actor = actor_of(request)
    today = timezone.localdate()
    filters, town, mine = _filters(request, actor)
    qs = selectors.visit_worklist(
        actor=actor, today=today, town=town, mine=mine, overdue_only=overdue_only
    )
    visits = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return page(
        request,
        "assistance/discovery/visits.html",
        {
            "discovery_nav": True,
            "overdue_only": overdue_only,
            "filters": filters,
            "visits": visits,
            "rows": _visit_rows(visits, today),
            "heads": selectors.household_heads(v.household_id for v in visits),
            "overdue_count": qs.filter(due_on__lt=today).count(),
            "today": today,
        },
    )


@staff_view(perm=Perm.ASSISTANCE_VIEW)
def visit_list(request: HttpRequest) -> HttpResponse:
    """Scheduled visits of the actor's regions: overdue first, then by due date."""
    return _visit_list(request, overdue_only=False)


@staff_view(perm=Perm.ASSISTANCE_VIEW)
def visit_overdue(request: HttpRequest) -> HttpResponse:
    """The town's overdue visits (due date passed), the longest overdue first."""
    return _visit_list(request, overdue_only=True)


def _visit_page(
    request: HttpRequest, visit: Visit, form: VisitRecordForm | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    today = timezone.localdate()
    return page(
        request,
        "assistance/discovery/visit.html",
        {
            "discovery_nav": True,
            "visit": visit,
            "follow_up_visit": getattr(visit, "follow_up_visit", None),  # fetched with it
            "today": today,
            "head": selectors.household_heads([visit.household_id]).get(visit.household_id, "—"),
            "can_record": visit.status == VisitStatus.SCHEDULED
            and has_perm(actor, Perm.ASSISTANCE_FILE, visit.region),
            "form": form or VisitRecordForm(initial={"visited_on": today}),
        },
        status=status,
    )


@staff_view(perm=Perm.ASSISTANCE_VIEW)
def visit_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    """A visit's page; POST records it (date, findings, note, follow-up: which schedules
    the follow-up visit)."""
    actor = actor_of(request)
    visit = selectors.visit_get(actor=actor, visit_id=visit_id)
    if request.method != "POST":
        return _visit_page(request, visit)
    form = VisitRecordForm(request.POST)
    if not form.is_valid():
        return _visit_page(request, visit, form, status=400)
    data = form.cleaned_data
    try:
        visit = services.visit_record(
            actor=actor,
            visit=visit,
            visited_on=data["visited_on"],
            findings=data["findings"],
            note=data["note"],
            follow_up=data["follow_up"],
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("assistance:visit", visit_id=visit.pk)
    messages.success(request, _("The visit was recorded."))
    if visit.follow_up:
        follow_up = selectors.visit_follow_up_scheduled(actor=actor, visit=visit)
        if follow_up is not None:
            messages.info(
                request,
                _("A follow-up visit is scheduled, due on %(date)s.")
                % {"date": follow_up.due_on.isoformat()},
            )
    return redirect("assistance:visits")
