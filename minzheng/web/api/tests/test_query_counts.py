"""Each API read makes a constant number of SQL queries, however many rows it returns."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.models import Household
from minzheng.kernel.people.services import household_add_member, household_create, person_create

pytestmark = pytest.mark.django_db


def _more_households(world, count: int) -> None:
    grid = world.regions["xinjia_grid"]
    for seq in range(count):
        head = person_create(
            actor=None,
            name=f"赵{seq}号",
            id_number=make_id_number("330402", dt.date(1980, 1, 1), 500 + 2 * seq),
            registered_region=grid,
        )
        household = household_create(actor=None, region=grid, address=f"嘉兴路{seq}号", head=head)
        member = person_create(
            actor=None,
            name=f"钱{seq}号",
            id_number=make_id_number("330402", dt.date(1982, 1, 1), 501 + 2 * seq),
            registered_region=grid,
        )
        household_add_member(actor=None, household=household, person=member, relation="spouse")


def _queries(client, path: str, **params) -> int:
    client.get(path, **params)  # warm up: the token's last-used time is written once
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **params)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.mark.parametrize(
    "path",
    ["persons", "households", "regions", "jobs", "tokens", "me", "household", "person"],
)
def test_constant_queries(api_as, world, path):
    client = api_as("city_admin")

    def count() -> int:
        if path == "household":
            return _queries(client, f"households/{Household.objects.order_by('-id')[0].pk}")
        if path == "person":
            head = world.families["xinjia"].head
            return _queries(client, f"persons/{head.pk}")
        return _queries(client, path, limit=100)

    before = count()
    _more_households(world, 5)
    assert count() == before
    assert before <= 6
