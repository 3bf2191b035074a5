"""Back-office pages of dynamic management (动态管理): the review worklist of a town and a
review's page with the rules' recommendation, the outcome proposal and the decision.

Thin: each view reads through the review selectors or calls one review service; a refusal
comes back to the review page as a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minzheng.common.errors import ApplicationError
from minzheng.common.masking import mask_name
from minzheng.domains.assistance.models.review import ReviewStatus
from minzheng.domains.assistance.review_forms import (
    DecideForm,
    ProposeOutcomeForm,
    ReviewFilterForm,
)
from minzheng.domains.assistance.selectors import review as selectors
from minzheng.domains.assistance.services import review as services
from minzheng.kernel.accounts.permissions import Perm, has_perm, scope_paths
from minzheng.kernel.people.models import Membership
from minzheng.kernel.regions.models import Region, RegionLevel
from minzheng.web.backoffice.access import actor_of, page, staff_view

PAGE_SIZE = 50


def _q(paths: list[str]) -> Q:
    """Towns under any of the region paths."""
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(path__startswith=path)
    return condition & Q(level=RegionLevel.TOWN)


@staff_view(perm=Perm.ASSISTANCE_VIEW)
def review_worklist(request: HttpRequest) -> HttpResponse:
    """Open reviews of the actor's towns: overdue first, then by due date."""
    actor = actor_of(request)
    today = timezone.localdate()
    towns = Region.objects.filter(_q(scope_paths(actor, Perm.ASSISTANCE_VIEW))).order_by("code")
    filters = ReviewFilterForm(request.GET or None, towns=towns)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    town = chosen.get("town")
    qs = selectors.review_worklist(
        actor=actor, today=today, town=town.pk if town else None, kind=chosen.get("kind") or ""
    )
    reviews_page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return page(
        request,
        "assistance/reviews/worklist.html",
        {
            "review_nav": True,
            "filters": filters,
            "reviews": reviews_page,
            "today": today,
            "overdue_count": qs.filter(due_on__lt=today).count(),
        },
    )


def _head_name(household_id: int) -> str:
    membership = (
        Membership.objects.filter(household_id=household_id, end_date__isnull=True)
        .select_related("person")
        .order_by("-relation", "id")
        .first()
    )
    return mask_name(membership.person.name) if membership else "—"


@staff_view(perm=Perm.ASSISTANCE_VIEW)
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    actor = actor_of(request)
    review = selectors.review_get(actor=actor, review_id=review_id)
    can_process = has_perm(actor, Perm.ASSISTANCE_PROCESS, review.region)
    can_decide = has_perm(actor, Perm.ASSISTANCE_APPROVE, review.region) or has_perm(
        actor, Perm.ASSISTANCE_APPROVE_DELEGATED, review.region
    )
    initial = {}
    if review.recommended_outcome:
        initial = {
            "outcome": review.recommended_outcome,
            "reason_code": (review.assessment or {}).get("recommended_reason", ""),
            "new_amount": review.recommended_amount,
        }
    return page(
        request,
        "assistance/reviews/detail.html",
        {
            "review_nav": True,
            "review": review,
            "enrolment": review.enrolment,
            "head": _head_name(review.enrolment.household_id),
            "can_process": can_process and review.status == ReviewStatus.OPEN,
            "can_decide": can_decide
            and review.status == ReviewStatus.PROPOSED
            and review.proposed_by_id != actor.pk,
            "propose_form": ProposeOutcomeForm(initial=initial),
            "decide_form": DecideForm(),
            "today": timezone.localdate(),
        },
    )


def _back(
    request: HttpRequest, review_id: int, error: ApplicationError | None = None
) -> HttpResponse:
    if error is not None:
        messages.error(request, str(error.message))
    return redirect("assistance:review", review_id=review_id)


@require_POST
@staff_view(perm=Perm.ASSISTANCE_PROCESS)
def review_assess(request: HttpRequest, review_id: int) -> HttpResponse:
    actor = actor_of(request)
    review = selectors.review_get(actor=actor, review_id=review_id)
    try:
        services.review_assess(actor=actor, review=review)
    except ApplicationError as error:
        return _back(request, review_id, error)
    messages.success(request, _("The household was reassessed with the rules in force."))
    return _back(request, review_id)


@require_POST
@staff_view(perm=Perm.ASSISTANCE_PROCESS)
def review_propose(request: HttpRequest, review_id: int) -> HttpResponse:
    actor = actor_of(request)
    review = selectors.review_get(actor=actor, review_id=review_id)
    form = ProposeOutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an outcome and its reason."))
        return _back(request, review_id)
    data = form.cleaned_data
    try:
        services.review_propose(
            actor=actor,
            review=review,
            outcome=data["outcome"],
            reason_code=data["reason_code"],
            note=data["note"],
            new_amount=data["new_amount"],
            graduated_exit=data["graduated_exit"],
        )
    except ApplicationError as error:
        return _back(request, review_id, error)
    messages.success(request, _("The outcome was proposed; an approver decides it."))
    return _back(request, review_id)


@require_POST
@staff_view()
def review_decide(request: HttpRequest, review_id: int) -> HttpResponse:
    actor = actor_of(request)
    review = selectors.review_get(actor=actor, review_id=review_id)
    form = DecideForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.review_decide(actor=actor, review=review, note=note)
    except ApplicationError as error:
        return _back(request, review_id, error)
    messages.success(request, _("The outcome was decided and the notice issued."))
    return _back(request, review_id)
