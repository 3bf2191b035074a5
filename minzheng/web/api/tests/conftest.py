"""Fixtures for the API tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from minzheng.common import crypto
from minzheng.kernel.people.models import ID_NUMBER_PURPOSE, Person
from minzheng.web.api.tests.helpers import ApiClient


@pytest.fixture
def api_as(world) -> Callable[[str], ApiClient]:
    """api_as("town_clerk").get("persons") calls the API as that persona."""
    cache: dict[str, ApiClient] = {}

    def make(persona: str) -> ApiClient:
        if persona not in cache:
            cache[persona] = ApiClient(world.personas[persona])
        return cache[persona]

    return make


@pytest.fixture
def full_id_numbers(world) -> set[str]:
    """The 18-character ID numbers of every person in the world."""
    return {
        crypto.decrypt(bytes(p.id_number_ciphertext), purpose=ID_NUMBER_PURPOSE)
        for p in Person.objects.all()
    }
