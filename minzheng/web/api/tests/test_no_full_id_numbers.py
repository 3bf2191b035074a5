"""No full ID number (or phone number) in any API answer except the audited reveal."""

from __future__ import annotations

import pytest

from minzheng.kernel.people.models import Household, Person
from minzheng.web.api.tests.helpers import STAFF

pytestmark = pytest.mark.django_db


def _every_read(id_numbers: set[str]) -> list[tuple[str, dict]]:
    reads: list[tuple[str, dict]] = [("me", {}), ("tokens", {}), ("jobs", {})]
    for path in ("persons", "households", "regions"):
        reads.append((path, {"limit": 100}))
    for person in Person.objects.all():
        reads.append((f"persons/{person.pk}", {}))
        reads.append(("persons", {"q": person.name}))
    for number in id_numbers:  # searching by the number finds the person, masked
        reads.append(("persons", {"q": number}))
        reads.append(("households", {"q": number}))
    for household in Household.objects.all():
        reads.append((f"households/{household.pk}", {}))
    return reads


@pytest.mark.parametrize("persona", STAFF)
def test_no_read_shows_a_full_id_number_or_phone(api_as, world, full_id_numbers, persona):
    phones = set(Person.objects.exclude(phone="").values_list("phone", flat=True))
    assert len(full_id_numbers) == 6 and phones
    client = api_as(persona)
    for path, params in _every_read(full_id_numbers):
        response = client.get(path, **params)
        assert response.status_code in (200, 404), (path, response.content)
        text = response.content.decode()
        for secret in full_id_numbers | phones:
            assert secret not in text, f"{persona} GET {path} shows {secret}"
            assert secret.lower() not in text.lower()


def test_only_the_reveal_shows_it(api_as, world, full_id_numbers):
    client = api_as("city_admin")
    revealed = set()
    for person in Person.objects.all():
        body = client.post(f"persons/{person.pk}/reveal-id-number", {"reason": "核对"}).json()
        revealed.add(body["id_number"])
    assert revealed == full_id_numbers
