"""Vectorised entry point: many households at once, arrays in, arrays out.

A whole city (2 million households, 5 million persons) is one simulation. The caller gives
columns, not dicts per household:

- ``households``: input variable name -> array of length ``n_households``;
- ``persons``: input variable name -> array of length ``n_persons``;
- ``person_household``: for each person, the 0-based index of its household;
- ``person_is_head`` (optional): True for the head of each household (default: the first
  person of each household).

Monthly inputs are set for the assessed month and read as monthly averages over the look-back
window; ``set_inputs`` adds further months (e.g. each month of the window) to a built
simulation. Enum inputs accept their names (``"intellectual"``) or integer indices; ``county``
accepts the six-digit code (``330402`` or ``"330402"``) or the enum name (``"c330402"``);
dates accept ``datetime64`` or ISO strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from openfisca_core.indexed_enums import EnumArray
from openfisca_core.periods import DateUnit, Period
from openfisca_core.periods import period as make_period
from openfisca_core.simulations import Simulation, SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from minzheng.rules.enums import COUNTY_CODES, County
from minzheng.rules.system import tax_benefit_system

HOUSEHOLD_OUTPUTS: tuple[str, ...] = (
    "dibao_standard",
    "household_size",
    "per_capita_income",
    "assets_pass",
    "dibao_eligible",
    "dibao_top_up",
    "dibao_graduated_exit",
    "dibao_graduated_exit_amount",
    "dibao_amount",
    "on_dibao",
    "marginal_eligible",
    "marginal_graduated_exit",
    "on_marginal",
    "low_income_rural",
    "expenditure_poverty",
    "temporary_type",
    "temporary_amount",
    "temporary_approval_level",
    "price_subsidy",
    "assistance_monthly_total",
)
"""What the register stores per household after a determination."""

PERSON_OUTPUTS: tuple[str, ...] = (
    "dibao_covered",
    "separate_enrolment_amount",
    "tekun_eligible",
    "tekun_amount",
    "self_care",
    "orphan_amount",
    "unsupported_amount",
    "disability_living",
    "disability_nursing",
    "price_subsidy_amount",
)
"""What the register stores per person after a determination."""


class BatchInputError(ValueError):
    """The arrays given to the batch do not fit the model (unknown name, wrong length…)."""


@dataclass
class BatchResult:
    """Arrays out: one entry per requested variable, enums decoded to their names."""

    period: str
    households: dict[str, np.ndarray] = field(default_factory=dict)
    persons: dict[str, np.ndarray] = field(default_factory=dict)


def _period(value: str | Period) -> Period:
    result = value if isinstance(value, Period) else make_period(str(value)[:7])
    if result.unit != DateUnit.MONTH or result.size != 1:
        raise BatchInputError(f"period must be one month, got {value!r}")
    return result


def encode_county(values: Any) -> np.ndarray:
    """County codes (330402, "330402" or "c330402") to the County enum's integer indices."""
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        codes = array.astype(np.int64)
    else:
        text = np.char.lstrip(array.astype(str), "c")
        if not all(code.isdigit() for code in np.unique(text)):
            raise BatchInputError("county: expected six-digit county codes")
        codes = text.astype(np.int64)
    known = np.array([int(code) for code in COUNTY_CODES], dtype=np.int64)
    order = np.argsort(known)
    position = np.searchsorted(known[order], codes)
    position = np.clip(position, 0, len(known) - 1)
    found = known[order][position] == codes
    if not found.all():
        unknown = sorted({int(code) for code in codes[~found]})[:5]
        raise BatchInputError(f"county: unknown county codes {unknown}")
    return order[position].astype(np.int16)


