"""Parameter changes layered over the YAML baseline, as OpenFisca reforms.

Used for what-if previews (change a parameter from a date, compare with the baseline) and by
whoever layers the city administrator's dated edits over the YAML values. The baseline system
is never mutated: a reform returns a new system.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openfisca_core.parameters import Parameter, ParameterNode
from openfisca_core.periods import instant as make_instant
from openfisca_core.reforms import Reform
from openfisca_core.taxbenefitsystems import TaxBenefitSystem


@dataclass(frozen=True)
class ParameterChange:
    """A value of one parameter from ``start`` (``YYYY-MM-DD``), up to ``stop`` if given.

    ``name`` is the dotted path, e.g. ``assistance.dibao.standard.c330402``. ``metadata``
    (reference, source document…) is recorded on the new value.
    """

    name: str
    start: str
    value: Any
    stop: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


def find_parameter(parameters: ParameterNode, name: str) -> Parameter:
    """The parameter at a dotted path; ``KeyError`` naming the path when there is none."""
    node: Any = parameters
    for part in name.split("."):
        children = getattr(node, "children", None)
        if children is None or part not in children:
            raise KeyError(f"no parameter named {name!r}")
        node = children[part]
    if not isinstance(node, Parameter):
        raise KeyError(f"{name!r} is a node, not a parameter")
    return node


def apply_changes(parameters: ParameterNode, changes: Sequence[ParameterChange]) -> ParameterNode:
    """Apply the changes in order to a parameter tree (mutates and returns it)."""
    for change in changes:
        parameter = find_parameter(parameters, change.name)
        start = make_instant(change.start)
        stop = make_instant(change.stop) if change.stop else None
        parameter.update(start=start, stop=stop, value=change.value)
        for value in parameter.values_list:
            if value.instant_str == str(start):
                value.metadata = {**dict(change.metadata)}
    return parameters


def parameter_reform(
    changes: Sequence[ParameterChange], *, name: str = "parameter changes"
) -> type[Reform]:
    """A reform class applying ``changes`` to the parameters of the system it reforms."""
    frozen = tuple(changes)

    class ParameterChangeReform(Reform):
        def apply(self) -> None:
            self.modify_parameters(modifier_function=lambda tree: apply_changes(tree, frozen))

    ParameterChangeReform.name = name
    return ParameterChangeReform


def with_changes(
    system: TaxBenefitSystem, changes: Sequence[ParameterChange], *, name: str = "parameter changes"
) -> TaxBenefitSystem:
    """A new system: ``system`` with ``changes`` layered over its parameters."""
    return parameter_reform(changes, name=name)(system)
