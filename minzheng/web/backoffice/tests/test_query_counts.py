"""Every page makes a constant number of SQL queries, however many rows it shows."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from minzheng.kernel.jobs.services import job_start
from minzheng.kernel.people.models import Relation
from minzheng.kernel.people.services import person_move_household
from minzheng.kernel.regions.models import RegionLevel
from minzheng.kernel.regions.services import region_create
from minzheng.web.backoffice.tests.conftest import HTMX, add_households

MAX_QUERIES = 12


def count_queries(client, url: str, **extra) -> int:  # type: ignore[no-untyped-def]
    client.get(url, **extra)  # warm up the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def test_search_results_cost_the_same_for_3_and_30_households(login, world):
    client = login(world.town_clerk)
    grid = world.regions["xinjia_grid"]
    add_households(grid, 3, members=3)
    urls = ["/search/?q=测试&kind=households", "/search/?q=测试&kind=persons", "/search/?q=cs"]
    few = [count_queries(client, url) for url in urls]
    few_live = count_queries(client, urls[0], **HTMX)
    add_households(grid, 27, members=3, start=100)
    many = [count_queries(client, url) for url in urls]
    assert many == few
    assert count_queries(client, urls[0], **HTMX) == few_live
    assert max(many) <= MAX_QUERIES


def test_household_page_costs_the_same_for_2_and_12_members(login, world):
    client = login(world.town_clerk)
    grid = world.regions["xinjia_grid"]
    small, large = add_households(grid, 1, members=2) + add_households(
        grid, 1, members=12, start=200
    )
    # Former members too: move two persons out of the large household.
    for person_membership in list(large.memberships.filter(relation=Relation.CHILD))[:2]:
        person_move_household(
            actor=None,
            person=person_membership.person,
            household=small,
            relation=Relation.OTHER,
            move_date=dt.date.today(),
            reason="测试迁出",
        )
    assert count_queries(client, f"/households/{small.pk}/") == count_queries(
        client, f"/households/{large.pk}/"
    )
    assert count_queries(client, f"/households/{large.pk}/") <= MAX_QUERIES


def test_person_page_costs_the_same_for_1_and_4_memberships(login, world):
    client = login(world.town_clerk)
    grid = world.regions["xinjia_grid"]
    settled = world.families["xinjia"].head
    mover = world.families["xinjia"].members[2]
    before = count_queries(client, f"/persons/{settled.pk}/")
    for index, household in enumerate(add_households(grid, 3, members=1)):
        person_move_household(
            actor=None,
            person=mover,
            household=household,
            relation=Relation.OTHER,
            move_date=dt.date(2020 + index, 1, 1),
            reason="搬家",
        )
    assert count_queries(client, f"/persons/{mover.pk}/") == before
    assert before <= MAX_QUERIES


def test_home_and_region_pages_cost_the_same_for_1_and_6_villages(login, world):
    client = login(world.town_clerk)
    town = world.regions["330402009"]
    urls = ["/", "/regions/", f"/regions/{town.code}/"]
    few = [count_queries(client, url) for url in urls]
    for number in range(2, 7):
        region_create(
            actor=None,
            parent=town,
            code=f"{town.code}{number:03d}",
            name=f"测试村{number}",
            level=RegionLevel.VILLAGE,
        )
    add_households(world.regions["xinjia_grid"], 5)
    assert [count_queries(client, url) for url in urls] == few
    assert max(few) <= MAX_QUERIES


def test_home_of_city_administrator_and_auditor_is_constant(login, world):
    for persona in ("city_admin", "auditor"):
        client = login(world.personas[persona])
        before = count_queries(client, "/")
        job_start(actor=None, kind="people.population_recount", enqueue=False)
        add_households(world.regions["wangdian_grid"], 4, start=300 if persona == "auditor" else 0)
        assert count_queries(client, "/") == before
        assert before <= MAX_QUERIES


def test_jobs_pages_cost_the_same_for_1_and_8_jobs(login, world):
    client = login(world.city_admin)
    job = job_start(actor=None, kind="people.population_recount", enqueue=False)
    urls = ["/jobs/", f"/jobs/{job.pk}/", f"/jobs/{job.pk}/progress/"]
    few = [count_queries(client, url) for url in urls]
    for _ in range(7):
        job_start(actor=world.city_admin, kind="people.population_recount", enqueue=False)
    assert [count_queries(client, url) for url in urls] == few
    assert max(few) <= MAX_QUERIES


def test_audit_trail_costs_the_same_for_few_and_many_events(login, world):
    client = login(world.auditor)
    urls = ["/audit/", "/audit/?action=people.person.create", "/audit/?page=2"]
    few = [count_queries(client, url) for url in urls]
    add_households(world.regions["xinjia_grid"], 10)
    assert [count_queries(client, url) for url in urls] == few
    assert max(few) <= MAX_QUERIES