def _encode_enum(name: str, values: Any, enum: Any) -> EnumArray:
    array = np.asarray(values)
    if name == "county":
        return EnumArray(encode_county(array), enum)
    if array.dtype.kind in "iu":
        indices = array.astype(np.int16)
        if indices.size and (indices.min() < 0 or indices.max() >= len(enum)):
            raise BatchInputError(f"{name}: enum index out of range")
        return EnumArray(indices, enum)
    uniques, inverse = np.unique(array.astype(str), return_inverse=True)
    names = list(enum.names)
    unknown = [value for value in uniques if value not in names]
    if unknown:
        raise BatchInputError(f"{name}: unknown values {unknown[:5]}, expected one of {names}")
    lookup = np.array([names.index(value) for value in uniques], dtype=np.int16)
    return EnumArray(lookup[inverse], enum)


def _coerce(system: TaxBenefitSystem, name: str, values: Any, count: int) -> Any:
    variable = system.get_variable(name)
    array = np.asarray(values)
    if array.ndim != 1 or len(array) != count:
        raise BatchInputError(f"{name}: expected {count} values, got shape {array.shape}")
    if variable.value_type.__name__ == "Enum":
        return _encode_enum(name, array, variable.possible_values)
    if variable.value_type.__name__ == "date":
        return array.astype("datetime64[D]")
    return array.astype(variable.dtype)


def _check_names(system: TaxBenefitSystem, names: Iterable[str], entity_key: str) -> None:
    for name in names:
        variable = system.get_variable(name)
        if variable is None:
            raise BatchInputError(f"{name}: no such variable")
        if variable.entity.key != entity_key:
            raise BatchInputError(
                f"{name}: a {variable.entity.key} variable, not a {entity_key} one"
            )
        if variable.formulas:
            raise BatchInputError(f"{name}: computed by the rules, not an input")


def set_inputs(
    simulation: Simulation,
    period: str | Period,
    *,
    households: Mapping[str, Any] | None = None,
    persons: Mapping[str, Any] | None = None,
) -> None:
    """Set input columns for a month (eternal inputs ignore the month)."""
    month = _period(period)
    system = simulation.tax_benefit_system
    for entity_key, columns in (("household", households or {}), ("person", persons or {})):
        _check_names(system, columns, entity_key)
        population = simulation.populations[entity_key]
        for name, values in columns.items():
            array = _coerce(system, name, values, population.count)
            simulation.set_input(name, month, array)


def build_simulation(
    period: str | Period,
    *,
    households: Mapping[str, Any],
    persons: Mapping[str, Any],
    person_household: Any,
    person_is_head: Any = None,
    system: TaxBenefitSystem | None = None,
) -> Simulation:
    """One simulation of every household given, with its inputs set for ``period`` (a month)."""
    system = system or tax_benefit_system()
    month = _period(period)
    household_index = np.asarray(person_household, dtype=np.int64)
    n_persons = len(household_index)
    n_households = _household_count(households, household_index)
    if n_persons and (household_index.min() < 0 or household_index.max() >= n_households):
        raise BatchInputError("person_household: index outside the households given")
    if n_households and np.bincount(household_index, minlength=n_households).min() == 0:
        raise BatchInputError("person_household: every household needs at least one person")

    if person_is_head is None:
        is_head = np.ones(n_persons, dtype=bool)
        if n_persons:
            order = np.argsort(household_index, kind="stable")
            sorted_index = household_index[order]
            first = np.ones(n_persons, dtype=bool)
            first[1:] = sorted_index[1:] != sorted_index[:-1]
            is_head = np.zeros(n_persons, dtype=bool)
            is_head[order[first]] = True
    else:
        is_head = np.asarray(person_is_head, dtype=bool)
        if len(is_head) != n_persons:
            raise BatchInputError("person_is_head: expected one value per person")
        heads = np.bincount(household_index[is_head], minlength=n_households)
        if n_households and heads.max(initial=0) > 1:
            raise BatchInputError("person_is_head: a household has more than one head")

    builder = SimulationBuilder()
    builder.create_entities(system)
    person_population = builder.populations["person"]
    person_population.ids = np.arange(n_persons)
    person_population.count = n_persons
    household_population = builder.populations["household"]
    household_population.ids = np.arange(n_households)
    household_population.count = n_households
    household_population.members_entity_id = household_index
    roles = np.array(household_population.entity.flattened_roles, dtype=object)  # head, member
    # The public setter copies through a Python list (seconds for millions of persons): the
    # array of Role objects is assigned directly instead.
    household_population._members_role = roles[np.where(is_head, 0, 1)]
    simulation = builder.build(system)

    set_inputs(simulation, month, households=households, persons=persons)
    return simulation


