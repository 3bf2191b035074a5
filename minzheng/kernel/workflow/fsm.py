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

from collections.abc import Callable, Iterable
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


def transition_labels(*models: type[Any], opening: dict[str, Any] | None = None) -> dict[str, Any]:
    """Each step's name for people: the `label` of every transition of the models' state
    fields (the first model's wins on a shared name), plus `opening`, the names of the steps
    that open a case (written by case_open, not declared as transitions)."""
    labels: dict[str, Any] = dict(opening or {})
    for model in models:
        for t in model._meta.get_field("state").get_all_transitions(model):
            labels.setdefault(t.name, t.custom.get(LABEL, t.name))
    return labels


def timeline_rows(
    steps: Iterable[Any],
    *,
    labels: dict[str, Any],
    states: dict[str, Any],
    actor_name: Callable[[Any], str],
) -> list[dict[str, Any]]:
    """A case's CaseSteps as the rows of the shared timeline component
    (templates/components/case_timeline.html): step name, actor, from → to state."""
    return [
        {
            "step": step,
            "label": labels.get(step.transition, step.transition),
            "actor": actor_name(step.actor),
            "from": str(states.get(step.from_state, step.from_state)) if step.from_state else "",
            "to": str(states.get(step.to_state, step.to_state)),
        }
        for step in steps
    ]
