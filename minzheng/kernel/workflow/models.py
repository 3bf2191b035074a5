"""Tables of the workflow kernel: the holiday calendar, case steps, open tasks, case numbers.

A domain's case model inherits `CaseModel` (a protected django-fsm `state` and a unique case
number) and is changed only through `services.transition_apply`, which writes a `CaseStep`
per transition and keeps the case's one open `Task` (the worklist) in step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin

from minzheng.common.models import TimeStampedModel

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.regions.models import Region


class CalendarDay(TimeStampedModel):
    """A day of the State Council's holiday notice, entered by an operator.

    Overrides the chinese_calendar package; a year with at least one entered day counts as
    covered. Enter the notice's holidays that fall on weekdays and its make-up working days
    that fall on weekends (entering other days is allowed and harmless).
    """

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=50, blank=True)
    source_document = models.CharField(
        _("source document"),
        max_length=200,
        help_text=_("The notice the day comes from, e.g. 国办发明电〔2026〕7号."),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {'working' if self.is_working_day else 'holiday'} {self.name}"


@dataclass(frozen=True)
class TaskSpec:
    """Who a case waits on now: a role in a region, with a deadline in working days."""

    role: str
    region: Region
    action: str  # the transition expected next, e.g. "accept"
    working_days: int | None  # None: no deadline
    start: dt.date | None = None  # counted from this date; default the day of the step
    due: dt.date | None = None  # a fixed due date instead of a count


class CaseModel(ConcurrentTransitionMixin, TimeStampedModel):
    """A case with a state machine. Subclasses declare `state = FSMField(protected=True)`.

    Subclasses implement `case_region()` (for audit and scope), `case_task()` (who it waits
    on) and may implement `case_check_actor()` to refuse an actor for the case (recusal).
    """

    case_number = models.CharField(_("case number"), max_length=40, unique=True)
    state_changed_at = models.DateTimeField(_("state since"), null=True, blank=True)

    class Meta:
        abstract = True

    def case_region(self) -> Region:
        raise NotImplementedError

    def case_task(self) -> TaskSpec | None:
        return None

    def case_check_actor(self, transition: str, actor: User | None) -> None:
        """Raise an ApplicationError if `actor` may not perform `transition` on this case."""


class CaseStep(models.Model):
    """One transition of a case: the case's timeline. Written only by transition_apply."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    case = GenericForeignKey("content_type", "object_id")
    case_number = models.CharField(_("case number"), max_length=40, db_index=True)
    transition = models.CharField(_("step"), max_length=40)
    from_state = models.CharField(_("from"), max_length=30, blank=True)
    to_state = models.CharField(_("to"), max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case step")
        verbose_name_plural = _("case steps")
        indexes = [
            models.Index(fields=["content_type", "object_id", "at"], name="casestep_case_at")
        ]

    def __str__(self) -> str:
        return f"{self.case_number} {self.transition}: {self.from_state} → {self.to_state}"


class Task(models.Model):
    """What a case waits on: one open task per case, closed by the next transition.

    The worklist of an actor is the open tasks of their roles in their regions, overdue
    first. Kept by transition_apply in the transaction of the step, so it never drifts.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    case = GenericForeignKey("content_type", "object_id")
    case_number = models.CharField(_("case number"), max_length=40)
    state = models.CharField(_("state"), max_length=30)
    action = models.CharField(_("next step"), max_length=40)
    role = models.CharField(_("role"), max_length=20)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    started_on = models.DateField(_("since"))
    due_on = models.DateField(_("due"), null=True, blank=True)
    opened_by = models.ForeignKey(
        CaseStep, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        CaseStep, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=models.Q(closed_at__isnull=True),
                name="task_one_open_per_case",
            )
        ]
        indexes = [
            models.Index(
                fields=["role", "due_on"],
                condition=models.Q(closed_at__isnull=True),
                name="task_open_role_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_number} → {self.action} ({self.role})"

    def is_overdue(self, today: dt.date) -> bool:
        return self.due_on is not None and self.due_on < today


class CaseNumberSequence(models.Model):
    """The last number used under a prefix (e.g. "JX-330402-202611"), locked to take the next."""

    prefix = models.CharField(max_length=40, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}-{self.last}"
