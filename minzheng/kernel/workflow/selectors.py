"""Reads of the workflow kernel: worklists, timelines, the calendar's coverage."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from minzheng.kernel.accounts.permissions import ROLE_PERMISSIONS, grants
from minzheng.kernel.workflow import calendar
from minzheng.kernel.workflow.models import CaseModel, CaseStep, Task

if TYPE_CHECKING:
    from django.db.models import Model

    from minzheng.kernel.accounts.models import User


def task_scope(actor: User) -> Q:
    """Open tasks waiting on one of the actor's roles inside that role's region."""
    condition = Q(pk__in=[])
    for role, path in grants(actor):
        if role in ROLE_PERMISSIONS:
            condition |= Q(role=role, region__path__startswith=path)
    return condition


def worklist(
    *,
    actor: User,
    model: type[Model] | None = None,
    today: dt.date | None = None,
) -> QuerySet[Task]:
    """The open tasks waiting on the actor in their regions: overdue first, then by due date.

    Each task carries `overdue` (due before `today`). Tasks without a deadline come last.
    `model` restricts the list to one kind of case.
    """
    today = today or timezone.localdate()
    qs = Task.objects.filter(task_scope(actor), closed_at__isnull=True)
    if model is not None:
        qs = qs.filter(content_type=ContentType.objects.get_for_model(model))
    return (
        qs.annotate(
            overdue=Case(
                When(due_on__lt=today, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .select_related("region")
        .order_by("-overdue", F("due_on").asc(nulls_last=True), "id")
    )


def case_timeline(*, case: CaseModel) -> QuerySet[CaseStep]:
    """Every step of a case, oldest first, with the actor."""
    return CaseStep.objects.filter(
        content_type=ContentType.objects.get_for_model(case), object_id=case.pk
    ).select_related("actor")


def case_open_task(*, case: CaseModel) -> Task | None:
    return Task.objects.filter(
        content_type=ContentType.objects.get_for_model(case),
        object_id=case.pk,
        closed_at__isnull=True,
    ).first()


def calendar_warnings(*, start: dt.date, end: dt.date) -> list[int]:
    """Years between two dates whose holiday calendar has not been entered (pages warn)."""
    return calendar.uncovered_years(start, end)
