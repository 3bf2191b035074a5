"""Walk every page and API route as every persona: nothing of a 王店镇 household leaks.

The walk is generated from the URL resolver and the OpenAPI document, so a page or route
added later is walked too. Path parameters are filled with the 王店镇 family's objects; the
王店镇 clerk, who may see them, is the control that shows the walk can find data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from minzheng.common.masking import mask_name
from minzheng.domains.assistance.models import Programme
from minzheng.domains.assistance.services import application_submit
from minzheng.domains.assistance.tests.test_casework_support import (
    cast,
    neighbour_village,
    submit_counter,
    submit_online,
)
from minzheng.kernel.accounts.services import api_token_create
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.jobs.services import job_start
from minzheng.kernel.parameters.models import ParameterChange
from minzheng.kernel.parameters.services import parameter_change_propose
from minzheng.kernel.payments.services import payee_account_create
from minzheng.kernel.people.models import Household, Membership, Person
from minzheng.kernel.verification.services import verification_report_create
from minzheng.web.api.api import api

pytestmark = pytest.mark.django_db

# Personas that must not see the 王店镇 family, and those that may (the controls).
OUTSIDERS = ["resident", "village_worker", "town_clerk", "county_approver"]
INSIDERS = ["other_town_clerk", "city_admin"]
REFUSED = {302, 401, 403, 404, 405}
# Jobs are city-wide batch records, not a household's data: their pages are walked for
# leaks, but any staff member may open them.
NOT_REGION_SCOPED = ("/jobs/", "/api/v1/jobs/", "/assistance/parameters/")
SEARCHES = ["王", "wjg", "wang", "王店", "幸福路21号"]
PARAMETER = "assistance.dibao.standard.c330411"


@dataclass
class Target:
    person_id: int
    household_id: int
    region_code: str
    job_id: int
    token_id: int
    report_id: int
    change_id: int
    case_number: str
    application_id: int
    account_id: int
    markers: list[str]


@pytest.fixture
def target(world) -> Target:
    family = world.families["wangdian"]
    token, _ = api_token_create(actor=world.other_town_clerk, name="王店镇对接")
    job = job_start(actor=None, kind="people.population_recount", enqueue=False)
    report = verification_report_create(actor=None, household=family.household, purpose="dibao")
    change = parameter_change_propose(
        actor=None, path=PARAMETER, start=dt.date(2026, 7, 1), value=1200, source_document="walk"
    )
    # A case of the family, filed at the counter of its own town, and the head's bank account.
    application = application_submit(
        actor=world.other_town_clerk,
        programme=Programme.objects.get(code="temporary"),
        household=family.household,
        channel="counter",
        applicant=family.head,
        description="walk",
    )
    account = payee_account_create(
        actor=None,
        person=family.head,
        bank_name="中国农业银行海宁支行",
        bank_code="103335000015",
        account_number="6228480012345678901",
    )
    markers = [p.name for p in family.members] + [family.household.address]
    markers += [p.id_number_masked for p in family.members]
    return Target(
        person_id=family.head.pk,
        household_id=family.household.pk,
        region_code=world.regions["wangdian_village"].code,
        job_id=job.pk,
        token_id=token.pk,
        report_id=report.pk,
        change_id=change.pk,
        case_number=application.case_number,
        application_id=application.pk,
        account_id=account.pk,
        markers=markers,
    )


def _fill(route: str, target: Target) -> str:
    values = {
        "person_id": target.person_id,
        "household_id": target.household_id,
        "code": target.region_code,
        "job_id": target.job_id,
        "token_id": target.token_id,
        "report_id": target.report_id,
        "batch_id": target.report_id,  # source batches are not a household's data
        "change_id": target.change_id,  # policy parameters are city-wide, not a household's
        "parameter": PARAMETER,
        "case_number": target.case_number,
        "application_id": target.application_id,  # the portal's own application page
        "account_id": target.account_id,
        "step": "accept",
        # Objects the family has none of in this walk: their pages must answer "not found".
        "review_id": 0,
        "task_id": 0,
        "visit_id": 0,
        "token": "none",
    }
    return re.sub(r"[<{](?:\w+:)?(\w+)[>}]", lambda m: str(values[m.group(1)]), route)


def _page_routes(patterns=None, prefix: str = "") -> Iterator[str]:
    """Every route of the back office and the portal, as a template like persons/<int:..>/."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            namespaces = {"backoffice", "portal", "verification", "assistance", "payments"}
            if pattern.namespace in namespaces or (
                pattern.namespace is None and str(pattern.pattern) == ""
            ):
                yield from _page_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            skipped = ("admin", "api", "i18n", "healthz", "static", "^")
            if not route.startswith(skipped) and "logout" not in route:
                yield "/" + route


def _leaks(body: str, target: Target) -> list[str]:
    return [marker for marker in target.markers if marker in body]


def _client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.personas[persona])
    return client


