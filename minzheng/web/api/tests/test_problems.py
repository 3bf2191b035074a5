"""Every error is RFC 9457 problem details; the OpenAPI document and the docs page."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404

from minzheng.kernel.people import api as people_api
from minzheng.web.api.tests.helpers import assert_problem

pytestmark = pytest.mark.django_db


def test_401(client, world):
    body = assert_problem(client.get("/api/v1/households"), 401, "not_authenticated")
    assert body == {
        "type": "https://minzheng.jiaxing.gov.cn/problems/not_authenticated",
        "title": body["title"],
        "status": 401,
        "detail": body["detail"],
        "code": "not_authenticated",
        "instance": "/api/v1/households",
    }


def test_403(api_as):
    assert_problem(api_as("resident").get("persons"), 403, "staff_only")


def test_404_of_a_scoped_object(api_as, world):
    household = world.families["wangdian"].household
    body = assert_problem(api_as("town_clerk").get(f"households/{household.pk}"), 404)
    assert body["code"] == "household_not_found"
    assert household.address not in str(body)


@pytest.mark.parametrize(
    "path", ["/api/v1/nowhere", "/api/v1/persons/", "/api/v1/persons/1/x", "/api/v1/"]
)
def test_404_of_an_unknown_address(client, path):
    assert_problem(client.get(path), 404, "not_found")
    assert_problem(client.post(path), 404, "not_found")


def test_405_keeps_the_allow_header(api_as):
    response = api_as("city_admin").client.put("/api/v1/persons")
    assert_problem(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_422_lists_every_field(api_as):
    body = assert_problem(
        api_as("city_admin").get("persons", limit=0, offset=-5), 422, "validation_failed"
    )
    assert sorted(e["field"] for e in body["errors"]) == ["limit", "offset"]
    assert all(e["message"] for e in body["errors"])


def test_422_messages_are_readable(api_as):
    client = api_as("city_admin")
    english = {**client.headers, "Accept-Language": "en"}
    response = client.client.get("/api/v1/persons", {"limit": "5.0"}, headers=english)
    body = assert_problem(response, 422)
    assert body["errors"][0]["message"] == "Enter a whole number in digits, such as 20."
    response = client.client.post(
        "/api/v1/tokens", {"name": "  "}, content_type="application/json", headers=english
    )
    assert "visible" in assert_problem(response, 422)["errors"][0]["message"]


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (Http404("no such thing"), 404, "not_found"),
        (ObjectDoesNotExist("gone"), 404, "not_found"),
        (PermissionDenied("nope"), 403, "permission_denied"),
    ],
)
def test_django_exceptions_become_problems(api_as, monkeypatch, exc, status, code):
    def boom(**kwargs):
        raise exc

    monkeypatch.setattr(people_api, "person_list", boom)
    assert_problem(api_as("city_admin").get("persons"), status, code)


def test_an_unexpected_error_is_a_500_problem_without_a_traceback(api_as, monkeypatch, caplog):
    def boom(**kwargs):
        raise RuntimeError("internal detail: connection to 10.0.0.5 refused")

    monkeypatch.setattr(people_api, "household_list", boom)
    client = api_as("city_admin")
    with caplog.at_level(logging.ERROR, logger="minzheng.api"):
        response = client.get("households")
    body = assert_problem(response, 500, "internal_error")
    text = response.content.decode()
    assert "10.0.0.5" not in text
    assert "Traceback" not in text
    assert "RuntimeError" not in text
    assert body["instance"] == "/api/v1/households"
    assert any("10.0.0.5" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_openapi_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "嘉兴数字民政平台 API"
    assert schema["info"]["version"] == "1"
    assert set(schema["paths"]) == {
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/persons",
        "/api/v1/persons/{person_id}",
        "/api/v1/persons/{person_id}/reveal-id-number",
        "/api/v1/households",
        "/api/v1/households/{household_id}",
        "/api/v1/regions",
        "/api/v1/regions/{code}",
        "/api/v1/jobs",
        "/api/v1/jobs/{job_id}",
        "/api/v1/payment-batches",
        "/api/v1/payment-batches/{batch_id}",
        "/api/v1/payment-batches/{batch_id}/lines",
        "/api/v1/verification/sources",
        "/api/v1/verification/batches",
        "/api/v1/verification/batches/{batch_id}",
        "/api/v1/verification/batches/{batch_id}/accept",
        "/api/v1/verification/batches/{batch_id}/discard",
        "/api/v1/verification/reports",
        "/api/v1/verification/reports/{report_id}",
        "/api/v1/assistance/assess",
        "/api/v1/assistance/households/{household_id}/assessment",
    }
    assert set(schema["components"]["securitySchemes"]) == {"BearerTokenAuth", "SessionAuth"}
    assert "Problem" in schema["components"]["schemas"]
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            for status in ("401", "403", "404", "422"):
                content = operation["responses"][status]["content"]
                assert list(content) == ["application/problem+json"]


def test_interactive_docs_are_served_without_a_cdn(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn." not in html
    assert "/api/v1/openapi.json" in html
    assert 'data-api-csrf="true"' in html  # "Try it out" sends the CSRF token with the session


def test_a_missing_body_is_422_on_the_body(api_as):
    client = api_as("city_admin")
    response = client.client.post(
        "/api/v1/tokens", "", content_type="application/json", headers=client.headers
    )
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"] == [{"field": "body", "message": "Field required", "location": "body"}]
