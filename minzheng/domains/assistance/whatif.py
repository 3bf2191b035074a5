"""What-if preview of a proposed parameter change: who enters and leaves each programme, and
what it costs, by county. Writes nothing.

Each county's population is read and built once (per date and register version) and its
baseline computed with the rules in force; a preview rebases that simulation onto the rules
with the proposal (``rules.batch.rebase``: inputs shared, only formulas recomputed) for the
counties the change touches, and compares the two with numpy.

The comparison keeps, per county and programme, every household entering or leaving it with
its monthly amounts before and after (arrays, no Python loop over households); the result is
cached per change and register version, so the list of affected households pages through it
without computing the city again. Listing rows (names, villages) are built only for the page
shown, with a constant number of queries.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

import numpy as np
from django.db.models import Max
from django.utils.translation import gettext as _

from minzheng.common.errors import PermissionRefused, ValidationFailed
from minzheng.common.masking import mask_name
from minzheng.domains.assistance.determination import (
    CountyPopulation,
    county_codes,
    lookback_months,
    read_population,
    rule_inputs,
)
from minzheng.kernel.accounts.permissions import Perm, has_perm, scope_paths
from minzheng.kernel.parameters.selectors import system_in_force, system_with_proposal
from minzheng.kernel.people.models import Household, Person
from minzheng.kernel.people.selectors import household_scope
from minzheng.kernel.regions.models import Region, RegionLevel
from minzheng.kernel.regions.selectors import region_names
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

PROGRAMME_AMOUNTS: dict[str, str] = {
    "dibao": "dibao_amount",  # top-up or graduated-exit amount
    "tekun": "tekun_amount",  # a person variable: summed over the household's members
}
"""Programme → the variable of its own monthly amount, for the programmes that pay one."""

COST = "assistance_monthly_total"

ENTERING = "entering"
LEAVING = "leaving"
DIRECTIONS = (ENTERING, LEAVING)


@dataclass(frozen=True, eq=False)
class Movers:
    """The households entering (or leaving) one programme in one county: aligned arrays.

    Amounts are yuan per month, before and after the change: ``cost_*`` the household's total
    assistance (COST), ``amount_*`` the programme's own amount (None for a programme without
    one).
    """

    household_ids: np.ndarray  # int64, ascending
    head_person_ids: np.ndarray  # int64, 0 for a household without a head that day
    sizes: np.ndarray  # members living together on the date
    cost_before: np.ndarray
    cost_after: np.ndarray
    amount_before: np.ndarray | None = None
    amount_after: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.household_ids)

    def ids(self) -> list[int]:
        return [int(i) for i in self.household_ids]


@dataclass(frozen=True)
class ProgrammeFlow:
    programme: str
    before: int
    after: int
    entering: int
    leaving: int
    entering_households: Movers
    leaving_households: Movers

    def movers(self, direction: str) -> Movers:
        return self.entering_households if direction == ENTERING else self.leaving_households


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
    amounts: dict[str, np.ndarray]
    sizes: np.ndarray  # members per household
    heads: np.ndarray  # the head's person id per household (0: none)


_cache: dict[tuple[Any, ...], _Baseline] = {}
_lock = threading.Lock()

# Compared results, newest last: key -> (the rules in force they were computed with, result).
_results: OrderedDict[tuple[Any, ...], tuple[Any, WhatIfResult]] = OrderedDict()
RESULTS_KEPT = 8


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
        _results.clear()


def _household_flags(simulation: Simulation, period: str, count: int, members: np.ndarray) -> dict:
    flags = {}
    for programme, variable in PROGRAMMES.items():
        values = np.asarray(simulation.calculate(variable, period))
        if len(values) != count:  # a person variable
            values = np.bincount(members, weights=values.astype(np.float64), minlength=count) > 0
        flags[programme] = values.astype(bool)
    return flags


def _household_amounts(
    simulation: Simulation, period: str, count: int, members: np.ndarray
) -> dict[str, np.ndarray]:
    amounts = {}
    for programme, variable in PROGRAMME_AMOUNTS.items():
        values = np.asarray(simulation.calculate(variable, period), dtype=np.float64)
        if len(values) != count:  # a person variable: the household's members together
            values = np.bincount(members, weights=values, minlength=count).astype(np.float64)
        amounts[programme] = values
    return amounts


def _heads(population: CountyPopulation) -> np.ndarray:
    heads = np.zeros(population.household_count, dtype=np.int64)
    is_head = population.person_is_head
    heads[population.person_household[is_head]] = population.person_ids[is_head]
    return heads


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
    count = population.household_count
    cached = _Baseline(
        population=population,
        simulation=simulation,
        flags=_household_flags(simulation, period, count, person_household),
        cost=np.asarray(simulation.calculate(COST, period), dtype=np.float64),
        amounts=_household_amounts(simulation, period, count, person_household),
        sizes=np.bincount(person_household, minlength=count).astype(np.int64),
        heads=_heads(population),
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
    count = base.population.household_count
    members = base.population.person_household
    after = _household_flags(reform, period, count, members)
    cost_after = np.asarray(reform.calculate(COST, period), dtype=np.float64)
    amounts_after = _household_amounts(reform, period, count, members)

    def movers(moved: np.ndarray, programme: str) -> Movers:
        index = np.flatnonzero(moved)
        own = programme in PROGRAMME_AMOUNTS
        return Movers(
            household_ids=base.population.household_ids[index],
            head_person_ids=base.heads[index],
            sizes=base.sizes[index],
            cost_before=base.cost[index],
            cost_after=cost_after[index],
            amount_before=base.amounts[programme][index] if own else None,
            amount_after=amounts_after[programme][index] if own else None,
        )

    flows = {}
    for programme, before in base.flags.items():
        entering = after[programme] & ~before
        leaving = before & ~after[programme]
        entering_households = movers(entering, programme)
        leaving_households = movers(leaving, programme)
        flows[programme] = ProgrammeFlow(
            programme=programme,
            before=int(before.sum()),
            after=int(after[programme].sum()),
            entering=len(entering_households),
            leaving=len(leaving_households),
            entering_households=entering_households,
            leaving_households=leaving_households,
        )
    return CountyWhatIf(
        county=county,
        name=name,
        households=count,
        programmes=flows,
        cost_before=round(float(base.cost.sum()), 2),
        cost_after=round(float(cost_after.sum()), 2),
    )


def _result_key(change: ParameterChange, on: dt.date, version: tuple[Any, ...]) -> tuple:
    return (change.pk, change.path, change.start, repr(change.value), on, version)


def whatif_preview(
    *, actor: User | None, change: ParameterChange, on: dt.date | None = None
) -> WhatIfResult:
    """Households entering and leaving each programme and the monthly cost change, by county,
    if ``change`` (a proposed parameter change) were confirmed; for the month of ``on``
    (default: the change's effective date). Writes nothing. City administrators only.

    The result is kept per change, month, register version and rules in force (the last
    few), so the list of affected households pages through it without computing again.
    """
    if actor is not None and not has_perm(actor, Perm.PARAMETERS_CHANGE):
        raise PermissionRefused(_("Only city administrators may preview parameter changes."))
    started = time.perf_counter()
    on = on or change.start
    period = on.strftime("%Y-%m")
    system = system_in_force()
    version = register_version()
    key = _result_key(change, on, version)
    if change.pk is not None:
        with _lock:
            kept = _results.get(key)
            if kept is not None and kept[0] is system:
                _results.move_to_end(key)
                return kept[1]
    proposed = system_with_proposal(change)
    names = dict(Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", "name"))
    counties = []
    for county in affected_counties(change.path):
        base = _baseline(county, on, version, system)
        if not base.population.household_count:
            continue
        reform = batch.rebase(base.simulation, proposed)
        counties.append(_compare(county, names.get(county, county), base, reform, period))
    result = WhatIfResult(
        path=change.path,
        start=change.start,
        value=change.value,
        period=period,
        counties=counties,
        seconds=time.perf_counter() - started,
    )
    if change.pk is not None:
        with _lock:
            # Holding the rules object keeps its id from being reused by another build.
            _results[key] = (system, result)
            while len(_results) > RESULTS_KEPT:
                _results.popitem(last=False)
    return result


# The list of affected households ------------------------------------------------------------


@dataclass(frozen=True)
class AffectedRow:
    """One household entering or leaving one programme, as the list shows it."""

    household_id: int
    county: str
    county_name: str
    programme: str
    direction: str
    size: int
    cost_before: float
    cost_after: float
    amount_before: float | None
    amount_after: float | None
    head_name: str = ""  # masked (张*伟)
    town: str = ""
    village: str = ""

    @property
    def cost_change(self) -> float:
        return round(self.cost_after - self.cost_before, 2)

    @property
    def amount_change(self) -> float | None:
        if self.amount_before is None or self.amount_after is None:
            return None
        return round(self.amount_after - self.amount_before, 2)


class AffectedHouseholds:
    """The (household, programme, direction) rows of a filter, as aligned arrays.

    Sized and sliced like a list (Django's Paginator takes it as it is); a slice builds its
    rows with four queries whatever its length: the households, their regions (each checked
    again against the actor's regions), the heads' names and the names of their towns and
    villages.
    """

    def __init__(self, *, actor: User, counties: list[CountyWhatIf], parts: list[_Part]) -> None:
        self.actor = actor
        self._scope_paths = scope_paths(actor, Perm.PEOPLE_VIEW)
        self._county_names = {c.county: c.name for c in counties}
        self._county_codes = [c.county for c in counties]
        concat = _concatenate(parts, self._county_codes)
        self.household_ids: np.ndarray = concat["household_ids"]
        self._county = concat["county"]
        self._programme = concat["programme"]
        self._direction = concat["direction"]
        self._heads = concat["heads"]
        self._sizes = concat["sizes"]
        self._cost_before = concat["cost_before"]
        self._cost_after = concat["cost_after"]
        self._amount_before = concat["amount_before"]
        self._amount_after = concat["amount_after"]

    def __len__(self) -> int:
        return len(self.household_ids)

    def count(self) -> int:
        return len(self)

    @property
    def cost_change(self) -> float:
        return round(float(self._cost_after.sum() - self._cost_before.sum()), 2)

    @overload
    def __getitem__(self, index: int) -> AffectedRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[AffectedRow]: ...

    def __getitem__(self, index: int | slice) -> AffectedRow | list[AffectedRow]:
        if isinstance(index, slice):
            return self._rows(*index.indices(len(self))[:2])
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError(index)
        rows = self._rows(position, position + 1)
        if not rows:
            raise IndexError(index)
        return rows[0]

    def __iter__(self) -> Iterator[AffectedRow]:
        for start in range(0, len(self), 5_000):
            yield from self._rows(start, start + 5_000)

    def _rows(self, start: int, stop: int) -> list[AffectedRow]:
        ids = self.household_ids[start:stop]
        if not len(ids):
            return []
        wanted = [int(i) for i in np.unique(ids)]
        # The list was scoped in bulk; each row is checked again against the actor's regions
        # here, without joining the regions to the households (slow for thousands of ids).
        region_of = dict(Household.objects.filter(pk__in=wanted).values_list("id", "region_id"))
        region_paths = dict(
            Region.objects.filter(pk__in=set(region_of.values())).values_list("id", "path")
        )
        scope = tuple(self._scope_paths)
        paths = {
            household: region_paths[region]
            for household, region in region_of.items()
            if region_paths.get(region, "").startswith(scope)
        }
        heads = [int(i) for i in np.unique(self._heads[start:stop]) if i]
        names = dict(Person.objects.filter(pk__in=heads).values_list("id", "name"))
        codes = {code for path in paths.values() for code in path.strip("/").split("/")[2:4]}
        places = region_names(codes=codes)
        programmes = list(PROGRAMMES)
        rows = []
        for offset, household_id in enumerate(ids.tolist()):
            path = paths.get(household_id)
            if path is None:  # outside the actor's regions (or gone): never shown
                continue
            at = start + offset
            parts = path.strip("/").split("/")
            amount_before = float(self._amount_before[at])
            amount_after = float(self._amount_after[at])
            county = self._county_codes[int(self._county[at])]
            rows.append(
                AffectedRow(
                    household_id=household_id,
                    county=county,
                    county_name=self._county_names.get(county, county),
                    programme=programmes[int(self._programme[at])],
                    direction=DIRECTIONS[int(self._direction[at])],
                    size=int(self._sizes[at]),
                    cost_before=round(float(self._cost_before[at]), 2),
                    cost_after=round(float(self._cost_after[at]), 2),
                    amount_before=None if np.isnan(amount_before) else round(amount_before, 2),
                    amount_after=None if np.isnan(amount_after) else round(amount_after, 2),
                    head_name=mask_name(names.get(int(self._heads[at]), "")),
                    town=places.get(parts[2], "") if len(parts) > 2 else "",
                    village=places.get(parts[3], "") if len(parts) > 3 else "",
                )
            )
        return rows


@dataclass(frozen=True, eq=False)
class _Part:
    county: str
    programme: str
    direction: str
    movers: Movers
    keep: np.ndarray | None  # a mask of the movers inside the actor's regions; None: all


def _concatenate(parts: list[_Part], county_codes: list[str]) -> dict[str, np.ndarray]:
    programmes = list(PROGRAMMES)

    def joined(arrays: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype=dtype)

    columns: dict[str, list[np.ndarray]] = {
        name: []
        for name in (
            "household_ids",
            "county",
            "programme",
            "direction",
            "heads",
            "sizes",
            "cost_before",
            "cost_after",
            "amount_before",
            "amount_after",
        )
    }
    for part in parts:
        movers = part.movers

        def pick(values: np.ndarray, part: _Part = part) -> np.ndarray:
            return values if part.keep is None else values[part.keep]

        ids = pick(movers.household_ids)
        size = len(ids)
        nothing = np.full(len(movers), np.nan)
        columns["household_ids"].append(ids)
        columns["county"].append(np.full(size, county_codes.index(part.county)))
        columns["programme"].append(np.full(size, programmes.index(part.programme)))
        columns["direction"].append(np.full(size, DIRECTIONS.index(part.direction)))
        columns["heads"].append(pick(movers.head_person_ids))
        columns["sizes"].append(pick(movers.sizes))
        columns["cost_before"].append(pick(movers.cost_before))
        columns["cost_after"].append(pick(movers.cost_after))
        for name in ("amount_before", "amount_after"):
            values = getattr(movers, name)
            columns[name].append(pick(nothing if values is None else values))
    integers = {"household_ids", "county", "programme", "direction", "heads", "sizes"}
    return {
        name: joined(arrays, np.int64 if name in integers else np.float64)
        for name, arrays in columns.items()
    }


def _in_scope(actor: User, counties: list[str]) -> dict[str, np.ndarray | None]:
    """Per county, None when the actor sees every household of it, else the ids they see.

    Bulk: a county inside a region of the actor's costs no query; any other county one query
    of the in-scope household ids under it (the register's own scope).
    """
    scope = household_scope(actor)  # refuses an actor who may not view the register
    paths = scope_paths(actor, Perm.PEOPLE_VIEW)
    county_paths = dict(
        Region.objects.filter(level=RegionLevel.COUNTY, code__in=counties).values_list(
            "code", "path"
        )
    )
    seen: dict[str, np.ndarray | None] = {}
    for county in counties:
        county_path = county_paths.get(county, "")
        if county_path and any(county_path.startswith(path) for path in paths):
            seen[county] = None
            continue
        ids = Household.objects.filter(scope, region__path__startswith=county_path).values_list(
            "id", flat=True
        )
        seen[county] = np.fromiter(ids.iterator(chunk_size=20_000), dtype=np.int64)
    return seen


def affected_households(
    *,
    actor: User,
    result: WhatIfResult,
    county: str = "",
    programme: str = "",
    direction: str = "",
) -> AffectedHouseholds:
    """The households of ``result`` entering or leaving a programme, inside the actor's
    regions, optionally of one county, one programme and one direction; ordered by county,
    programme, direction and household. City administrators only (as the preview).
    """
    if not has_perm(actor, Perm.PARAMETERS_CHANGE):
        raise PermissionRefused(_("Only city administrators may preview parameter changes."))
    codes = [c.county for c in result.counties]
    if county and county not in codes:
        raise ValidationFailed(_("This change does not touch that county."), field="county")
    if programme and programme not in PROGRAMMES:
        raise ValidationFailed(_("There is no such programme."), field="programme")
    if direction and direction not in DIRECTIONS:
        raise ValidationFailed(_("Choose entering or leaving."), field="direction")
    counties = [c for c in result.counties if not county or c.county == county]
    seen = _in_scope(actor, [c.county for c in counties])
    parts = []
    for line in counties:
        visible = seen[line.county]
        for name in PROGRAMMES:
            if programme and name != programme:
                continue
            for way in DIRECTIONS:
                if direction and way != direction:
                    continue
                movers = line.programmes[name].movers(way)
                if not len(movers):
                    continue
                keep = None if visible is None else np.isin(movers.household_ids, visible)
                parts.append(_Part(line.county, name, way, movers, keep))
    return AffectedHouseholds(actor=actor, counties=result.counties, parts=parts)
