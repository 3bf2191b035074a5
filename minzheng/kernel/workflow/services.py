"""The one way a case changes state, and the other writes of the workflow kernel.

`transition_apply` performs every transition of every case model: it locks the case row,
checks the move against the state table, its conditions, the actor's permission, recusal,
maker-checker and a required reason, runs it, and in the same transaction writes the
`CaseStep`, moves the case's open `Task` and appends the audit event.
"""

from __future__ import annotations

import datetime as dt
import functools
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed, has_transition_perm

from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.workflow import calendar
from minzheng.kernel.workflow.fsm import LABEL, NOT_BY_ACTOR_OF, REASON_REQUIRED, transition_meta
from minzheng.kernel.workflow.models import (
    CalendarDay,
    CaseModel,
    CaseNumberSequence,
    CaseStep,
    Task,
)

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

C = TypeVar("C", bound=CaseModel)

MAX_REASON = 500


def _user(actor: User | None) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None


def _display(case: CaseModel, state: str) -> str:
    field: Any = type(case)._meta.get_field("state")  # type: ignore[misc]
    return str(dict(field.flatchoices).get(state, state))


def case_number_next(*, prefix: str) -> str:
    """The next case number under `prefix`: "<prefix>-00001", gap-free per prefix.

    The sequence row is locked, so concurrent filings get distinct numbers; call it inside
    the transaction that creates the case so a rolled-back filing does not use a number.
    """
    with transaction.atomic(savepoint=False):
        locked = CaseNumberSequence.objects.select_for_update().filter(prefix=prefix)
        sequence = next(iter(locked), None)
        if sequence is None:  # the prefix's first case: a concurrent first one waits here
            CaseNumberSequence.objects.bulk_create(
                [CaseNumberSequence(prefix=prefix)], ignore_conflicts=True
            )
            sequence = locked.get()
        sequence.last += 1
        sequence.save(update_fields=["last"])
    return f"{prefix}-{sequence.last:05d}"


def _write_step(
    *,
    case: CaseModel,
    actor: User | None,
    transition: str,
    from_state: str,
    reason: str,
    note: str,
    payload: dict[str, Any],
    at: dt.datetime,
) -> CaseStep:
    content_type = ContentType.objects.get_for_model(case)
    step = CaseStep.objects.create(
        content_type=content_type,
        object_id=case.pk,
        case_number=case.case_number,
        transition=transition,
        from_state=from_state,
        to_state=case.state,  # type: ignore[attr-defined]
        actor=_user(actor),
        at=at,
        reason=reason,
        note=note,
        payload=payload,
    )
    _move_task(case=case, step=step, content_type=content_type)
    audit_record(
        actor=actor,
        action=f"{case._meta.label_lower}.{transition}",
        obj=case,
        region_code=case.case_region().code,
        changes={
            "case_number": case.case_number,
            "from": from_state,
            "to": step.to_state,
            **({"note": note} if note else {}),
            **({"details": payload} if payload else {}),
        },
        reason=reason,
    )
    return step


def _move_task(*, case: CaseModel, step: CaseStep, content_type: ContentType) -> None:
    """Close the case's open task and open the one its new state calls for."""
    Task.objects.filter(
        content_type=content_type, object_id=case.pk, closed_at__isnull=True
    ).update(closed_at=step.at, closed_by=step)
    spec = case.case_task()
    if spec is None:
        return
    today = timezone.localtime(step.at).date()
    start = spec.start or today
    due = spec.due
    if due is None and spec.working_days is not None:
        due = calendar.add_working_days(start, spec.working_days)
    Task.objects.create(
        content_type=content_type,
        object_id=case.pk,
        case_number=case.case_number,
        state=case.state,  # type: ignore[attr-defined]
        action=spec.action,
        role=spec.role,
        region=spec.region,
        started_on=start,
        due_on=due,
        opened_by=step,
    )


