"""Back-office test helpers: logging in a persona, and growing the world for query counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from minzheng.kernel.accounts.models import User
from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.models import Household, Relation
from minzheng.kernel.people.services import household_add_member, household_create, person_create
from minzheng.kernel.regions.models import Region

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client() -> Client:
    """A browser that asks for Simplified Chinese, as the city's staff do."""
    return Client(HTTP_ACCEPT_LANGUAGE="zh-hans")


@pytest.fixture
def login(client: Client) -> Callable[[User], Client]:
    """Log a persona in (force_login: the password form is tested on its own)."""

    def _login(user: User) -> Client:
        client.force_login(user)
        return client

    return _login


def add_households(
    region: Region, count: int, *, members: int = 2, start: int = 500
) -> list[Household]:
    """`count` households of `members` persons named 测试… living at 测试路 in `region`."""
    county = region.path.strip("/").split("/")[1]
    households = []
    for index in range(count):
        persons = [
            person_create(
                actor=None,
                name=f"测试{index:02d}{member}",
                id_number=make_id_number(
                    county,
                    dt.date(1960 + member, 1 + index % 12, 1 + index % 28),
                    start + index * 10 + member,
                ),
                registered_region=region,
                phone=f"1380000{start + index * 10 + member:04d}",
            )
            for member in range(members)
        ]
        household = household_create(
            actor=None, region=region, address=f"测试路{index}号", head=persons[0]
        )
        for person in persons[1:]:
            household_add_member(
                actor=None, household=household, person=person, relation=Relation.CHILD
            )
        households.append(household)
    return households