def test_the_walk_covers_the_pages_that_hold_register_data():
    routes = set(_page_routes())
    for route in [
        "/persons/<int:person_id>/",
        "/households/<int:household_id>/",
        "/search/",
        "/regions/<str:code>/",
        "/portal/",
    ]:
        assert route in routes


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_pages_show_nothing_of_another_towns_household(world, target, persona):
    client = _client_for(world, persona)
    reveals_before = AuditEvent.objects.filter(action="people.person.reveal_id_number").count()
    snapshot = _register_snapshot()
    for route in _page_routes():
        url = _fill(route, target)
        has_target = url != route and not url.startswith(NOT_REGION_SCOPED)
        for method in ("get", "post"):
            client.force_login(world.personas[persona])  # a page may have logged us out
            data = {"reason": "核对", "q": "王"} if method == "post" else {}
            response = getattr(client, method)(url, data)
            body = response.content.decode(errors="replace")
            assert not _leaks(body, target), (
                f"{persona} {method.upper()} {url}: {_leaks(body, target)}"
            )
            if has_target and method == "get":
                assert response.status_code in REFUSED, (
                    f"{persona} GET {url}: {response.status_code}"
                )
        client.force_login(world.personas[persona])
        for query in SEARCHES:
            body = client.get(url, {"q": query}).content.decode(errors="replace")
            assert not _leaks(body, target), f"{persona} GET {url}?q={query}"
    assert (
        AuditEvent.objects.filter(action="people.person.reveal_id_number").count() == reveals_before
    )
    assert _register_snapshot() == snapshot


@pytest.mark.parametrize("persona", INSIDERS)
def test_control_insiders_do_see_the_household_pages(world, target, persona):
    client = _client_for(world, persona)
    for route in ["/persons/<int:person_id>/", "/households/<int:household_id>/"]:
        response = client.get(_fill(route, target))
        assert response.status_code == 200
        assert _leaks(response.content.decode(), target)


def test_the_village_worker_sees_the_case_of_their_village_and_no_other(world, target):
    """The control for the village worker: the walk refuses them 王店镇's case, yet they do
    see the case of a household of their own village (新嘉社区), and not the case of a
    household of the next village of the same town."""
    c = cast(world)
    ours = submit_online(c)
    theirs = submit_counter(c, neighbour_village(c).family)
    client = _client_for(world, "village_worker")

    listed = client.get("/assistance/cases/all/").content.decode()
    assert ours.case_number in listed
    assert theirs.case_number not in listed and target.case_number not in listed
    page = client.get(f"/assistance/cases/{ours.case_number}/")
    assert page.status_code == 200
    assert mask_name(ours.applicant.name) in page.content.decode()
    assert ours.applicant.name not in page.content.decode()
    for case_number in (theirs.case_number, target.case_number):
        assert client.get(f"/assistance/cases/{case_number}/").status_code == 404


def _api_operations() -> Iterator[tuple[str, str]]:
    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method in operations:
            yield method, path


def _bearer(world, persona: str) -> dict[str, str]:
    _, secret = api_token_create(actor=world.personas[persona], name=f"walk {persona}")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_walk_covers_the_api_routes_that_hold_register_data():
    paths = {path for _, path in _api_operations()}
    for path in [
        "/api/v1/persons/{person_id}",
        "/api/v1/households/{household_id}",
        "/api/v1/persons",
        "/api/v1/households",
    ]:
        assert path in paths


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_api_shows_nothing_of_another_towns_household(world, target, persona):
    client = Client()
    if persona == "resident":
        client.force_login(world.resident)
        headers: dict[str, str] = {}
    else:
        headers = _bearer(world, persona)
    reveals_before = AuditEvent.objects.filter(action="people.person.reveal_id_number").count()
    snapshot = _register_snapshot()
    for method, path in _api_operations():
        url = _fill(path, target)
        has_target = url != path and not url.startswith(NOT_REGION_SCOPED)
        kwargs = {"content_type": "application/json", **headers}
        if method in {"post", "put", "patch"}:
            response = getattr(client, method)(url, {"reason": "核对", "name": "x"}, **kwargs)
        else:
            response = getattr(client, method)(url, **kwargs)
        body = response.content.decode(errors="replace")
        assert not _leaks(body, target), f"{persona} {method.upper()} {url}"
        if has_target and "token" not in path:
            assert response.status_code in REFUSED, (
                f"{persona} {method} {url}: {response.status_code}"
            )
        if method == "get" and not has_target:
            for query in SEARCHES:
                body = client.get(url, {"q": query}, **headers).content.decode(errors="replace")
                assert not _leaks(body, target), f"{persona} GET {url}?q={query}"
    assert (
        AuditEvent.objects.filter(action="people.person.reveal_id_number").count() == reveals_before
    )
    assert _register_snapshot() == snapshot


@pytest.mark.parametrize("persona", INSIDERS)
def test_control_insiders_do_see_the_household_through_the_api(world, target, persona):
    headers = _bearer(world, persona)
    for path in ["/api/v1/persons/{person_id}", "/api/v1/households/{household_id}"]:
        response = Client().get(_fill(path, target), **headers)
        assert response.status_code == 200
        assert _leaks(response.content.decode(), target)


def _register_snapshot() -> tuple:
    return (
        list(Person.objects.order_by("pk").values_list("pk", "name", "phone", "updated_at")),
        list(Household.objects.order_by("pk").values_list("pk", "address", "updated_at")),
        list(Membership.objects.order_by("pk").values_list("pk", "end_date")),
        list(ParameterChange.objects.order_by("pk").values_list("pk", "status", "value")),
    )
