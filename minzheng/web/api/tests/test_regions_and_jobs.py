"""GET /regions, /regions/{code}, /jobs and /jobs/{id}."""

from __future__ import annotations

import pytest

from minzheng.kernel.jobs.services import job_start
from minzheng.web.api.tests.helpers import assert_problem

pytestmark = pytest.mark.django_db


def _codes(response):
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


def test_regions_of_a_town_clerk(api_as):
    assert _codes(api_as("town_clerk").get("regions")) == [
        "330402009",
        "330402009001",
        "330402009001001",
    ]


def test_the_city_admin_filters_by_parent_and_level(api_as):
    client = api_as("city_admin")
    counties = client.get("regions", parent="330400").json()
    assert counties["count"] == 7
    assert {item["level"] for item in counties["items"]} == {"county"}
    assert {item["parent_code"] for item in counties["items"]} == {"330400"}
    towns = client.get("regions", level="town", limit=100).json()
    assert towns["count"] == 72
    assert _codes(client.get("regions", parent="330411105")) == ["330411105001"]
    assert _codes(client.get("regions", parent="330411105", level="town")) == []


def test_region_detail(api_as):
    body = api_as("city_admin").get("regions/330402009001").json()
    assert body["name"] == "新嘉社区"
    assert body["level"] == "village"
    assert body["parent_code"] == "330402009"
    assert [a["code"] for a in body["ancestors"]] == ["330400", "330402", "330402009"]
    city = api_as("city_admin").get("regions/330400").json()
    assert (city["parent_code"], city["ancestors"]) == (None, [])


def test_regions_outside_the_scope_are_404(api_as):
    client = api_as("town_clerk")
    assert_problem(client.get("regions/330411105"), 404, "region_not_found")
    assert_problem(client.get("regions", parent="330411105"), 404, "region_not_found")
    assert_problem(client.get("regions/999999"), 404, "region_not_found")


@pytest.mark.parametrize(
    "params", [{"level": "province"}, {"parent": "abc"}, {"parent": "12"}, {"limit": 1000}]
)
def test_invalid_region_filters_are_422(api_as, params):
    assert_problem(api_as("city_admin").get("regions", **params), 422, "validation_failed")


@pytest.mark.parametrize("code", ["abc", "1234567890123456", "３３０４００"])
def test_malformed_region_codes_are_422(api_as, code):
    assert_problem(api_as("city_admin").get(f"regions/{code}"), 422, "validation_failed")


def test_jobs(api_as, world):
    job = job_start(
        actor=world.city_admin,
        kind="people.population_recount",
        params={"county_codes": ["330402"]},
        enqueue=False,
    )
    listed = api_as("town_clerk").get("jobs").json()
    assert listed["count"] == 1
    body = api_as("town_clerk").get(f"jobs/{job.pk}").json()
    assert body["kind"] == "people.population_recount"
    assert body["status"] == "queued"
    assert (body["done"], body["total"], body["percent"]) == (0, job.total, 0)
    assert body["created_by"] == "admin_city"
    assert body["duration_seconds"] is None
    assert [c["key"] for c in body["chunks"]] == sorted(c.key for c in job.chunks.all())
    assert {c["status"] for c in body["chunks"]} == {"queued"}
    assert_problem(api_as("town_clerk").get("jobs/999999"), 404, "job_not_found")
