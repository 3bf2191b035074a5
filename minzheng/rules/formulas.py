"""Vectorised helpers shared by the variable modules (no Variable classes here).

Every helper works on whole arrays: a city of 2 million households is one call.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from openfisca_core.periods import DateUnit, Instant, Period
from openfisca_core.periods import period as make_period

from minzheng.rules.enums import County

# Indices of the County enum, in order: the lookup tables below are built in this order.
_COUNTY_NAMES: tuple[str, ...] = tuple(County.names)


def per_county(node: Any, county: Any) -> np.ndarray:
    """Value of a per-county parameter node (children ``c330402``…) for each household.

    Same result as OpenFisca's vectorial indexing ``node[county]``, but through a lookup table
    of the seven counties indexed by the enum's integer codes: one numpy take instead of a
    Python loop over every household.
    """
    table = np.array([node[name] for name in _COUNTY_NAMES])
    return table[np.asarray(county, dtype=np.int16)]


def by_grade(node: Any, grade: np.ndarray) -> np.ndarray:
    """Value of a node with children ``grade_1``…``grade_4`` for each person; 0 without a grade."""
    table = np.array([0.0] + [float(node[f"grade_{g}"]) for g in range(1, 5)])
    return table[np.clip(np.asarray(grade, dtype=np.int64), 0, 4)]


def age_on(birth_date: np.ndarray, instant: Instant, max_age: int = 150) -> np.ndarray:
    """Age in whole years on ``instant`` (the first day of the period).

    A person is ``a`` years old when born on or before the same day ``a`` years earlier: one
    binary search per person in the table of those anniversaries, no calendar conversion of
    millions of dates.
    """
    birth = np.asarray(birth_date, dtype="datetime64[D]")
    anniversaries = np.array(
        [
            f"{instant.year - age:04d}-{instant.month:02d}-{instant.day:02d}"
            for age in range(max_age, -1, -1)
        ],
        dtype="datetime64[D]",
    )  # ascending: the day max_age years ago, …, the instant itself
    on_or_after = len(anniversaries) - np.searchsorted(anniversaries, birth, side="left")
    return (on_or_after - 1).astype(np.int32)


def months_between(start: np.ndarray, instant: Instant) -> np.ndarray:
    """Whole calendar months from the month of ``start`` to the month of ``instant``."""
    start_month = np.asarray(start, dtype="datetime64[D]").astype("datetime64[M]").astype(np.int64)
    instant_month = (instant.year - 1970) * 12 + instant.month - 1
    return instant_month - start_month


def window_months(period: Period, months: int) -> list[Period]:
    """The ``months`` months ending with ``period`` (a month), oldest first."""
    first = period.start.offset(-(int(months) - 1), DateUnit.MONTH)
    return [make_period(f"month:{first.offset(i, DateUnit.MONTH)}") for i in range(int(months))]


def window_average(population: Any, variable_name: str, period: Period, months: int) -> np.ndarray:
    """Monthly average of an input over the look-back window ending with ``period``.

    Only the months of the window for which the input was given count: an input given for the
    assessed month alone is read as the monthly average already; one given for every month of
    the window (or as a total over it) is averaged here. With no month given, the value is 0.
    """
    holder = population.get_holder(variable_name)
    wanted = {str(month) for month in window_months(period, months)}
    known = sorted(
        {str(known_period) for known_period in holder.get_known_periods()} & wanted,
    )
    if not known:
        return np.zeros(population.count, dtype=np.float32)
    total = sum(population(variable_name, month) for month in known)
    return total / len(known)


def end_of_previous_year(period: Period) -> str:
    """The last day of the year before the period's start, as an ISO date."""
    return f"{period.start.year - 1}-12-31"


def minimum_wage_of(parameters_at: Any, county: Any) -> np.ndarray:
    """Minimum monthly wage of each household's county, from the tiers in force at an instant."""
    node = parameters_at.minimum_wage
    tier = per_county(node.county_tier, county).astype(np.int64)
    tiers = node.tiers
    table = np.array(
        [0.0]
        + [
            float(tiers[f"tier_{t}"]) if f"tier_{t}" in tiers._children else 0.0
            for t in range(1, 5)
        ],
    )
    return table[np.clip(tier, 0, 4)]


def round_half_up(values: np.ndarray, unit: float = 1.0) -> np.ndarray:
    """Round to a multiple of ``unit`` yuan, halves away from zero (as a clerk rounds)."""
    scaled = np.asarray(values, dtype=np.float64) / unit
    return np.floor(scaled + 0.5) * unit
