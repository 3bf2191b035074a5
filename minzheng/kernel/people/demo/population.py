"""Vectorised households and persons for one county: numbers only, no database access.

Everything is drawn from one numpy generator seeded by (seed, county index), so a county's
register is the same on every run and counties can be generated one at a time.
Dates are numpy day numbers (days since 1970-01-01); missing values are NO_DAY / 0 / -1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from minzheng.kernel.people.demo.names import NameVocabulary
from minzheng.kernel.people.models import DisabilityCategory, Relation, WorkAbility

REFERENCE_DATE = dt.date(2026, 1, 1)  # the demo register is "as of" this day
REFERENCE_DAY = (REFERENCE_DATE - dt.date(1970, 1, 1)).days
DAYS_PER_YEAR = 365.2425
NO_DAY = np.iinfo(np.int32).min

RELATIONS = list(Relation.values)
REL = {value: np.int8(i) for i, value in enumerate(RELATIONS)}
CATEGORIES = list(DisabilityCategory.values)
WORK_ABILITIES = list(WorkAbility.values)
WORK = {value: np.int8(i) for i, value in enumerate(WORK_ABILITIES)}

# Where persons were born when not in the county of their registration (ID address codes).
OTHER_ZHEJIANG_CODES = ("330106", "330282", "330521", "330602", "331081", "330381")
OTHER_PROVINCE_CODES = (
    "341221",  # 临泉县
    "341222",  # 太和县
    "341623",  # 利辛县
    "340321",  # 怀远县
    "411627",  # 太康县
    "411722",  # 上蔡县
    "320584",  # 吴江 (old code, still on IDs)
    "321081",  # 仪征市
    "511321",  # 南部县
    "510922",  # 射洪
    "361128",  # 鄱阳县
    "520221",  # 水城
    "421087",  # 松滋市
)
# Born where: own county, another Jiaxing county, elsewhere in Zhejiang, another province.
ORIGIN_P = np.array([0.0, 0.35, 0.15, 0.50])
BORN_ELSEWHERE_ADULT = 0.12
BORN_ELSEWHERE_ELDERLY = 0.05
BORN_ELSEWHERE_CHILD = 0.03
REGISTERED_ELSEWHERE = 0.12  # households whose 户籍 grid differs from where they live
REGISTERED_OTHER_COUNTY = 0.30  # of those, registered in another county of the city

# Disability (持证残疾人) by age band: rate, category mix (order of CATEGORIES).
DISABILITY_BANDS = (0, 18, 45, 60, 75, 200)
DISABILITY_RATE = (0.013, 0.034, 0.062, 0.10, 0.165)
CATEGORY_P_YOUNG = (0.08, 0.08, 0.04, 0.30, 0.22, 0.12, 0.16)
CATEGORY_P_OLD = (0.17, 0.26, 0.01, 0.30, 0.03, 0.06, 0.17)
# Grade 1 (most severe) to 4, by category.
GRADE_P = {
    "visual": (0.20, 0.20, 0.25, 0.35),
    "hearing": (0.08, 0.17, 0.30, 0.45),
    "speech": (0.10, 0.20, 0.30, 0.40),
    "physical": (0.10, 0.17, 0.30, 0.43),
    "intellectual": (0.15, 0.30, 0.35, 0.20),
    "mental": (0.12, 0.38, 0.30, 0.20),
    "multiple": (0.35, 0.30, 0.20, 0.15),
}
ILLNESS_BANDS = (0, 18, 45, 60, 200)
ILLNESS_RATE = (0.003, 0.006, 0.015, 0.03)
DEATH_BANDS = (0, 60, 70, 80, 90, 200)
DEATH_RATE = (0.0, 0.03, 0.08, 0.18, 0.35)  # of non-head members, died in the last 4 years
PHONE_PREFIXES = np.array(
    [
        *(130, 131, 132, 133, 135, 136, 137, 139, 150, 151, 152, 155, 157, 158, 159, 173, 177),
        *(180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 198, 199),
    ],
    dtype=np.int64,
)


def address_codes(county_codes: list[str]) -> list[str]:
    """ID address codes: the city's counties first, then places elsewhere."""
    return [*county_codes, *OTHER_ZHEJIANG_CODES, *OTHER_PROVINCE_CODES]


