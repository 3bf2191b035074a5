"""The register forms make a constant number of SQL queries, however big the register is."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.models import Relation
from minzheng.kernel.people.services import person_create, person_move_household
from minzheng.kernel.regions.models import RegionLevel
from minzheng.kernel.regions.services import region_create
from minzheng.web.backoffice.tests.conftest import HTMX, add_households
from minzheng.web.backoffice.tests.test_query_counts import MAX_QUERIES, count_queries


def _pages(world) -> list[str]:  # type: ignore[no-untyped-def]
    household = world.families["xinjia"].household
    child = world.families["xinjia"].members[2]
    return [
        reverse("backoffice:person_new"),
        reverse("backoffice:person_edit", args=[child.pk]),
        reverse("backoffice:person_move", args=[child.pk]),
        reverse("backoffice:household_new"),
        reverse("backoffice:member_add", args=[household.pk]),
        reverse("backoffice:member_end", args=[household.pk, child.pk]),
    ]


def _grow(world) -> None:  # type: ignore[no-untyped-def]
    """More villages, grids, households, members and history in the clerk's town."""
    town = world.regions["330402009"]
    for number in range(2, 6):
        village = region_create(
            actor=None,
            parent=town,
            code=f"{town.code}{number:03d}",
            name=f"测试村{number}",
            level=RegionLevel.VILLAGE,
        )
        region_create(
            actor=None,
            parent=village,
            code=f"{village.code}001",
            name=f"测试村{number}第一网格",
            level=RegionLevel.GRID,
        )
    households = add_households(world.regions["xinjia_grid"], 12, members=4)
    child = world.families["xinjia"].members[2]
    for index, household in enumerate(households[:3]):
        person_move_household(
            actor=None,
            person=child,
            household=household,
            relation=Relation.OTHER,
            move_date=dt.date(2020 + index, 1, 1),
            reason="测试",
        )
    person_move_household(
        actor=None,
        person=child,
        household=world.families["xinjia"].household,
        relation=Relation.CHILD,
        move_date=dt.date(2024, 1, 1),
        reason="测试",
    )


def test_register_pages_cost_the_same_in_a_small_and_a_larger_town(login, world):
    client = login(world.town_clerk)
    urls = _pages(world)
    few = [count_queries(client, url) for url in urls]
    _grow(world)
    assert [count_queries(client, url) for url in urls] == few
    assert max(few) <= MAX_QUERIES


def test_a_refused_form_costs_no_more_with_a_larger_register(login, world):
    client = login(world.town_clerk)
    grid = world.regions["xinjia_grid"]
    data = {
        "name": "赵新民",
        "id_number": make_id_number("330402", dt.date(1985, 3, 15), 101)[:-1] + "0",
        "registered_region": [grid.parent.parent.code, grid.parent.code, grid.code],
        "work_ability": "full",
    }

    def refused() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.post(reverse("backoffice:person_new"), data)
        assert response.status_code == 422
        return len(captured.captured_queries)

    few = refused()
    _grow(world)
    assert refused() == few
    assert few <= MAX_QUERIES


def test_pickers_cost_the_same_for_2_and_8_results(login, world):
    client = login(world.town_clerk)
    add_households(world.regions["xinjia_grid"], 2, members=1)
    urls = [
        reverse("backoffice:person_pick") + "?field=person&q=cs",
        reverse("backoffice:household_pick") + "?q=测试路",
        reverse("backoffice:region_choices")
        + f"?field=region&depth=1&region={world.regions['330402009'].code}",
    ]
    few = [count_queries(client, url, **HTMX) for url in urls]
    add_households(world.regions["xinjia_grid"], 10, members=1, start=700)
    for number in range(2, 8):
        person_create(
            actor=None,
            name=f"测试{number}号",
            id_number=make_id_number("330402", dt.date(1970, 1, number), 800 + number),
            registered_region=world.regions["xinjia_grid"],
        )
    assert [count_queries(client, url, **HTMX) for url in urls] == few
    assert max(few) <= MAX_QUERIES
