"""The fixed cast of personas and the small world they work in, shared by every test.

Built through services, as a user would. Regions: 新嘉街道 (330402009) and 王店镇
(330411105) each get one village with one grid and one household of three.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from minzheng.kernel.accounts.models import Role, User, UserKind
from minzheng.kernel.accounts.services import staff_create
from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.models import Household, Person, Relation
from minzheng.kernel.people.services import household_add_member, household_create, person_create
from minzheng.kernel.regions.models import Region, RegionLevel
from minzheng.kernel.regions.services import region_create

PASSWORD = "Test-password-2026"  # noqa: S105 - test personas only

XINJIA = "330402009"  # 新嘉街道, 南湖区
WANGDIAN = "330411105"  # 王店镇, 秀洲区
NANHU = "330402"
CITY = "330400"


@dataclass
class Family:
    household: Household
    head: Person
    members: list[Person] = field(default_factory=list)


@dataclass
class World:
    regions: dict[str, Region]
    families: dict[str, Family]
    personas: dict[str, User]

    def __getattr__(self, name: str) -> User:
        try:
            return self.personas[name]
        except KeyError:
            raise AttributeError(name) from None


def make_family(town: Region, grid: Region, *, county_code: str, surname: str, seq: int) -> Family:
    """A household of three (head, spouse, a child at school) living in `grid` of `town`;
    `seq` numbers their ID numbers (seq, seq + 1, seq + 3): give each family its own."""
    head = person_create(
        actor=None,
        name=f"{surname}建国",
        id_number=make_id_number(county_code, dt.date(1968, 5, 4), seq),
        registered_region=grid,
        residence_region=grid,
        phone=f"1390000{seq:04d}",
    )
    spouse = person_create(
        actor=None,
        name=f"李秀{surname}",
        id_number=make_id_number(county_code, dt.date(1970, 8, 9), seq + 1),
        registered_region=grid,
        residence_region=grid,
    )
    child = person_create(
        actor=None,
        name=f"{surname}小明",
        id_number=make_id_number(county_code, dt.date(2012, 1, 20), seq + 3),
        registered_region=grid,
        residence_region=grid,
        is_student=True,
    )
    household = household_create(
        actor=None,
        region=grid,
        address=f"{town.name}幸福路{seq}号",
        head=head,
        start_date=dt.date(2000, 1, 1),
    )
    household_add_member(
        actor=None,
        household=household,
        person=spouse,
        relation=Relation.SPOUSE,
        start_date=dt.date(2000, 1, 1),
    )
    household_add_member(
        actor=None,
        household=household,
        person=child,
        relation=Relation.CHILD,
        start_date=dt.date(2012, 1, 20),
    )
    return Family(household=household, head=head, members=[head, spouse, child])


def build_world() -> World:
    regions = {code: Region.objects.get(code=code) for code in (CITY, NANHU, XINJIA, WANGDIAN)}
    xinjia_village = region_create(
        actor=None,
        parent=regions[XINJIA],
        code=XINJIA + "001",
        name="新嘉社区",
        level=RegionLevel.VILLAGE,
    )
    xinjia_grid = region_create(
        actor=None,
        parent=xinjia_village,
        code=XINJIA + "001001",
        name="新嘉社区第一网格",
        level=RegionLevel.GRID,
    )
    wangdian_village = region_create(
        actor=None,
        parent=regions[WANGDIAN],
        code=WANGDIAN + "001",
        name="王店村",
        level=RegionLevel.VILLAGE,
    )
    wangdian_grid = region_create(
        actor=None,
        parent=wangdian_village,
        code=WANGDIAN + "001001",
        name="王店村第一网格",
        level=RegionLevel.GRID,
    )
    regions.update(
        {
            "xinjia_village": xinjia_village,
            "xinjia_grid": xinjia_grid,
            "wangdian_village": wangdian_village,
            "wangdian_grid": wangdian_grid,
        }
    )
    families = {
        "xinjia": make_family(
            regions[XINJIA], xinjia_grid, county_code="330402", surname="张", seq=11
        ),
        "wangdian": make_family(
            regions[WANGDIAN], wangdian_grid, county_code="330411", surname="王", seq=21
        ),
    }

    def staff(username: str, full_name: str, role: str, region: Region) -> User:
        return staff_create(
            actor=None,
            username=username,
            full_name=full_name,
            password=PASSWORD,
            grants=[(role, region)],
        )

    personas = {
        "village_worker": staff("village_xinjia", "陈村干", Role.VILLAGE_WORKER, xinjia_village),
        "town_clerk": staff("clerk_xinjia", "周经办", Role.TOWN_CLERK, regions[XINJIA]),
        "other_town_clerk": staff("clerk_wangdian", "吴经办", Role.TOWN_CLERK, regions[WANGDIAN]),
        "county_approver": staff("approver_nanhu", "郑审批", Role.COUNTY_APPROVER, regions[NANHU]),
        "city_admin": staff("admin_city", "钱管理", Role.CITY_ADMIN, regions[CITY]),
        "auditor": staff("auditor_city", "孙审计", Role.AUDITOR, regions[CITY]),
    }
    resident = User(
        username="resident-13900000011",
        phone="13900000011",
        kind=UserKind.RESIDENT,
        full_name="张建国",
        person=families["xinjia"].head,
    )
    resident.set_unusable_password()
    resident.save()
    personas["resident"] = resident
    return World(regions=regions, families=families, personas=personas)
