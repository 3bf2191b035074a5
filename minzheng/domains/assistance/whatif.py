"""What-if preview of a proposed parameter change: who enters and leaves each programme, and
what it costs, by county. Writes nothing.

Each county's population is read and built once (per date and register version) and its
baseline computed with the rules in force; a preview rebases that simulation onto the rules
with the proposal (``rules.batch.rebase``: inputs shared, only formulas recomputed) for the
counties the change touches, and compares the two with numpy.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db.models import Max
from django.utils.translation import gettext as _

from minzheng.common.errors import PermissionRefused
from minzheng.domains.assistance.determination import (
    CountyPopulation,
    county_codes,
    lookback_months,
    read_population,
    rule_inputs,
)
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.parameters.selectors import system_in_force, system_with_proposal
from minzheng.kernel.regions.models import Region, RegionLevel
from minzheng.rules import batch

if TYPE_CHECKING:
    from openfisca_core.simulations import Simulation

    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.parameters.models import ParameterChange

PROGRAMMES: dict[str, str] = {
    "dibao": "on_dibao",
    "marginal": "on_marginal",
    "low_income_rural": "low_income_rural",
    "tekun": "tekun_eligible",  # a person variable: a household with any such member
    "expenditure_poverty": "expenditure_poverty",
}
"""Programme → the variable that says a household is in it."""

COST = "assistance_monthly_total"


@dataclass(frozen=True)
class ProgrammeFlow:
    programme: str
    before: int
    after: int
    entering: int
    leaving: int
    entering_households: tuple[int, ...] = ()  # the first few household ids, for a look
    leaving_households: tuple[int, ...] = ()


@dataclass(frozen=True)
class CountyWhatIf:
    county: str
    name: str
    households: int
    programmes: dict[str, ProgrammeFlow]
    cost_before: float
    cost_after: float

    @property
    def cost_change(self) -> float:
        return round(self.cost_after - self.cost_before, 2)


@dataclass(frozen=True)
class WhatIfResult:
    path: str
    start: dt.date
    value: Any
    period: str
    counties: list[CountyWhatIf] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def cost_change(self) -> float:
        return round(sum(county.cost_change for county in self.counties), 2)

    def entering(self, programme: str) -> int:
        return sum(county.programmes[programme].entering for county in self.counties)

    def leaving(self, programme: str) -> int:
        return sum(county.programmes[programme].leaving for county in self.counties)


@dataclass
class _Baseline:
    population: CountyPopulation
    simulation: Simulation
    flags: dict[str, np.ndarray]
    cost: np.ndarray


_cache: dict[tuple[Any, ...], _Baseline] = {}
_lock = threading.Lock()
SAMPLE = 20


def register_version() -> tuple[Any, ...]:
    """Cheap marks that change when the register or the verification sources change.

    New memberships, persons, households and source records (and every change of a person or
    household, which writes a history row) move these indexed maxima.
    """
    from minzheng.kernel.people.models import Household, Membership, Person
    from minzheng.kernel.verification.models import SourceRecord

    marks: list[Any] = [
        Membership.objects.aggregate(m=Max("id"))["m"],
        SourceRecord.objects.aggregate(m=Max("id"))["m"],
    ]
    for model in (Person, Household):
        history = model.history.model  # type: ignore[attr-defined]
        marks.append(history.objects.aggregate(m=Max("history_id"))["m"])
        marks.append(model.objects.aggregate(m=Max("id"))["m"])
    return tuple(marks)


def whatif_cache_clear() -> None:
    with _lock:
        _cache.clear()


def _household_flags(simulation: Simulation, period: str, count: int, members: np.ndarray) -> dict:
    flags = {}
    for programme, variable in PROGRAMMES.items():
        values = np.asarray(simulation.calculate(variable, period))
        if len(values) != count:  # a person variable
            values = np.bincount(members, weights=values.astype(np.float64), minlength=count) > 0
        flags[programme] = values.astype(bool)
    return flags


def _baseline(county: str, on: dt.date, version: tuple[Any, ...], system: Any) -> _Baseline:
    key = (on.replace(day=1), version, id(system), county)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    population = read_population(county, on, lookback_months=lookback_months(system, on))
    households, persons, person_household, is_head = rule_inputs(population)
    period = on.strftime("%Y-%m")
    simulation = batch.build_simulation(
        period,
        households=households,
        persons=persons,
        person_household=person_household,
        person_is_head=is_head,
        system=system,
    )
    cached = _Baseline(
        population=population,
        simulation=simulation,
        flags=_household_flags(simulation, period, population.household_count, person_household),
        cost=np.asarray(simulation.calculate(COST, period), dtype=np.float64),
    )
    with _lock:
        for stale in [k for k in _cache if k[:3] != key[:3]]:
            del _cache[stale]
        _cache[key] = cached
    return cached


def affected_counties(path: str) -> list[str]:
    """The counties a parameter touches: one for a per-county value (``….c330402``), else all."""
    codes = county_codes()
    last = path.rsplit(".", 1)[-1]
    if last.startswith("c") and last[1:] in codes:
        return [last[1:]]
    return codes


def _compare(
    county: str, name: str, base: _Baseline, reform: Simulation, period: str
) -> CountyWhatIf:
    ids = base.population.household_ids
    count = base.population.household_count
    after = _household_flags(reform, period, count, base.population.person_household)
    flows = {}
    for programme, before in base.flags.items():
        entering = after[programme] & ~before
        leaving = before & ~after[programme]
        flows[programme] = ProgrammeFlow(
            programme=programme,
            before=int(before.sum()),
            after=int(after[programme].sum()),
            entering=int(entering.sum()),
            leaving=int(leaving.sum()),
            entering_households=tuple(int(i) for i in ids[entering][:SAMPLE]),
            leaving_households=tuple(int(i) for i in ids[leaving][:SAMPLE]),
        )
    cost_after = np.asarray(reform.calculate(COST, period), dtype=np.float64)
    return CountyWhatIf(
        county=county,
        name=name,
        households=count,
        programmes=flows,
        cost_before=round(float(base.cost.sum()), 2),
        cost_after=round(float(cost_after.sum()), 2),
    )


def whatif_preview(
    *, actor: User | None, change: ParameterChange, on: dt.date | None = None
) -> WhatIfResult:
    """Households entering and leaving each programme and the monthly cost change, by county,
    if ``change`` (a proposed parameter change) were confirmed; for the month of ``on``
    (default: the change's effective date). Writes nothing. City administrators only.
    """
    if actor is not None and not has_perm(actor, Perm.PARAMETERS_CHANGE):
        raise PermissionRefused(_("Only city administrators may preview parameter changes."))
    started = time.perf_counter()
    on = on or change.start
    period = on.strftime("%Y-%m")
    system = system_in_force()
    proposed = system_with_proposal(change)
    version = register_version()
    names = dict(Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", "name"))
    counties = []
    for county in affected_counties(change.path):
        base = _baseline(county, on, version, system)
        if not base.population.household_count:
            continue
        reform = batch.rebase(base.simulation, proposed)
        counties.append(_compare(county, names.get(county, county), base, reform, period))
    return WhatIfResult(
        path=change.path,
        start=change.start,
        value=change.value,
        period=period,
        counties=counties,
        seconds=time.perf_counter() - started,
    )
