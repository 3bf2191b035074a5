"""The resident's own page: their record and household, nobody else's."""

import datetime as dt

import pytest
from django.urls import reverse

from minzheng.common import crypto
from minzheng.common.masking import mask_name
from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.models import ID_NUMBER_PURPOSE, Membership
from minzheng.kernel.people.services import household_end_membership, person_create

pytestmark = pytest.mark.django_db

PHONE = "13900000011"


def test_anonymous_visitor_is_sent_to_the_portal_login(client):
    response = client.get(reverse("portal:home"))

    assert response.status_code == 302
    assert response["Location"] == "/portal/login/?next=/portal/"


def test_resident_sees_own_record_and_household_only(client, steps, world):
    steps.login(PHONE)

    response = client.get(reverse("portal:home"))

    assert response.status_code == 200
    page = response.content.decode()
    own = world.families["xinjia"]
    assert own.head.name in page  # the resident's own name
    for person in own.members[1:]:  # other members: masked name and ID number
        assert mask_name(person.name) in page
        assert person.name not in page
    for person in own.members:
        assert person.id_number_masked in page
    assert own.household.address in page
    assert "新嘉街道" in page
    other = world.families["wangdian"]
    for person in other.members:
        assert person.name not in page
        assert person.id_number_masked not in page
    assert other.household.address not in page


def test_no_full_id_number_is_shown(client, steps, world):
    steps.login(PHONE)

    page = client.get(reverse("portal:home")).content.decode()

    for family in world.families.values():
        for person in family.members:
            full = crypto.decrypt(person.id_number_ciphertext, purpose=ID_NUMBER_PURPOSE)
            assert full not in page
    assert "139****0011" in page
    assert PHONE not in page


def test_household_members_who_left_are_not_listed(client, steps, world):
    child = world.families["xinjia"].members[2]
    household_end_membership(
        actor=None,
        membership=Membership.objects.get(person=child, end_date__isnull=True),
        end_date=dt.date(2024, 9, 1),
        reason="moved out",
    )
    steps.login(PHONE)

    page = client.get(reverse("portal:home")).content.decode()

    assert mask_name(child.name) not in page
    assert mask_name(world.families["xinjia"].members[1].name) in page


def test_unlinked_account_gets_a_friendly_message(client, steps, world):
    steps.login("13812345678")

    response = client.get(reverse("portal:home"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Your account is not linked to the register yet" in page
    assert "138****5678" in page
    assert "张建国" not in page and "王建国" not in page


def test_person_in_no_household_is_told_so(client, steps, world):
    loner = person_create(
        actor=None,
        name="赵独居",
        id_number=make_id_number("330402", dt.date(1950, 3, 3), 31),
        registered_region=world.regions["xinjia_grid"],
    )
    from minzheng.kernel.accounts.models import User

    steps.login("13812345678")
    User.objects.filter(phone="13812345678").update(person=loner)

    page = client.get(reverse("portal:home")).content.decode()

    assert "赵独居" in page
    assert "You are not recorded as a member of a household." in page


def test_page_makes_a_constant_number_of_queries(
    client, steps, world, django_assert_max_num_queries
):
    steps.login(PHONE)

    # session, user, person, household + members, region chain, applications, drafts
    with django_assert_max_num_queries(9):
        client.get(reverse("portal:home"))


def test_unlinked_account_links_itself_by_phone(client, steps, world):
    steps.login("13900000021")  # 王建国's phone in the register; the account is new
    page = client.get(reverse("portal:home")).content.decode()
    assert "Find my record by my phone number" in page

    response = client.post(reverse("portal:link"))

    assert response.status_code == 302
    page = client.get(reverse("portal:home")).content.decode()
    assert "王建国" in page
    assert world.families["wangdian"].household.address in page


def test_shared_phone_asks_for_the_id_number(client, steps, world):
    from minzheng.kernel.people.models import Person

    family = world.families["wangdian"]
    Person.objects.filter(pk=family.members[1].pk).update(phone="13900000021")
    steps.login("13900000021")

    response = client.post(reverse("portal:link"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Several people use this phone number: enter your ID number." in page
    assert 'name="id_number"' in page
    number = crypto.decrypt(family.head.id_number_ciphertext, purpose=ID_NUMBER_PURPOSE)
    response = client.post(reverse("portal:link"), {"id_number": number})
    assert response.status_code == 302
    assert "王建国" in client.get(reverse("portal:home")).content.decode()
