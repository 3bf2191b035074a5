"""Back-office pages for staff. Thin: each view calls selectors or one service and renders.

Every view is wrapped by access.staff_view (login, staff only, refusals as responses).
Lists are paginated and every page makes a constant number of queries.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.views import LoginView
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_htmx.http import push_url

from minzheng.common.errors import ApplicationError
from minzheng.common.masking import mask_id_number, mask_phone
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.accounts.services import login_record
from minzheng.kernel.audit.selectors import audit_event_list
from minzheng.kernel.jobs.models import JobStatus
from minzheng.kernel.jobs.registry import JOB_KINDS
from minzheng.kernel.jobs.selectors import job_chunk_list, job_get, job_list
from minzheng.kernel.jobs.services import job_resume, job_start
from minzheng.kernel.people.models import Relation
from minzheng.kernel.people.selectors import (
    ID_LIKE_RE,
    PHONE_RE,
    household_get,
    household_list,
    person_get,
    person_history_count,
    person_list,
    person_memberships,
)
from minzheng.kernel.people.services import person_reveal_id_number
from minzheng.kernel.regions.models import LEVEL_DEPTH, RegionLevel
from minzheng.kernel.regions.selectors import (
    ancestors,
    region_children,
    region_get,
    region_names,
    region_roots,
    region_scope_paths,
)
from minzheng.web.backoffice.access import actor_of, page, staff_view
from minzheng.web.backoffice.forms import (
    AuditFilterForm,
    RevealForm,
    SearchForm,
    SearchKind,
    StaffLoginForm,
)
from minzheng.web.backoffice.labels import (
    AUDIT_ACTION_LABELS,
    OBJECT_TYPE_LABELS,
    job_kind_label,
)
from minzheng.web.backoffice.register_views import can_change

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.people.models import Membership, Person
    from minzheng.kernel.regions.models import Region

PAGE_SIZE = 20
RECENT_ROWS = 6
RELATION_ORDER = {value: index for index, value in enumerate(Relation.values)}


class CountedPaginator(Paginator):
    """A paginator told its total, so a page that already counted does not count again."""

    def __init__(self, object_list: Any, per_page: int, *, total: int) -> None:
        super().__init__(object_list, per_page)
        self._total = total

    @cached_property
    def count(self) -> int:
        return self._total


def _paginate(request: HttpRequest, rows: Any, *, total: int | None = None) -> Page:
    paginator = (
        Paginator(rows, PAGE_SIZE)
        if total is None
        else CountedPaginator(rows, PAGE_SIZE, total=total)
    )
    return paginator.get_page(request.GET.get("page"))


def _is_partial(request: HttpRequest) -> bool:
    """An htmx request for a fragment (not a history restore, which needs the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


# Login and logout ---------------------------------------------------------------------------


class StaffLoginView(LoginView):
    """Password login for staff; django-axes locks an account out after repeated failures."""

    template_name = "backoffice/login.html"
    form_class = StaffLoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: StaffLoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        login_record(user=form.get_user(), channel="backoffice")
        return response


# Home ------------------------------------------------------------------------------------------


def _greeting(now: dt.datetime) -> str:
    hour = timezone.localtime(now).hour
    if hour < 11:
        return _("Good morning")
    if hour < 13:
        return _("Good day")
    if hour < 18:
        return _("Good afternoon")
    return _("Good evening")


@staff_view()
def home(request: HttpRequest) -> HttpResponse:
    """The actor's roles and regions, a search box and the tiles their roles need."""
    actor = actor_of(request)
    roots = region_roots(actor=actor)
    context: dict[str, Any] = {"greeting": _greeting(timezone.now()), "roots": roots}
    if has_perm(actor, Perm.PEOPLE_VIEW):
        context["can_search"] = True
        context["can_change"] = has_perm(actor, Perm.PEOPLE_CHANGE)
        # Live counts below the city; the city-wide figures come from the region statistics.
        if roots and all(root.level != RegionLevel.CITY for root in roots):
            context["person_count"] = person_list(actor=actor).count()
            context["household_count"] = household_list(actor=actor).count()
    if len(roots) == 1:
        context["summary_region"] = roots[0]
        context["summary_children"] = list(region_children(region=roots[0]))
        context["chart"] = _population_chart(context["summary_children"])
    if has_perm(actor, Perm.JOBS_RUN):
        context["recent_jobs"] = list(job_list(actor=actor)[:RECENT_ROWS])
    if has_perm(actor, Perm.AUDIT_VIEW):
        context["recent_events"] = list(audit_event_list(actor=actor)[:RECENT_ROWS])
    return page(request, "backoffice/home.html", context)


# Search ----------------------------------------------------------------------------------------


def _masked_query(query: str) -> str:
    """The query as the page may repeat it: ID and phone numbers masked."""
    if ID_LIKE_RE.match(query):
        return mask_id_number(query.upper())
    if PHONE_RE.match(query):
        return mask_phone(query)
    return query


@staff_view(perm=Perm.PEOPLE_VIEW)
def search(request: HttpRequest) -> HttpResponse:
    """Persons and households by name, pinyin (full or initials), ID number or phone.

    A searched ID or phone number is never repeated in the page, the address bar or the
    language switch: the results show it masked and live search does not push its URL.
    """
    actor = actor_of(request)
    form = SearchForm(request.GET)
    query, kind = form.cleaned_query(), form.cleaned_kind()
    shown_query = _masked_query(query)
    context: dict[str, Any] = {
        "can_change": has_perm(actor, Perm.PEOPLE_CHANGE),
        "form": form,
        "query": shown_query,
        "kind": kind,
        "personal_query": shown_query != query,
    }
    if query:
        persons = person_list(actor=actor, query=query)
        households = household_list(actor=actor, query=query)
        context["person_total"] = persons.count()
        context["household_total"] = households.count()
        if kind == SearchKind.HOUSEHOLDS:
            context["page_obj"] = _paginate(request, households, total=context["household_total"])
        else:
            context["page_obj"] = _paginate(request, persons, total=context["person_total"])
    if _is_partial(request):
        response = render(request, "backoffice/_search_results.html", context)
        return push_url(response, False) if context["personal_query"] else response
    if context["personal_query"]:
        context["language_next"] = request.path
    return page(request, "backoffice/search.html", context)


# Persons and households ------------------------------------------------------------------------


def _can_reveal(actor: User, person: Person) -> bool:
    return has_perm(actor, Perm.PEOPLE_REVEAL, person.residence_region) or has_perm(
        actor, Perm.PEOPLE_REVEAL, person.registered_region
    )


def _person_context(actor: User, *, person: Person, **extra: Any) -> dict[str, Any]:
    memberships = person_memberships(person=person)
    current = next((m for m in memberships if m.end_date is None), None)
    return {
        "person": person,
        "age": person.age_on(person.death_date or timezone.localdate()),
        "memberships": memberships,
        "current_membership": current,
        "can_edit": can_change(actor, person.residence_region),
        "can_move": can_change(
            actor, current.household.region if current else person.residence_region
        ),
        "history_count": person_history_count(person=person),
        "can_reveal": _can_reveal(actor, person),
        "reveal_form": RevealForm(),
        **extra,
    }


@staff_view(perm=Perm.PEOPLE_VIEW)
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = person_get(actor=actor, person_id=person_id)
    return page(request, "backoffice/person.html", _person_context(actor, person=person))


@require_POST
@never_cache
@staff_view(perm=Perm.PEOPLE_VIEW)
def person_reveal(request: HttpRequest, person_id: int) -> HttpResponse:
    """Show the full ID number in place, for a stated reason; the service audits it."""
    actor = actor_of(request)
    person = person_get(actor=actor, person_id=person_id)
    form = RevealForm(request.POST)
    context: dict[str, Any] = {
        "person": person,
        "can_reveal": _can_reveal(actor, person),
        "reveal_form": form,
        "reveal_open": True,
    }
    status = 200
    if form.is_valid():
        try:
            context["revealed_id_number"] = person_reveal_id_number(
                actor=actor, person=person, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            context["reveal_error"] = str(error.message)
            status = error.status
    else:
        status = 422
    if _is_partial(request):
        return render(request, "backoffice/_id_number.html", context, status=status)
    context["language_next"] = reverse("backoffice:person", args=[person.pk])
    return page(request, "backoffice/person.html", _person_context(actor, **context), status=status)


def _by_relation(membership: Membership) -> tuple[int, dt.date, int]:
    return (RELATION_ORDER.get(membership.relation, 99), membership.start_date, membership.pk)


@staff_view(perm=Perm.PEOPLE_VIEW)
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    actor = actor_of(request)
    household = household_get(actor=actor, household_id=household_id)
    memberships: list[Membership] = household.all_memberships  # type: ignore[attr-defined]
    current = sorted((m for m in memberships if m.end_date is None), key=_by_relation)
    past = sorted(
        (m for m in memberships if m.end_date is not None),
        key=lambda m: (m.end_date, m.pk),
        reverse=True,
    )
    head = next((m.person for m in current if m.relation == Relation.HEAD), None)
    return page(
        request,
        "backoffice/household.html",
        {
            "household": household,
            "head": head,
            "current_members": current,
            "past_members": past,
            "region_trail": _trail(actor, household.region),
            "can_change": can_change(actor, household.region),
        },
    )


# Regions ---------------------------------------------------------------------------------------


def _trail(actor: User, region: Region) -> list[tuple[Region, bool]]:
    """The chain from the city down to `region`, each with whether the actor may open it."""
    scope = region_scope_paths(actor=actor)
    return [
        (ancestor, any(ancestor.path.startswith(path) for path in scope))
        for ancestor in ancestors(region=region)
    ]


def _region_context(actor: User, region: Region) -> dict[str, Any]:
    children = list(region_children(region=region))
    return {
        "region": region,
        "trail": _trail(actor, region)[:-1],
        "children": children,
        "child_level": _child_level(region),
        "chart": _population_chart(children),
    }


def _child_level(region: Region) -> str:
    below = {depth: level for level, depth in LEVEL_DEPTH.items()}.get(region.depth + 1)
    return str(RegionLevel(below).label) if below else ""


def _population_chart(regions: list[Region]) -> dict[str, Any] | None:
    """Data for the population bar chart, or None when there is nothing to draw."""
    if not regions or not any(r.registered_population or r.resident_population for r in regions):
        return None
    return {
        "names": [r.name for r in regions],
        "registered": [r.registered_population for r in regions],
        "resident": [r.resident_population for r in regions],
        "labels": {"registered": _("Registered population"), "resident": _("Resident population")},
        "height": max(200, 34 * len(regions) + 60),
    }


@staff_view()
def region_index(request: HttpRequest) -> HttpResponse:
    """The top of the actor's part of the tree (their grants' regions)."""
    actor = actor_of(request)
    roots = region_roots(actor=actor)
    if len(roots) == 1:
        return page(request, "backoffice/region.html", _region_context(actor, roots[0]))
    return page(
        request, "backoffice/regions.html", {"roots": roots, "chart": _population_chart(roots)}
    )


@staff_view()
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_of(request)
    region = region_get(actor=actor, code=code)
    return page(request, "backoffice/region.html", _region_context(actor, region))


# Jobs ------------------------------------------------------------------------------------------


@staff_view(perm=Perm.JOBS_VIEW)
def job_index(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    return page(
        request,
        "backoffice/jobs.html",
        {
            "page_obj": _paginate(request, job_list(actor=actor)),
            "can_run": has_perm(actor, Perm.JOBS_RUN),
            "kinds": [(name, job_kind_label(name)) for name in sorted(JOB_KINDS)],
        },
    )


@require_POST
@staff_view(perm=Perm.JOBS_RUN)
def job_start_view(request: HttpRequest) -> HttpResponse:
    job = job_start(actor=actor_of(request), kind=request.POST.get("kind", ""))
    messages.success(request, _("The job has started."))
    return redirect("backoffice:job", job_id=job.pk)


def _job_context(actor: User, job_id: int) -> dict[str, Any]:
    job = job_get(actor=actor, job_id=job_id)
    chunks = job_chunk_list(job=job)
    return {
        "job": job,
        "kind_label": job_kind_label(job.kind),
        "chunks": chunks,
        "chunk_names": region_names(codes=[chunk.key for chunk in chunks]),
        "can_resume": job.status == JobStatus.FAILED and has_perm(actor, Perm.JOBS_RUN),
    }


@staff_view(perm=Perm.JOBS_VIEW)
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    return page(request, "backoffice/job.html", _job_context(actor_of(request), job_id))


@staff_view(perm=Perm.JOBS_VIEW)
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The live part of the job page; it stops polling itself once the job has finished."""
    return render(request, "backoffice/_job_progress.html", _job_context(actor_of(request), job_id))


@require_POST
@staff_view(perm=Perm.JOBS_RUN)
def job_resume_view(request: HttpRequest, job_id: int) -> HttpResponse:
    actor = actor_of(request)
    job = job_get(actor=actor, job_id=job_id)
    keys = job_resume(actor=actor, job=job)
    messages.success(
        request, _("The job was resumed: %(count)d parts run again.") % {"count": len(keys)}
    )
    return redirect("backoffice:job", job_id=job.pk)


# Audit trail -----------------------------------------------------------------------------------


@staff_view(perm=Perm.AUDIT_VIEW)
def audit_index(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = AuditFilterForm(request.GET)
    events = audit_event_list(actor=actor, **form.filters())
    return page(
        request,
        "backoffice/audit.html",
        {
            "form": form,
            "page_obj": _paginate(request, events),
            "action_labels": sorted(AUDIT_ACTION_LABELS.items()),
            "object_type_labels": sorted(OBJECT_TYPE_LABELS.items()),
        },
    )
