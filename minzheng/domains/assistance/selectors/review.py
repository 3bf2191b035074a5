"""Reads of reviews (动态管理), always inside the actor's regions."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils.translation import gettext as _

from minzheng.common.errors import NotFound, PermissionRefused
from minzheng.domains.assistance.models.review import OPEN_REVIEW_STATUSES, Review
from minzheng.kernel.accounts.permissions import Perm, scope_paths
from minzheng.kernel.regions.selectors import path_filter

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

__all__ = ["review_get", "review_list", "review_worklist"]


def _scoped(actor: User) -> QuerySet[Review]:
    paths = scope_paths(actor, Perm.ASSISTANCE_VIEW)
    if not paths:
        raise PermissionRefused(_("You may not view reviews."), code="assistance_view_denied")
    return Review.objects.filter(path_filter(paths, field="region")).select_related(
        "enrolment", "enrolment__programme", "enrolment__household", "region"
    )


def review_worklist(
    *, actor: User, today: dt.date, town: int | None = None, kind: str = ""
) -> QuerySet[Review]:
    """Open reviews of the actor's towns: overdue first, then by due date."""
    qs = _scoped(actor).filter(status__in=OPEN_REVIEW_STATUSES)
    if town:
        qs = qs.filter(region_id=town)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.annotate(
        overdue=Case(
            When(due_on__lt=today, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("overdue", "due_on", "id")


def review_list(*, actor: User, enrolment_id: int | None = None) -> QuerySet[Review]:
    qs = _scoped(actor)
    if enrolment_id is not None:
        qs = qs.filter(enrolment_id=enrolment_id)
    return qs.order_by("-period", "-id")


def review_get(*, actor: User, review_id: int) -> Review:
    """One review inside the actor's regions (NotFound outside them)."""
    review = (
        _scoped(actor)
        .select_related("notice", "proposed_by", "decided_by")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        raise NotFound(_("No such review."))
    return review
