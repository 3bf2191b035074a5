"""Region scope on every page: nobody reads a household or person outside their regions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minzheng.common import crypto
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.people.models import ID_NUMBER_PURPOSE

# Which families each persona may see: the world has one in 新嘉街道 and one in 王店镇.
VISIBLE = {
    "village_worker": {"xinjia"},
    "town_clerk": {"xinjia"},
    "other_town_clerk": {"wangdian"},
    "county_approver": {"xinjia"},
    "city_admin": {"xinjia", "wangdian"},
    "auditor": {"xinjia", "wangdian"},
}


def detail_urls(family) -> list[str]:  # type: ignore[no-untyped-def]
    return [reverse("backoffice:household", args=[family.household.pk])] + [
        reverse("backoffice:person", args=[person.pk]) for person in family.members
    ]


@pytest.mark.parametrize("persona", sorted(VISIBLE))
@pytest.mark.parametrize("family_name", ["xinjia", "wangdian"])
def test_detail_pages_open_inside_scope_and_are_not_found_outside(
    login, world, persona, family_name
):
    client = login(world.personas[persona])
    expected = 200 if family_name in VISIBLE[persona] else 404
    for url in detail_urls(world.families[family_name]):
        response = client.get(url)
        assert response.status_code == expected, (persona, url)
        if expected == 404:
            assert world.families[family_name].head.name not in response.content.decode()


@pytest.mark.parametrize("persona", sorted(VISIBLE))
@pytest.mark.parametrize("family_name", ["xinjia", "wangdian"])
def test_search_lists_only_people_in_scope(login, world, persona, family_name):
    family = world.families[family_name]
    client = login(world.personas[persona])
    for kind in ("persons", "households"):
        response = client.get("/search/", {"q": family.head.name, "kind": kind})
        found = response.context["person_total"] + response.context["household_total"]
        assert bool(found) == (family_name in VISIBLE[persona]), (persona, kind)
        page = response.content.decode()
        url = reverse(
            "backoffice:person" if kind == "persons" else "backoffice:household",
            args=[family.head.pk if kind == "persons" else family.household.pk],
        )
        assert (url in page) == (family_name in VISIBLE[persona]), url


def test_xinjia_clerk_cannot_reveal_a_wangdian_number(login, world):
    head = world.families["wangdian"].head
    response = login(world.town_clerk).post(
        reverse("backoffice:person_reveal", args=[head.pk]), {"reason": "核对"}
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="people.person.reveal_id_number").exists()


@pytest.mark.parametrize(
    ("persona", "code", "expected"),
    [
        ("town_clerk", "330411105", 404),
        ("town_clerk", "330411105001", 404),
        ("town_clerk", "330402009001001", 200),
        ("other_town_clerk", "330402009", 404),
        ("other_town_clerk", "330411105001", 200),
        ("village_worker", "330402009", 404),
        ("village_worker", "330402009001001", 200),
        ("county_approver", "330411", 404),
        ("county_approver", "330402009", 200),
        ("city_admin", "330411105", 200),
        ("auditor", "330402009001", 200),
    ],
)
def test_region_pages_follow_the_grants(login, world, persona, code, expected):
    assert login(world.personas[persona]).get(f"/regions/{code}/").status_code == expected


def _full_numbers(world) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        crypto.decrypt(person.id_number_ciphertext, purpose=ID_NUMBER_PURPOSE)
        for family in world.families.values()
        for person in family.members
    ]


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_no_page_shows_a_full_id_number_without_a_reveal(login, world, persona):
    numbers = _full_numbers(world)
    client = login(world.personas[persona])
    urls = ["/", "/search/?q=zjg", "/search/?q=wjg&kind=households", "/regions/", "/jobs/"]
    urls += ["/audit/"] if persona == "auditor" else []
    for family in world.families.values():
        urls += detail_urls(family)
    for url in urls:
        page = client.get(url).content.decode()
        for number in numbers:
            assert number not in page, (url, number)
