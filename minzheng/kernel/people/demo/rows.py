"""Column values for one slice of a county's households, persons and memberships.

Personal data is filled exactly as people.services.person_create fills it: the ID number
encrypted (crypto.encryptor), its blind index (crypto.indexer), the masked number and the
pinyin of the name. ID numbers are assembled as digit matrices with numpy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from minzheng.common import crypto
from minzheng.kernel.people.demo.names import NameVocabulary
from minzheng.kernel.people.demo.population import (
    CATEGORIES,
    NO_DAY,
    RELATIONS,
    WORK_ABILITIES,
    CityGrids,
    CountyPopulation,
)
from minzheng.kernel.people.id_numbers import CHECK_CHARACTERS, WEIGHTS
from minzheng.kernel.people.models import ID_NUMBER_PURPOSE

DEATH_REASON = "死亡"
ROADS = (
    "中山路",
    "禾兴路",
    "建国路",
    "勤俭路",
    "解放路",
    "少年路",
    "南湖路",
    "槜李路",
    "由拳路",
    "东升路",
    "昌盛路",
    "纺工路",
    "环城路",
    "秀洲路",
    "洪兴路",
    "双溪路",
    "文昌路",
    "庆丰路",
    "花园路",
    "广穹路",
    "越秀路",
    "凌公塘路",
    "长水路",
    "城南路",
    "嘉杭路",
    "甪里街",
    "梅湾街",
    "南溪路",
    "中环路",
    "亚太路",
)


@dataclass(frozen=True)
class IdBases:
    """First primary key of each table for this load (keys are assigned, not returned)."""

    household: int
    person: int
    membership: int


@dataclass
class RowBatch:
    """Columns (name → list of Python values) of the three tables for one slice."""

    households: dict[str, list[Any]]
    persons: dict[str, list[Any]]
    memberships: dict[str, list[Any]]


def id_numbers(
    codes: list[str], address_code: np.ndarray, birth_day: np.ndarray, sequence: np.ndarray
) -> tuple[list[str], list[str]]:
    """(ID numbers, masked ID numbers) built column-wise; masking as common.masking does."""
    n = len(birth_day)
    digits = np.zeros((n, 18), dtype=np.int64)
    code_digits = np.array([[int(c) for c in code] for code in codes], dtype=np.int64)
    digits[:, 0:6] = code_digits[address_code]
    dates = birth_day.astype("datetime64[D]")
    months = dates.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (dates - months).astype(np.int64) + 1
    for column, (value, width) in enumerate(((year, 4), (month, 2), (day, 2), (sequence, 3))):
        start = 6 + sum((4, 2, 2)[:column])
        for k in range(width):
            digits[:, start + k] = (value.astype(np.int64) // 10 ** (width - 1 - k)) % 10
    remainder = (digits[:, :17] * np.array(WEIGHTS)).sum(axis=1) % 11
    chars = (digits + ord("0")).astype(np.uint8)
    chars[:, 17] = np.frombuffer(CHECK_CHARACTERS.encode(), dtype=np.uint8)[remainder]
    numbers = chars.view("S18").ravel().astype(str).tolist()
    chars[:, 6:14] = ord("*")
    masked = chars.view("S18").ravel().astype(str).tolist()
    return numbers, masked


@dataclass(frozen=True)
class DateColumn:
    """Day numbers of a date column; `present` marks non-null values (None: all present)."""

    days: np.ndarray
    present: np.ndarray | None = None

    def as_dates(self) -> list[dt.date | None]:
        """datetime.date values (None where absent), for the ORM."""
        values = self.days.astype("datetime64[D]").tolist()
        if self.present is None:
            return values
        return [v if p else None for v, p in zip(values, self.present.tolist(), strict=True)]

    def as_text(self, null: str) -> list[str]:
        """ISO dates (`null` where absent), for COPY."""
        values = np.datetime_as_string(self.days.astype("datetime64[D]"))
        if self.present is not None:
            values = np.where(self.present, values, null)
        return values.tolist()


def household_addresses(pop: CountyPopulation, grids: CityGrids, lo: int, hi: int) -> list[str]:
    """Street addresses in streets' communities, group-and-number addresses in villages."""
    county = grids.county_names[pop.county_index]
    result = []
    for grid, (road, number, block, room) in zip(
        pop.household_grid[lo:hi].tolist(), pop.household_number[lo:hi].tolist(), strict=True
    ):
        town = grids.town_names[grid]
        if grids.is_street[grid]:
            road_name = ROADS[road % len(ROADS)]
            result.append(f"{county}{town}{road_name}{number}号{block}幢{room}室")
        else:
            result.append(f"{county}{town}{grids.village_names[grid]}{block % 16 + 1}组{number}号")
    return result


