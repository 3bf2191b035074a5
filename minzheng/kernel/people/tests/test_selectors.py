import datetime as dt

import pytest

from minzheng.common.errors import NotFound, PermissionRefused
from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.selectors import (
    household_get,
    household_list,
    person_get,
    person_list,
    person_memberships,
)

pytestmark = pytest.mark.django_db


def _names(qs):
    return sorted(p.name for p in qs)


def test_town_clerk_sees_only_own_town(world):
    assert _names(person_list(actor=world.town_clerk)) == ["张小明", "张建国", "李秀张"]
    assert [h.pk for h in household_list(actor=world.town_clerk)] == [
        world.families["xinjia"].household.pk
    ]


def test_county_and_city_scopes_nest(world):
    assert len(person_list(actor=world.county_approver)) == 3  # 南湖区 only
    assert len(person_list(actor=world.city_admin)) == 6
    assert len(person_list(actor=world.auditor)) == 6


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("张", ["张小明", "张建国"]),
        ("zjg", ["张建国"]),
        ("ZJG", ["张建国"]),
        ("zhangjian", ["张建国"]),
        ("13900000011", ["张建国"]),
        (make_id_number("330402", dt.date(1968, 5, 4), 11), ["张建国"]),
        (make_id_number("330402", dt.date(1968, 5, 4), 11).lower(), ["张建国"]),
        ("王", []),  # 王店镇 family is out of scope
        ("330402196805040111", []),  # malformed ID: no match, no error
    ],
)
def test_search(world, query, expected):
    assert _names(person_list(actor=world.town_clerk, query=query)) == expected


def test_out_of_scope_detail_is_not_found(world):
    wangdian = world.families["wangdian"]
    with pytest.raises(NotFound):
        person_get(actor=world.town_clerk, person_id=wangdian.head.pk)
    with pytest.raises(NotFound):
        household_get(actor=world.town_clerk, household_id=wangdian.household.pk)
    assert person_get(actor=world.other_town_clerk, person_id=wangdian.head.pk).name == "王建国"


def test_residents_and_unassigned_staff_see_nothing(world):
    with pytest.raises(PermissionRefused):
        person_list(actor=world.resident)


def test_household_search_by_member_pinyin_and_address(world):
    assert len(household_list(actor=world.city_admin, query="wjg")) == 1
    assert len(household_list(actor=world.city_admin, query="幸福路")) == 2


def test_household_detail_prefetches_history(world, django_assert_num_queries):
    household = household_get(
        actor=world.town_clerk, household_id=world.families["xinjia"].household.pk
    )
    with django_assert_num_queries(0):
        names = [m.person.name for m in household.all_memberships]
    assert sorted(names) == ["张小明", "张建国", "李秀张"]
    assert len(person_memberships(person=world.families["xinjia"].head)) == 1