def case_open(
    *,
    actor: User | None,
    case: CaseModel,
    note: str = "",
    payload: dict[str, Any] | None = None,
    transition: str = "submit",
) -> CaseStep:
    """Record the first step of a new case (created in its initial state) and its first task.

    Call inside the transaction that created the case.
    """
    case.state_changed_at = timezone.now()
    case.save(update_fields=["state_changed_at"])
    return _write_step(
        case=case,
        actor=actor,
        transition=transition,
        from_state="",
        reason="",
        note=note,
        payload=payload or {},
        at=case.state_changed_at,
    )


def maker_checker_check(*, case: CaseModel, actor: User | None, prepared_by: list[str]) -> None:
    """Refuse `actor` if they performed the latest of the `prepared_by` steps of `case`."""
    user = _user(actor)
    if user is None or not prepared_by:
        return
    latest = (
        CaseStep.objects.filter(
            content_type=ContentType.objects.get_for_model(case),
            object_id=case.pk,
            transition__in=prepared_by,
        )
        .order_by("-at", "-id")
        .first()
    )
    if latest is not None and latest.actor_id == user.pk:
        raise PermissionRefused(
            _(
                "You prepared this decision (step “%(step)s”), so you cannot also approve it: "
                "another authorised person must decide (maker-checker)."
            )
            % {"step": latest.transition},
            code="maker_checker",
        )


def transition_apply(
    *,
    actor: User | None,
    case: C,
    transition: str,
    reason: str = "",
    note: str = "",
    payload: dict[str, Any] | None = None,
    **kwargs: Any,
) -> C:
    """Perform `transition` on `case` and record it; returns the updated case.

    Steps, all in one transaction (nothing is written when any of them refuses):
    1. lock the case row (SELECT … FOR UPDATE) and re-read its state;
    2. refuse a move outside the state table (Conflict), an unmet condition (Conflict with
       the condition's message), an actor without the transition's permission
       (PermissionRefused), an actor the case refuses (recusal), the preparer of the
       decision (maker-checker) and a missing reason where one is required (ValidationFailed);
    3. run the transition method with `actor` and `kwargs` (it may refuse too; what it
       returns, a dict, is added to the step's payload) and save the case;
    4. write the CaseStep, move the open Task, append the audit event.
    The caller's `case` instance is stale afterwards: use the returned one. Rows it already
    loaded through its foreign keys (its region, …) are reused while the locked row still
    points at them.

    Inside the caller's transaction there is no savepoint: a refusal (steps 1–3) writes
    nothing and leaves that transaction usable; a failure while writing (step 3's save, 4)
    leaves the caller's atomic block able only to roll back. Eight statements when the
    case's region is loaded, plus the checks' own reads (maker-checker, recusal).
    """
    reason = (reason or "").strip()
    note = (note or "").strip()
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            _("The reason may have at most %(n)d characters.") % {"n": MAX_REASON},
            field="reason",
        )
    model = type(case)
    # No savepoint inside the caller's transaction: until the case's UPDATE nothing is
    # written (the lock and the checks only read; a transition's body only sets fields of
    # the row, ADR 0017), so a refusal leaves that transaction usable, the case row locked
    # until it ends. The writes run in atomic(savepoint=False) below.
    in_caller = transaction.get_connection().in_atomic_block
    with nullcontext() if in_caller else transaction.atomic():
        rows = list(model._default_manager.select_for_update().filter(pk=case.pk).order_by())
        if not rows:
            raise Conflict(_("The case no longer exists."), code="case_missing")
        locked = rows[0]
        _reuse_related(locked, case)
        method: Any = getattr(locked, transition, None)
        if getattr(method, "_django_fsm", None) is None:
            raise ValidationFailed(
                _("“%(transition)s” is not a step of this kind of case.")
                % {"transition": transition},
                code="unknown_transition",
                field="transition",
            )
        from_state: str = locked.state  # type: ignore[attr-defined]
        if not can_proceed(method, check_conditions=False):
            raise Conflict(
                _("The step “%(transition)s” is not possible while the case is “%(state)s”.")
                % {"transition": transition, "state": _display(locked, from_state)},
                code="transition_not_allowed",
                extra={"state": from_state, "transition": transition},
            )
        meta = transition_meta(locked, transition)
        assert meta is not None  # can_proceed found it
        for check in meta.conditions:
            if not check(locked):
                raise Conflict(
                    str(getattr(check, "refusal", _("A condition of this step is not met."))),
                    code="condition_not_met",
                    extra={"condition": check.__name__},
                )
        if actor is None or not has_transition_perm(method, actor):
            raise PermissionRefused(
                _("You may not perform the step “%(step)s” on this case.")
                % {"step": meta.custom.get(LABEL, transition)},
                code="transition_denied",
            )
        locked.case_check_actor(transition, actor)
        maker_checker_check(
            case=locked, actor=actor, prepared_by=list(meta.custom.get(NOT_BY_ACTOR_OF, ()))
        )
        if meta.custom.get(REASON_REQUIRED) and not reason:
            raise ValidationFailed(
                _("Give a written reason for this step."), code="reason_required", field="reason"
            )
        try:
            result = method(actor=actor, **kwargs)
        except TransitionNotAllowed:
            raise Conflict(
                _("The step “%(transition)s” is not possible now.") % {"transition": transition},
                code="transition_not_allowed",
            ) from None
        step_payload = dict(payload or {})
        if isinstance(result, dict):
            step_payload.update(result)
        at = timezone.now()
        locked.state_changed_at = at
        # The case, its step, its task and the audit event: if one of them fails, the
        # caller's atomic block can only roll back (Django refuses further queries in it,
        # and its commit), so a step is never half recorded.
        with transaction.atomic(savepoint=False):
            try:
                locked.save()
            except ConcurrentTransition:
                raise Conflict(
                    _("Someone else changed this case at the same time; reload it and try again."),
                    code="concurrent_transition",
                ) from None
            _write_step(
                case=locked,
                actor=actor,
                transition=transition,
                from_state=from_state,
                reason=reason,
                note=note,
                payload=step_payload,
                at=at,
            )
    return locked