def build_rows(
    *,
    pop: CountyPopulation,
    grids: CityGrids,
    vocab: NameVocabulary,
    codes: list[str],
    bases: IdBases,
    household_offset: int,
    person_offset: int,
    lo: int,
    hi: int,
) -> RowBatch:
    """Rows for households lo..hi of `pop`; offsets count rows of earlier counties."""
    first, last = np.searchsorted(pop.person_household, [lo, hi])
    sl = slice(first, last)
    household_ids = np.arange(lo, hi) + bases.household + household_offset
    person_ids = np.arange(first, last) + bases.person + person_offset
    membership_ids = np.arange(first, last) + bases.membership + person_offset
    numbers, masked = id_numbers(codes, pop.address_code[sl], pop.birth_day[sl], pop.sequence[sl])
    encrypt = crypto.encryptor(purpose=ID_NUMBER_PURPOSE)
    index = crypto.indexer(purpose=ID_NUMBER_PURPOSE)
    surname, given = pop.surname[sl], pop.given[sl]
    pinyin, initials = vocab.spellings(surname, given)
    grade = pop.disability_grade[sl]
    category = pop.disability_category[sl]
    death = pop.death_day[sl]
    dead = death != NO_DAY
    phone = pop.phone[sl]
    persons = {
        "id": person_ids.tolist(),
        "name": vocab.full_names(surname, given),
        "name_pinyin": pinyin,
        "name_initials": initials,
        "id_number_ciphertext": [encrypt(number) for number in numbers],
        "id_number_digest": [index(number) for number in numbers],
        "id_number_masked": masked,
        "sex": np.where(pop.male[sl], "M", "F").tolist(),
        "birth_date": DateColumn(pop.birth_day[sl]),
        "phone": np.where(phone > 0, phone.astype(str), "").tolist(),
        "registered_region_id": pop.registered_region[sl].tolist(),
        "residence_region_id": pop.residence_region[sl].tolist(),
        "disability_grade": [int(g) if g else None for g in grade.tolist()],
        "disability_category": [CATEGORIES[c] if c >= 0 else "" for c in category.tolist()],
        "serious_illness": pop.serious_illness[sl].tolist(),
        "work_ability": [WORK_ABILITIES[w] for w in pop.work_ability[sl].tolist()],
        "is_student": pop.is_student[sl].tolist(),
        "death_date": DateColumn(np.where(dead, death, 0), dead),
    }
    memberships = {
        "id": membership_ids.tolist(),
        "household_id": (pop.person_household[sl] + bases.household + household_offset).tolist(),
        "person_id": person_ids.tolist(),
        "relation": [RELATIONS[r] for r in pop.relation[sl].tolist()],
        "start_date": DateColumn(pop.start_day[sl]),
        "end_date": DateColumn(np.where(dead, death, 0), dead),
        "end_reason": np.where(dead, DEATH_REASON, "").tolist(),
    }
    households = {
        "id": household_ids.tolist(),
        "address": household_addresses(pop, grids, lo, hi),
        "region_id": pop.household_region[lo:hi].tolist(),
    }
    return RowBatch(households=households, persons=persons, memberships=memberships)
