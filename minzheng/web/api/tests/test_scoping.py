"""Walks every API route as every persona: nothing of 王店镇 reaches a 新嘉街道 account.

The walk is driven by the OpenAPI document, so a new route fails here until it is listed in
TARGETS with the 王店镇 objects to try.
"""

from __future__ import annotations

import re

import pytest

from minzheng.kernel.accounts.services import api_token_create
from minzheng.kernel.jobs.services import job_start
from minzheng.kernel.verification.services import verification_report_create
from minzheng.web.api.tests.helpers import PERSONAS, assert_problem

pytestmark = pytest.mark.django_db

# Staff whose regions do not include 王店镇, and those whose regions do.
OUTSIDE = ["town_clerk", "village_worker", "county_approver"]
INSIDE = ["other_town_clerk", "city_admin", "auditor"]
WANGDIAN_TEXT = ["王建国", "李秀王", "王小明", "王店镇幸福路", "王店镇", "王店村"]


def _wangdian(world) -> dict[str, list[str]]:
    """The 王店镇 objects to put in each kind of path parameter."""
    family = world.families["wangdian"]
    token, _ = api_token_create(actor=world.other_town_clerk, name="王店对接")
    return {
        "person_id": [str(p.pk) for p in family.members],
        "household_id": [str(family.household.pk)],
        "code": ["330411105", "330411105001", "330411105001001"],
        "token_id": [str(token.pk)],
        "report_id": [
            str(
                verification_report_create(
                    actor=None, household=family.household, purpose="dibao"
                ).pk
            )
        ],
        "batch_id": ["999999"],  # source batches are not a household's data
    }


# Per route: the method, and whether 王店镇 objects in its path are region-scoped (404 for
# OUTSIDE) or, for tokens, scoped to their owner (404 for everyone but the owner).
TARGETS = {
    ("get", "/api/v1/me"): "any",
    ("get", "/api/v1/tokens"): "list",
    ("post", "/api/v1/tokens"): "create",
    ("delete", "/api/v1/tokens/{token_id}"): "owner",
    ("get", "/api/v1/persons"): "list",
    ("get", "/api/v1/persons/{person_id}"): "region",
    ("post", "/api/v1/persons/{person_id}/reveal-id-number"): "region",
    ("get", "/api/v1/households"): "list",
    ("get", "/api/v1/households/{household_id}"): "region",
    ("get", "/api/v1/regions"): "list",
    ("get", "/api/v1/regions/{code}"): "region",
    ("get", "/api/v1/jobs"): "list",
    ("get", "/api/v1/jobs/{job_id}"): "job",
    ("get", "/api/v1/payment-batches"): "list",
    ("get", "/api/v1/payment-batches/{batch_id}"): "list",
    ("get", "/api/v1/payment-batches/{batch_id}/lines"): "list",
    ("get", "/api/v1/verification/sources"): "list",
    ("get", "/api/v1/verification/batches"): "list",
    ("post", "/api/v1/verification/batches"): "body",
    ("get", "/api/v1/verification/batches/{batch_id}"): "list",
    ("post", "/api/v1/verification/batches/{batch_id}/accept"): "list",
    ("post", "/api/v1/verification/batches/{batch_id}/discard"): "list",
    ("post", "/api/v1/verification/reports"): "body",
    ("get", "/api/v1/verification/reports/{report_id}"): "region",
    ("post", "/api/v1/assistance/assess"): "body",
    ("get", "/api/v1/assistance/households/{household_id}/assessment"): "region",
}


def test_every_route_is_walked(client):
    schema = client.get("/api/v1/openapi.json").json()
    routes = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert routes == set(TARGETS)


def _call(client, method, path, **params):
    if method == "get":
        return client.get(path, **params)
    if method == "post":
        return client.post(path, {"reason": "核对", "name": "walk"})
    return client.delete(path)


@pytest.mark.parametrize("persona", PERSONAS)
def test_walk_every_route(api_as, world, persona):
    targets = _wangdian(world)
    job = job_start(actor=None, kind="people.population_recount", enqueue=False)
    client = api_as(persona)
    for (method, template), kind in TARGETS.items():
        names = re.findall(r"{(\w+)}", template)
        if kind == "job":
            paths = [template.replace("{job_id}", str(job.pk))]
        elif names:
            paths = [template.replace(f"{{{names[0]}}}", value) for value in targets[names[0]]]
        else:
            paths = [template]
        for path in paths:
            queries = [{}]
            if kind == "list":
                queries += [{"q": "王"}, {"q": "wjg"}, {"parent": "330411105"}, {"level": "grid"}]
            for params in queries:
                response = _call(client, method, path, **params)
                _check(persona, kind, method, path, response)


def _check(persona, kind, method, path, response):
    where = f"{persona} {method.upper()} {path}"
    if persona == "resident":
        if kind == "any":
            assert response.status_code == 200, where
        else:
            assert_problem(response, 403, "staff_only")
        return
    if kind == "body":
        # The walk's generic body is not a request this route takes: refused before any read.
        assert response.status_code == 422, where
        return
    if kind == "owner":
        # Only the owner may revoke a token; for anyone else it does not exist.
        expected = 204 if persona == "other_town_clerk" else 404
        assert response.status_code in (expected, 409), where
        return
    if kind == "region" and persona in OUTSIDE:
        assert_problem(response, 404)
    elif kind == "region" and persona == "auditor" and path.endswith("reveal-id-number"):
        assert_problem(response, 403, "reveal_denied")  # auditors read, but never reveal
    elif kind == "region":
        assert response.status_code == 200, where
    else:
        assert response.status_code in (200, 201, 404), where
    if persona in OUTSIDE:
        text = response.content.decode()
        for leaked in WANGDIAN_TEXT:
            assert leaked not in text, f"{where} shows {leaked}"
