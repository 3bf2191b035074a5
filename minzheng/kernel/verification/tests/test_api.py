"""API: upload, batch detail with errors, accept, reports; problems and scope."""

from __future__ import annotations

import pytest
from django.test import Client

from minzheng.kernel.accounts.services import api_token_create
from minzheng.kernel.verification.models import SourceRecord
from minzheng.kernel.verification.tests.conftest import WAGE_HEADER, csv_bytes, upload

pytestmark = pytest.mark.django_db


def _headers(user) -> dict[str, str]:
    _, secret = api_token_create(actor=user, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_upload_refuse_accept_through_the_api(world, id_of):
    head = id_of(world.families["xinjia"].head)
    data = csv_bytes(
        [
            WAGE_HEADER,
            [head, "张建国", "2025-01", "wage", "100", ""],
            [head, "张建国", "2025-02", "wage", "abc", ""],
        ]
    )
    client, headers = Client(), _headers(world.county_approver)
    response = client.post(
        "/api/v1/verification/batches",
        {"source": "wage_tax", "file": upload(data)},
        **headers,
    )
    assert response.status_code == 201, response.content
    batch = response.json()
    assert (batch["status"], batch["invalid_count"], batch["can_accept"]) == ("rejected", 1, True)
    assert SourceRecord.objects.count() == 0
    detail = client.get(f"/api/v1/verification/batches/{batch['id']}", **headers).json()
    assert [(e["line"], e["column"], e["code"]) for e in detail["errors"]["items"]] == [
        (3, "amount", "bad_number")
    ]
    again = client.post(
        "/api/v1/verification/batches", {"source": "wage_tax", "file": upload(data)}, **headers
    )
    assert again.status_code == 409 and again.json()["code"] == "same_file"
    accepted = client.post(f"/api/v1/verification/batches/{batch['id']}/accept", **headers)
    assert accepted.json()["status"] == "partial"
    assert SourceRecord.objects.count() == 1
    assert (
        client.post(f"/api/v1/verification/batches/{batch['id']}/accept", **headers).status_code
        == 409
    )


def test_batches_are_for_importers_and_reports_are_scoped(world):
    clerk = _headers(world.town_clerk)
    client = Client()
    assert client.get("/api/v1/verification/batches", **clerk).json()["count"] == 0
    sources = client.get("/api/v1/verification/sources", **clerk).json()
    assert len(sources) == 10 and sources[0]["columns"][0]["key"] == "id_number"
    wangdian = world.families["wangdian"].household.pk
    refused = client.post(
        "/api/v1/verification/reports",
        {"household_id": wangdian, "purpose": "dibao"},
        content_type="application/json",
        **clerk,
    )
    assert refused.status_code == 404
    created = client.post(
        "/api/v1/verification/reports",
        {"household_id": wangdian, "purpose": "dibao"},
        content_type="application/json",
        **_headers(world.other_town_clerk),
    )
    assert created.status_code == 201
    report = created.json()
    assert report["summary"]["members"][0]["name"] == "王建国"
    assert client.get(f"/api/v1/verification/reports/{report['id']}", **clerk).status_code == 404
    got = client.get(f"/api/v1/verification/reports/{report['id']}", **_headers(world.city_admin))
    assert got.status_code == 200 and got.json()["record_ids"] == []


@pytest.mark.parametrize("household", [True, "1", 1.0], ids=["true", "text", "float"])
def test_a_report_needs_a_household_id_that_is_a_json_integer(world, household):
    created = Client().post(
        "/api/v1/verification/reports",
        {"household_id": household, "purpose": "dibao"},
        content_type="application/json",
        **_headers(world.city_admin),
    )
    assert created.status_code == 422
    assert "household_id" in created.content.decode()