@functools.cache
def _foreign_keys(model: type[Model]) -> tuple[Any, ...]:
    return tuple(f for f in model._meta.concrete_fields if f.many_to_one or f.one_to_one)


def _reuse_related(locked: Model, case: Model) -> None:
    """Give the locked re-read the rows the caller's instance already loaded (its region,
    programme, …) when it still points at the same ones, instead of loading them again.
    Only the case row is locked and re-read; the rows it points to are read, not locked,
    either way."""
    for field in _foreign_keys(type(case)):
        if field.is_cached(case) and getattr(case, field.attname) == getattr(locked, field.attname):
            field.set_cached_value(locked, field.get_cached_value(case))


def calendar_day_enter(
    *,
    actor: User | None,
    date: dt.date,
    is_working_day: bool,
    name: str = "",
    source_document: str,
) -> CalendarDay:
    """Enter (or correct) one day of the State Council's holiday notice."""
    if actor is not None and not has_perm(actor, Perm.CALENDAR_CHANGE):
        raise PermissionRefused(_("You may not change the holiday calendar."))
    source_document = source_document.strip()
    if not source_document:
        raise ValidationFailed(_("Name the notice the day comes from."), field="source_document")
    with transaction.atomic():
        day, created = CalendarDay.objects.update_or_create(
            date=date,
            defaults={
                "is_working_day": is_working_day,
                "name": name.strip()[:50],
                "source_document": source_document[:200],
                "entered_by": _user(actor),
            },
        )
        audit_record(
            actor=actor,
            action="workflow.calendar_day.enter",
            obj=day,
            changes={
                "date": date,
                "is_working_day": is_working_day,
                "name": day.name,
                "source_document": day.source_document,
                "created": created,
            },
        )
        transaction.on_commit(calendar.clear_cache)
    calendar.clear_cache()
    return day
