"""Apply database parameter changes to a copy of the OpenFisca baseline.

Pure functions over OpenFisca objects (no database access), so the what-if preview and the
system in force share one code path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from openfisca_core.parameters import Parameter, ParameterNode

from minzheng.rules import JiaxingTaxBenefitSystem, tax_benefit_system
from minzheng.rules.reforms import ParameterChange, apply_changes, find_parameter


@dataclass(frozen=True)
class DatedValue:
    path: str
    start: dt.date
    value: Any
    source_document: str


def leaf(parameters: ParameterNode, path: str) -> Parameter:
    """The leaf parameter at a dotted path; KeyError if there is none."""
    return find_parameter(parameters, path)


def leaves(node: ParameterNode) -> Iterator[Parameter]:
    for child in node.children.values():
        if isinstance(child, ParameterNode):
            yield from leaves(child)
        elif isinstance(child, Parameter):
            yield child


def apply_values(parameters: ParameterNode, values: Iterable[DatedValue]) -> None:
    """Insert each value at its start date; it holds until the next dated value."""
    for item in sorted(values, key=lambda v: (v.path, v.start)):
        parameter = find_parameter(parameters, item.path)
        start = item.start.isoformat()
        later = sorted(v.instant_str for v in parameter.values_list if v.instant_str > start)
        stop = None
        if later:
            stop = (dt.date.fromisoformat(later[0]) - dt.timedelta(days=1)).isoformat()
        change = ParameterChange(
            name=item.path,
            start=start,
            stop=stop,
            value=item.value,
            metadata={
                "reference": item.source_document,
                "unconfirmed": False,
                "source": "database",
            },
        )
        apply_changes(parameters, [change])


def system_with(values: Iterable[DatedValue]) -> JiaxingTaxBenefitSystem:
    """A clone of the baseline with `values` applied (the baseline itself is untouched)."""
    system = tax_benefit_system().clone()
    apply_values(system.parameters, values)
    return system