@dataclass
class _Members:
    """Members collected type by type; concatenated and ordered by household at the end."""

    rng: np.random.Generator
    vocab: NameVocabulary
    parts: list[dict[str, np.ndarray]] = field(default_factory=list)

    def add(
        self,
        household: np.ndarray,
        relation: str,
        age: np.ndarray,
        male: np.ndarray,
        surname: np.ndarray | None = None,
        elsewhere_p: float = BORN_ELSEWHERE_ADULT,
    ) -> np.ndarray:
        """Add one member to each of `household`; returns their surname indexes."""
        n = len(household)
        origin = np.where(
            self.rng.random(n) < elsewhere_p, self.rng.choice(4, size=n, p=ORIGIN_P), 0
        ).astype(np.int8)
        if surname is None:
            surname = self.vocab.sample_surnames(self.rng, local=origin < 3)
        self.parts.append(
            {
                "household": household.astype(np.int32),
                "relation": np.full(n, REL[relation], dtype=np.int8),
                "age": np.clip(age, 0.01, 100.0),
                "male": male.astype(bool),
                "surname": surname.astype(np.int32),
                "origin": origin,
            }
        )
        return surname

    def child(
        self,
        household: np.ndarray,
        relation: str,
        age: np.ndarray,
        father_surname: np.ndarray,
        mother_surname: np.ndarray,
    ) -> None:
        """A child taking the father's surname (nine in ten) or the mother's."""
        surname = np.where(self.rng.random(len(household)) < 0.9, father_surname, mother_surname)
        male = self.rng.random(len(household)) < 0.515
        self.add(household, relation, age, male, surname, BORN_ELSEWHERE_CHILD)

    def couple(
        self, household: np.ndarray, head_age: np.ndarray, male_head_p: float, elderly: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Head and spouse; returns (father surname, mother surname, head male, mother age)."""
        n = len(household)
        head_male = self.rng.random(n) < male_head_p
        elsewhere = BORN_ELSEWHERE_ELDERLY if elderly else BORN_ELSEWHERE_ADULT
        head_surname = self.add(household, "head", head_age, head_male, elsewhere_p=elsewhere)
        gap = self.rng.normal(2.0, 2.5, n)
        spouse_age = np.maximum(head_age + np.where(head_male, -gap, gap), 20.0)
        spouse_surname = self.add(
            household, "spouse", spouse_age, ~head_male, elsewhere_p=elsewhere
        )
        father = np.where(head_male, head_surname, spouse_surname)
        mother = np.where(head_male, spouse_surname, head_surname)
        return father, mother, head_male, np.where(head_male, spouse_age, head_age)


def _elderly_age(rng: np.random.Generator, n: int, low: float) -> np.ndarray:
    """Ages from `low` with a long tail up to 100 (few persons reach 95)."""
    return np.minimum(low + rng.gamma(2.0, 6.5, n), 99.9)


def _between(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    """Ages between low and high, denser in the middle."""
    return low + rng.beta(2.0, 2.0, n) * (high - low)


def _children(m: _Members, household: np.ndarray, mother_age: np.ndarray, father, mother) -> None:
    """One, two or three children of a mother aged `mother_age` (younger ones if born yet)."""
    rng = m.rng
    n = len(household)
    count = rng.choice([1, 2, 3], size=n, p=[0.58, 0.37, 0.05])
    age = mother_age - rng.uniform(22.0, 37.0, n)
    age = np.where(age < 0, rng.uniform(0.05, 3.0, n), age)
    for k in (1, 2, 3):
        has = (count >= k) & (age > 0)
        m.child(household[has], "child", age[has], father[has], mother[has])
        age = age - rng.uniform(1.5, 8.0, n)


def _single_elderly(m: _Members, h: np.ndarray) -> None:
    m.add(h, "head", _elderly_age(m.rng, len(h), 65), m.rng.random(len(h)) < 0.35, None, 0.05)


def _elderly_couple(m: _Members, h: np.ndarray) -> None:
    m.couple(h, _elderly_age(m.rng, len(h), 60), 0.85, elderly=True)


def _single_adult(m: _Members, h: np.ndarray) -> None:
    age = 20 + m.rng.beta(1.5, 2.5, len(h)) * 40
    m.add(h, "head", age, m.rng.random(len(h)) < 0.58)


def _young_couple(m: _Members, h: np.ndarray) -> None:
    m.couple(h, _between(m.rng, len(h), 22, 40), 0.8, elderly=False)


def _couple_with_children(m: _Members, h: np.ndarray) -> None:
    father, mother, _, mother_age = m.couple(h, _between(m.rng, len(h), 27, 56), 0.85, False)
    _children(m, h, mother_age, father, mother)


def _single_parent(m: _Members, h: np.ndarray) -> None:
    n = len(h)
    age = _between(m.rng, n, 28, 55)
    head_male = m.rng.random(n) < 0.25
    surname = m.add(h, "head", age, head_male)
    child_age = np.maximum(age - m.rng.uniform(22, 35, n), m.rng.uniform(0.05, 1.0, n))
    m.child(h, "child", child_age, surname, surname)


def _elders(m: _Members, h: np.ndarray, child_age: np.ndarray, child_surname) -> None:
    """One or two parents (or parents-in-law) of a middle-aged head."""
    rng = m.rng
    n = len(h)
    in_law = rng.random(n) < 0.3
    father_age = np.minimum(child_age + rng.uniform(24, 34, n), 99.0)
    mother_age = np.minimum(father_age - rng.normal(2.0, 2.0, n), 99.0)
    both = rng.random(n) < 0.55
    only_mother = ~both & (rng.random(n) < 0.65)
    father = both | ~only_mother
    mother = both | only_mother
    for wanted, age, male in ((father, father_age, True), (mother, mother_age, False)):
        for relation, chosen in (("parent", wanted & ~in_law), ("parent_in_law", wanted & in_law)):
            if not chosen.any():
                continue
            surname = child_surname[chosen] if (male and relation == "parent") else None
            m.add(h[chosen], relation, age[chosen], np.full(chosen.sum(), male), surname, 0.05)


def _three_generations(m: _Members, h: np.ndarray) -> None:
    n = len(h)
    head_age = _between(m.rng, n, 30, 55)
    father, mother, head_male, mother_age = m.couple(h, head_age, 0.85, elderly=False)
    _children(m, h, mother_age, father, mother)
    head_surname = np.where(head_male, father, mother)
    _elders(m, h, head_age, head_surname)


def _three_generations_elder_head(m: _Members, h: np.ndarray) -> None:
    """Grandparents head the household; an adult child, their spouse and grandchildren."""
    rng = m.rng
    n = len(h)
    father, mother, _, mother_age = m.couple(h, _between(rng, n, 56, 80), 0.85, elderly=True)
    child_age = np.maximum(mother_age - rng.uniform(23, 32, n), 22.0)
    son = rng.random(n) < 0.8
    child_surname = np.where(rng.random(n) < 0.9, father, mother)
    m.add(h, "child", child_age, son, child_surname, BORN_ELSEWHERE_CHILD)
    in_law_age = np.maximum(child_age + np.where(son, -1, 1) * rng.normal(2, 2, n), 20)
    in_law_surname = m.add(h, "child_in_law", in_law_age, ~son)
    grand_father = np.where(son, child_surname, in_law_surname)
    grand_mother = np.where(son, in_law_surname, child_surname)
    grand_mother_age = np.where(son, in_law_age, child_age)
    count = rng.choice([1, 2], size=n, p=[0.6, 0.4])
    age = np.maximum(grand_mother_age - rng.uniform(22, 34, n), rng.uniform(0.05, 3.0, n))
    for k in (1, 2):
        has = (count >= k) & (age > 0)
        m.child(h[has], "grandchild", age[has], grand_father[has], grand_mother[has])
        age = age - rng.uniform(2, 7, n)


def _with_elderly_parent(m: _Members, h: np.ndarray) -> None:
    rng = m.rng
    n = len(h)
    head_age = _between(rng, n, 40, 62)
    married = rng.random(n) < 0.75
    father, _, _, _ = m.couple(h[married], head_age[married], 0.8, elderly=False)
    single = h[~married]
    single_surname = m.add(single, "head", head_age[~married], rng.random(len(single)) < 0.5)
    surname = np.empty(n, dtype=np.int32)
    surname[married] = father
    surname[~married] = single_surname
    age = np.minimum(head_age + rng.uniform(24, 34, n), 99.0)
    elder_male = rng.random(n) < 0.35
    m.add(h, "parent", age, elder_male, np.where(elder_male, surname, -1), 0.05)


def _couple_with_adult_child(m: _Members, h: np.ndarray) -> None:
    rng = m.rng
    n = len(h)
    father, mother, _, mother_age = m.couple(h, _between(rng, n, 45, 68), 0.85, elderly=False)
    child_age = np.maximum(mother_age - rng.uniform(23, 33, n), 18.0)
    m.child(h, "child", child_age, father, mother)


def _siblings(m: _Members, h: np.ndarray) -> None:
    rng = m.rng
    n = len(h)
    age = _between(rng, n, 25, 62)
    surname = m.add(h, "head", age, rng.random(n) < 0.55)
    m.add(h, "sibling", np.maximum(age + rng.uniform(-8, 8, n), 18.0), rng.random(n) < 0.5, surname)


# (builder, weight in streets' communities, weight in towns' villages)
COMPOSITIONS: tuple[tuple[Callable[[_Members, np.ndarray], None], float, float], ...] = (
    (_single_elderly, 0.09, 0.09),
    (_elderly_couple, 0.14, 0.16),
    (_single_adult, 0.12, 0.06),
    (_young_couple, 0.08, 0.05),
    (_couple_with_children, 0.28, 0.18),
    (_single_parent, 0.04, 0.03),
    (_three_generations, 0.08, 0.14),
    (_three_generations_elder_head, 0.03, 0.08),
    (_with_elderly_parent, 0.05, 0.08),
    (_couple_with_adult_child, 0.07, 0.10),
    (_siblings, 0.02, 0.03),
)


@dataclass(frozen=True)
class CityGrids:
    """The planned grids of the city, in code order, with what addresses and weights need."""

    county_codes: list[str]
    county_names: list[str]
    ids: np.ndarray  # region id
    county: np.ndarray  # index into county_codes
    weight: np.ndarray
    is_street: np.ndarray
    town_names: list[str]
    village_names: list[str]


@dataclass
class CountyPopulation:
    """One county's households and persons as arrays; persons ordered by household."""

    county_index: int
    household_region: np.ndarray  # grid region id
    household_grid: np.ndarray  # index into CityGrids
    household_number: np.ndarray  # [n, 4]: road, number, building or group, room
    person_household: np.ndarray
    relation: np.ndarray
    male: np.ndarray
    birth_day: np.ndarray
    address_code: np.ndarray  # index into address_codes()
    sequence: np.ndarray
    surname: np.ndarray
    given: np.ndarray
    disability_grade: np.ndarray  # 0 = none
    disability_category: np.ndarray  # -1 = none
    serious_illness: np.ndarray
    work_ability: np.ndarray
    is_student: np.ndarray
    death_day: np.ndarray  # NO_DAY = alive
    phone: np.ndarray  # 0 = none
    registered_region: np.ndarray
    residence_region: np.ndarray
    start_day: np.ndarray

    @property
    def household_count(self) -> int:
        return len(self.household_region)

    @property
    def person_count(self) -> int:
        return len(self.relation)


def _banded(rng: np.random.Generator, age: np.ndarray, bands, rates) -> np.ndarray:
    """True with the rate of each person's age band."""
    band = np.searchsorted(np.asarray(bands), age, side="right") - 1
    return rng.random(len(age)) < np.asarray(rates)[band]


def _assign_sequences(
    birth_day: np.ndarray, address_code: np.ndarray, male: np.ndarray, county_index: int
) -> np.ndarray:
    """Sequence codes unique per (address code, birth date, sex), odd for men.

    Numbers 1-400 of the own county's code belong to this county alone; other codes share
    401-498 between the counties, 14 numbers each, so counties generated apart never clash.
    A group too large for its numbers moves a birth date one day back (in place).
    """
    own = address_code == county_index
    for _ in range(100):
        key = ((address_code.astype(np.int64) * 2 + male) << 18) | (
            birth_day.astype(np.int64) + 100_000
        )
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
        sizes = np.diff(np.r_[starts, len(key)])
        rank = np.empty(len(key), dtype=np.int64)
        rank[order] = np.arange(len(key)) - np.repeat(starts, sizes)
        overflow = np.where(own, rank >= 400, rank >= 14)
        if not overflow.any():
            break
        birth_day[overflow] -= 1
    else:  # pragma: no cover - needs tens of thousands of twins
        raise RuntimeError("Could not give every person a distinct ID number.")
    scramble = (key * 2654435761) % 1_000_003
    number = np.where(
        own, 1 + (rank * 137 + scramble) % 400, 401 + county_index * 14 + (rank * 3 + scramble) % 14
    )
    return (number * 2 + male).astype(np.int16)


def _origin_codes(origin: np.ndarray, county_of_registration: np.ndarray, rng) -> np.ndarray:
    """ID address code index per person from where they were born."""
    n = len(origin)
    other_county = (county_of_registration + rng.integers(1, 7, n)) % 7
    zhejiang = 7 + rng.integers(0, len(OTHER_ZHEJIANG_CODES), n)
    province = 7 + len(OTHER_ZHEJIANG_CODES) + rng.integers(0, len(OTHER_PROVINCE_CODES), n)
    choices = np.stack([county_of_registration, other_county, zhejiang, province])
    return choices[origin, np.arange(n)].astype(np.int16)


def _registration(rng, grids: CityGrids, county_index: int, grid: np.ndarray) -> np.ndarray:
    """户籍 grid index per household: usually where it lives, sometimes elsewhere."""
    n = len(grid)
    moved = rng.random(n) < REGISTERED_ELSEWHERE
    other_county = rng.random(n) < REGISTERED_OTHER_COUNTY
    own = np.flatnonzero(grids.county == county_index)
    same = own[rng.integers(0, len(own), n)]
    anywhere = rng.integers(0, len(grids.ids), n)
    return np.where(moved, np.where(other_county, anywhere, same), grid)


def _facts(rng, age: np.ndarray, relation: np.ndarray) -> dict[str, np.ndarray]:
    """Disability, illness, schooling, work ability, death and phone, consistent with age."""
    n = len(age)
    disabled = _banded(rng, age, DISABILITY_BANDS, DISABILITY_RATE)
    young_p, old_p = np.array(CATEGORY_P_YOUNG), np.array(CATEGORY_P_OLD)
    category = np.where(
        age < 45, rng.choice(len(CATEGORIES), n, p=young_p), rng.choice(len(CATEGORIES), n, p=old_p)
    )
    grade_cum = np.cumsum(np.array([GRADE_P[c] for c in CATEGORIES]), axis=1)
    grade = (rng.random(n)[:, None] > grade_cum[category]).sum(axis=1) + 1
    ill = _banded(rng, age, ILLNESS_BANDS, ILLNESS_RATE)
    student = ((age >= 6) & (age < 18) & (rng.random(n) < 0.99)) | (
        (age >= 18) & (age < 23) & (rng.random(n) < 0.5)
    )
    work = np.full(n, WORK["full"], dtype=np.int8)
    work[(age >= 60) | (disabled & (grade >= 3)) | ill] = WORK["partial"]
    work[(age < 16) | (age >= 70) | (disabled & (grade <= 2)) | (ill & (rng.random(n) < 0.5))] = (
        WORK["none"]
    )
    dies = (relation != REL["head"]) & _banded(rng, age, DEATH_BANDS, DEATH_RATE)
    death_day = np.where(dies, REFERENCE_DAY - rng.integers(1, 4 * 365, n), NO_DAY)
    phone_p = np.select([age < 18, age < 60, age < 75], [0.0, 0.97, 0.85], 0.5)
    has_phone = rng.random(n) < phone_p
    phone = PHONE_PREFIXES[rng.integers(0, len(PHONE_PREFIXES), n)] * 10**8 + rng.integers(
        0, 10**8, n
    )
    return {
        "disability_grade": np.where(disabled, grade, 0).astype(np.int8),
        "disability_category": np.where(disabled, category, -1).astype(np.int8),
        "serious_illness": ill,
        "is_student": student,
        "work_ability": work,
        "death_day": death_day.astype(np.int32),
        "phone": np.where(has_phone, phone, 0),
    }


def _start_days(rng, age, birth_day, relation, household, head_age) -> np.ndarray:
    """Membership start per person: the household's founding, a birth or a later move in."""
    n = len(age)
    years_back = rng.uniform(0.5, 1.0, len(head_age)) * np.clip(head_age - 20, 1, 35)
    founded = (REFERENCE_DAY - years_back * DAYS_PER_YEAR).astype(np.int32)[household]
    joined_later = np.isin(relation, [REL["parent"], REL["parent_in_law"], REL["child_in_law"]])
    start = np.where(joined_later, founded + rng.integers(0, 10 * 365, n), founded)
    adult_from = birth_day + (18 * DAYS_PER_YEAR)
    born_in = np.isin(relation, [REL["child"], REL["grandchild"]])
    start = np.where(born_in, np.maximum(start, birth_day), np.maximum(start, adult_from))
    return np.minimum(start, REFERENCE_DAY - 1).astype(np.int32)


def generate_county(
    *,
    vocab: NameVocabulary,
    grids: CityGrids,
    county_index: int,
    households: int,
    seed: int,
) -> CountyPopulation:
    """Generate `households` households of one county with their members."""
    rng = np.random.default_rng([seed, county_index])
    own = np.flatnonzero(grids.county == county_index)
    weight = grids.weight[own] / grids.weight[own].sum()
    grid = np.sort(own[rng.choice(len(own), size=households, p=weight)])
    street = grids.is_street[grid]
    p_street = np.array([c[1] for c in COMPOSITIONS])
    p_town = np.array([c[2] for c in COMPOSITIONS])
    kind = np.where(
        street,
        rng.choice(len(COMPOSITIONS), households, p=p_street / p_street.sum()),
        rng.choice(len(COMPOSITIONS), households, p=p_town / p_town.sum()),
    )
    members = _Members(rng=rng, vocab=vocab)
    for index, (builder, _, _) in enumerate(COMPOSITIONS):
        chosen = np.flatnonzero(kind == index)
        if len(chosen):
            builder(members, chosen)
    columns = {
        name: np.concatenate([part[name] for part in members.parts]) for name in members.parts[0]
    }
    order = np.argsort(columns["household"], kind="stable")
    p = {name: values[order] for name, values in columns.items()}
    household, age, male = p["household"], p["age"], p["male"]
    head_age = np.zeros(households)
    head_age[household[p["relation"] == REL["head"]]] = age[p["relation"] == REL["head"]]

    no_surname = p["surname"] < 0  # elders whose surname was left to chance
    p["surname"][no_surname] = vocab.sample_surnames(rng, np.ones(no_surname.sum(), bool))
    given = vocab.sample_given(rng, male)
    birth_day = (REFERENCE_DAY - np.round(age * DAYS_PER_YEAR)).astype(np.int32)
    registered_grid = _registration(rng, grids, county_index, grid)
    person_registered = registered_grid[household]
    address_code = _origin_codes(p["origin"], grids.county[person_registered], rng)
    sequence = _assign_sequences(birth_day, address_code, male, county_index)
    age = (REFERENCE_DAY - birth_day) / DAYS_PER_YEAR
    facts = _facts(rng, age, p["relation"])
    start = _start_days(rng, age, birth_day, p["relation"], household, head_age)
    dead = facts["death_day"] != NO_DAY
    facts["death_day"][dead] = np.maximum(facts["death_day"][dead], start[dead] + 1)
    facts["death_day"][dead] = np.minimum(facts["death_day"][dead], REFERENCE_DAY - 1)
    start[dead] = np.minimum(start[dead], facts["death_day"][dead])
    facts["is_student"] &= ~dead
    numbers = np.stack(
        [
            rng.integers(0, 1 << 16, households),
            rng.integers(1, 300, households),
            rng.integers(1, 40, households),
            rng.integers(1, 30, households) * 100 + rng.integers(1, 5, households),
        ],
        axis=1,
    ).astype(np.int32)
    return CountyPopulation(
        county_index=county_index,
        household_region=grids.ids[grid],
        household_grid=grid.astype(np.int32),
        household_number=numbers,
        person_household=household,
        relation=p["relation"],
        male=male,
        birth_day=birth_day,
        address_code=address_code,
        sequence=sequence,
        surname=p["surname"],
        given=given,
        registered_region=grids.ids[person_registered],
        residence_region=grids.ids[grid][household],
        start_day=start,
        **facts,
    )