def rebase(simulation: Simulation, system: TaxBenefitSystem) -> Simulation:
    """The same population and inputs under another system (e.g. a reform), nothing recomputed.

    For what-if previews: the input arrays are shared, not copied, and only the variables the
    rules compute are computed again under ``system``.
    """
    builder = SimulationBuilder()
    builder.create_entities(system)
    for key, source in simulation.populations.items():
        target = builder.populations[key]
        target.ids = source.ids
        target.count = source.count
        if key == "household":
            target.members_entity_id = source.members_entity_id
            target.members_role = source.members_role
    rebased = builder.build(system)
    for name, variable in system.variables.items():
        if variable.formulas:
            continue
        holder = simulation.get_holder(name)
        for known in holder.get_known_periods():
            rebased.set_input(name, known, holder.get_array(known))
    return rebased


def _household_count(households: Mapping[str, Any], household_index: np.ndarray) -> int:
    lengths = {len(np.asarray(values)) for values in households.values()}
    if len(lengths) > 1:
        raise BatchInputError("households: columns of different lengths")
    if lengths:
        return lengths.pop()
    return int(household_index.max()) + 1 if len(household_index) else 0


def decode_enum(array: EnumArray) -> np.ndarray:
    """An EnumArray to the array of its members' names (one numpy take, no Python loop)."""
    enum = array.possible_values
    assert enum is not None
    names = np.array(list(enum.names), dtype=object)
    return names[np.asarray(array, dtype=np.int64)]


def _output(array: Any) -> np.ndarray:
    if isinstance(array, EnumArray):
        return decode_enum(array)
    return np.asarray(array)


def compute(
    simulation: Simulation,
    period: str | Period,
    *,
    household_outputs: Iterable[str] = HOUSEHOLD_OUTPUTS,
    person_outputs: Iterable[str] = PERSON_OUTPUTS,
) -> BatchResult:
    """Arrays of the requested variables for ``period``; enums come back as their names."""
    month = _period(period)
    result = BatchResult(period=str(month))
    for name in household_outputs:
        result.households[name] = _output(simulation.calculate(name, month))
    for name in person_outputs:
        result.persons[name] = _output(simulation.calculate(name, month))
    return result


def determine(
    period: str | Period,
    *,
    households: Mapping[str, Any],
    persons: Mapping[str, Any],
    person_household: Any,
    person_is_head: Any = None,
    system: TaxBenefitSystem | None = None,
    household_outputs: Iterable[str] = HOUSEHOLD_OUTPUTS,
    person_outputs: Iterable[str] = PERSON_OUTPUTS,
) -> BatchResult:
    """Build one simulation of every household and compute the programmes: arrays in, arrays out."""
    simulation = build_simulation(
        period,
        households=households,
        persons=persons,
        person_household=person_household,
        person_is_head=person_is_head,
        system=system,
    )
    return compute(
        simulation, period, household_outputs=household_outputs, person_outputs=person_outputs
    )


def household_sum(person_values: Any, person_household: Any, n_households: int) -> np.ndarray:
    """Sum a person column over each household (e.g. 特困 amounts to a household total)."""
    return np.bincount(
        np.asarray(person_household, dtype=np.int64),
        weights=np.asarray(person_values, dtype=np.float64),
        minlength=n_households,
    )


__all__ = [
    "HOUSEHOLD_OUTPUTS",
    "PERSON_OUTPUTS",
    "BatchInputError",
    "BatchResult",
    "County",
    "build_simulation",
    "compute",
    "decode_enum",
    "determine",
    "encode_county",
    "household_sum",
    "rebase",
    "set_inputs",
]
