"""Villages, communities and grids below the 72 official towns, generated deterministically.

The plan depends only on each town's code, never on the demo seed, so every load of every
scale shares one region tree. Streets (街道, codes 0xx) get communities numbered from 001,
towns (镇, codes 1xx) get villages numbered from 201 as in the NBS code set; each village
or community gets grids numbered from 001. Existing codes are kept, missing ones are added
in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import transaction

from minzheng.kernel.regions.models import Region, RegionLevel

CITY_CODE = "330400"

COMMUNITY_FIRST = "东西南北新华丰安和康嘉禾秀梅湖月锦翠春紫文昌泰瑞景怡荷兰桂清"
COMMUNITY_SECOND = "园苑湖阳兴城河桥湾庭岸里星晖港塘苑坊"
VILLAGE_FIRST = "东西南北新大小高长永三双马金红胜联群民建庄杨沈陆钱徐姚顾朱凤龙"
VILLAGE_SECOND = "港桥浜塘泾湾庄圩荡漾河兜埭汇墩浦"
CHINESE_NUMERALS = "一二三四五六七八九十"

STREET_UNITS = (6, 14)  # communities per street (inclusive range)
TOWN_UNITS = (10, 20)  # villages per town
GRIDS_PER_UNIT = (3, 8)
STREET_WEIGHT = 1.4  # a street's households relative to a town's


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 23 → 二十三 (up to 99)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CHINESE_NUMERALS[tens - 1] + "十")
    return head + (CHINESE_NUMERALS[ones - 1] if ones else "")


@dataclass(frozen=True)
class PlannedRegion:
    code: str
    name: str
    level: str
    parent_code: str
    weight: float  # relative number of households (grids only)


def _unit_name(rng: np.random.Generator, is_street: bool, taken: set[str]) -> str:
    """A community name ("梅湾社区") or village name ("杨家浜村") not yet used in the town."""
    first, second = (
        (COMMUNITY_FIRST, COMMUNITY_SECOND) if is_street else (VILLAGE_FIRST, VILLAGE_SECOND)
    )
    while True:
        a, b = first[rng.integers(len(first))], second[rng.integers(len(second))]
        middle = "家" if not is_street and rng.random() < 0.25 else ""
        name = f"{a}{middle}{b}{'社区' if is_street else '村'}"
        if name not in taken:
            taken.add(name)
            return name


def plan_town(town_code: str) -> list[PlannedRegion]:
    """The villages/communities and grids of one town, a pure function of its code."""
    rng = np.random.default_rng(int(town_code))
    is_street = town_code[6] == "0"
    low, high = STREET_UNITS if is_street else TOWN_UNITS
    town_weight = (STREET_WEIGHT if is_street else 1.0) * rng.lognormal(0.0, 0.25)
    units = int(rng.integers(low, high + 1))
    first_number = 1 if is_street else 201
    taken: set[str] = set()
    planned: list[PlannedRegion] = []
    for i in range(units):
        code = f"{town_code}{first_number + i:03d}"
        name = _unit_name(rng, is_street, taken)
        planned.append(PlannedRegion(code, name, RegionLevel.VILLAGE, town_code, 0.0))
        grids = int(rng.integers(GRIDS_PER_UNIT[0], GRIDS_PER_UNIT[1] + 1))
        unit_weight = town_weight * rng.lognormal(0.0, 0.3) / units
        for j in range(1, grids + 1):
            planned.append(
                PlannedRegion(
                    code=f"{code}{j:03d}",
                    name=f"{name}第{chinese_number(j)}网格",
                    level=RegionLevel.GRID,
                    parent_code=code,
                    weight=unit_weight * rng.uniform(0.7, 1.3) / grids,
                )
            )
    return planned


def plan_city() -> list[PlannedRegion]:
    """Every planned village and grid of the city, parents before children."""
    towns = Region.objects.filter(level=RegionLevel.TOWN, code__startswith=CITY_CODE[:4])
    planned: list[PlannedRegion] = []
    for town_code in sorted(towns.values_list("code", flat=True)):
        planned.extend(plan_town(town_code))
    return planned


def _create_level(planned: list[PlannedRegion], level: str, existing: set[str]) -> int:
    """Bulk-insert the planned regions of one level that do not exist yet."""
    wanted = [p for p in planned if p.level == level and p.code not in existing]
    if not wanted:
        return 0
    parent_codes = {p.parent_code for p in wanted}
    parents = {r.code: r for r in Region.objects.filter(code__in=parent_codes)}
    Region.objects.bulk_create(
        [
            Region(
                code=p.code,
                name=p.name,
                level=p.level,
                parent=parents[p.parent_code],
                path=Region.build_path(parents[p.parent_code], p.code),
                code_set_version="demo",
            )
            for p in wanted
        ],
        batch_size=500,
    )
    existing.update(p.code for p in wanted)
    return len(wanted)


def ensure_demo_regions() -> tuple[list[PlannedRegion], int]:
    """Create the missing villages and grids; returns the plan and how many were created."""
    planned = plan_city()
    with transaction.atomic():
        existing = set(
            Region.objects.filter(code__startswith=CITY_CODE[:4]).values_list("code", flat=True)
        )
        created = _create_level(planned, RegionLevel.VILLAGE, existing)
        created += _create_level(planned, RegionLevel.GRID, existing)
    return planned, created
