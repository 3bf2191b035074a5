"""Demo accounts: one per role with the personas' regions, a resident, and their listing."""

import io

import pytest
from django.core.management import call_command

from minzheng.kernel.accounts.models import Role, RoleGrant, User, UserKind
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.people.demo.accounts import (
    DEMO_PASSWORD,
    DEMO_STAFF,
    RESIDENT_PHONE,
    ensure_demo_resident,
    ensure_demo_staff,
)
from minzheng.kernel.people.selectors import current_household
from minzheng.kernel.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command(
        "seed_demo",
        "--scale",
        "county",
        "--households",
        "200",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


def test_demo_staff_cover_every_role():
    assert {spec.role for spec in DEMO_STAFF} == set(Role.values)


def test_each_demo_account_holds_its_persona_grant_and_the_shared_password(seeded):
    for spec in DEMO_STAFF:
        user = User.objects.get(username=spec.username)
        grants = list(RoleGrant.objects.filter(user=user).values_list("role", "region__code"))
        assert user.kind == UserKind.STAFF
        assert user.full_name == spec.full_name
        assert grants == [(spec.role, spec.region_code)]
        assert user.check_password(DEMO_PASSWORD)
        assert user.is_staff == spec.admin_site
    xinjia = Region.objects.get(code="330402009")
    wangdian = Region.objects.get(code="330411105")
    clerk = User.objects.get(username="clerk_xinjia")
    other_clerk = User.objects.get(username="clerk_wangdian")
    village_worker = User.objects.get(username="village_xinjia")

    assert has_perm(clerk, Perm.PEOPLE_CHANGE, xinjia)
    assert not has_perm(clerk, Perm.PEOPLE_VIEW, wangdian)
    assert has_perm(other_clerk, Perm.PEOPLE_CHANGE, wangdian)
    assert village_worker.grants.get().region.parent == xinjia
    assert has_perm(User.objects.get(username="admin_city"), Perm.PEOPLE_VIEW, wangdian)


def test_the_demo_resident_heads_a_xinjia_household_and_accounts_are_made_once(seeded):
    resident = User.objects.get(kind=UserKind.RESIDENT, phone=RESIDENT_PHONE)
    household = current_household(person=resident.person)

    assert resident.person.phone == RESIDENT_PHONE
    assert resident.full_name == resident.person.name
    assert not resident.has_usable_password()
    assert household.region.code.startswith("330402009")
    assert household.memberships.get(person=resident.person, end_date__isnull=True).relation == (
        "head"
    )
    users = User.objects.count()

    assert ensure_demo_staff() == []
    assert ensure_demo_resident() == User.objects.get(kind=UserKind.RESIDENT)
    assert User.objects.count() == users


def test_demo_accounts_command_lists_accounts_password_and_resident_login(seeded):
    out = io.StringIO()

    call_command("demo_accounts", stdout=out)

    text = out.getvalue()
    for spec in DEMO_STAFF:
        assert spec.username in text
        assert spec.region_code in text
    assert DEMO_PASSWORD in text
    assert RESIDENT_PHONE in text
    assert "/portal/login/" in text


def test_demo_accounts_command_without_demo_data_says_so():
    out = io.StringIO()

    call_command("demo_accounts", stdout=out)

    assert "seed_demo" in out.getvalue()
