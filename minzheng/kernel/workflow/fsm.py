"""Helpers for declaring case transitions with django-fsm-2.

A transition declares in `custom`:
- ``reason_required=True``: transition_apply refuses it without a written reason;
- ``not_by_actor_of=("town_review",)``: maker-checker — the actor of the latest of these
  earlier steps may not perform it;
- ``label``: the step's name for people (gettext_lazy).

A condition is a function of the case returning a bool; decorate it with `condition(msg)` so
that a refusal says why (the message is shown to the clerk).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django_fsm import Transition

REASON_REQUIRED = "reason_required"
NOT_BY_ACTOR_OF = "not_by_actor_of"
LABEL = "label"

Condition = Callable[[Any], bool]


def condition(message: Any) -> Callable[[Condition], Condition]:
    """Attach the refusal `message` (a lazy translation) to a transition condition."""

    def decorate(function: Condition) -> Condition:
        function.refusal = message  # type: ignore[attr-defined]
        return function

    return decorate


def transition_meta(case: Any, name: str) -> Transition | None:
    """The django-fsm transition `name` of `case` from its current state, or None."""
    method = getattr(case, name, None)
    meta = getattr(method, "_django_fsm", None)
    if meta is None:
        return None
    return meta.get_transition(meta.field.get_state(case))


def transition_names(model: type[Any], field: str = "state") -> list[str]:
    """Every transition declared on a case model (for tests and documentation)."""
    return sorted({t.name for t in model._meta.get_field(field).get_all_transitions(model)})


def transition_table(model: type[Any], field: str = "state") -> set[tuple[str, str, str]]:
    """(transition, source, target) of every declared move; target "" means unchanged."""
    return {
        (t.name, str(t.source), "" if t.target is None else str(t.target))
        for t in model._meta.get_field(field).get_all_transitions(model)
    }
