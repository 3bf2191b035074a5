"""Pages: sources and templates, upload with the bad-row report, accept, household reports."""

from __future__ import annotations

import pytest
from django.test import Client

from minzheng.kernel.verification.models import BatchStatus, SourceBatch, SourceRecord
from minzheng.kernel.verification.tests.conftest import WAGE_HEADER, csv_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user():
    def login(user) -> Client:
        client = Client()  # pages open in Chinese, as for the clerks
        client.force_login(user)
        return client

    return login


def test_index_lists_sources_and_templates_download(world, as_user):
    client = as_user(world.town_clerk)
    page = client.get("/verification/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "社会保险与养老金" in body and "/verification/upload/" not in body
    csv_file = client.get("/verification/sources/wage_tax/template.csv")
    assert csv_file["Content-Type"].startswith("text/csv")
    assert csv_file.content.startswith(b"\xef\xbb\xbf")
    xlsx = client.get("/verification/sources/wage_tax/template.xlsx")
    assert xlsx.content[:2] == b"PK"
    assert client.get("/verification/upload/").status_code == 403
    assert client.get("/verification/sources/nope/template.csv").status_code == 404


def test_upload_shows_every_bad_row_then_imports_the_valid_ones(world, as_user, id_of):
    head = id_of(world.families["xinjia"].head)
    data = csv_bytes(
        [
            WAGE_HEADER,
            [head, "张建国", "2025-01", "wage", "100", ""],
            [head, "张建国", "2025-02", "wage", "", ""],
        ]
    )
    client = as_user(world.city_admin)
    response = client.post("/verification/upload/", {"source": "wage_tax", "file": upload(data)})
    batch = SourceBatch.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/verification/batches/{batch.pk}/"
    )
    body = client.get(response["Location"]).content.decode()
    assert "未导入任何数据" in body and "导入 1 行有效数据" in body
    assert "该列为必填项" in body
    assert SourceRecord.objects.count() == 0
    client.post(f"/verification/batches/{batch.pk}/accept/")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PARTIAL and SourceRecord.objects.count() == 1
    again = client.post("/verification/upload/", {"source": "wage_tax", "file": upload(data)})
    assert again.status_code == 409 and "同一文件不会重复导入" in again.content.decode()


def test_household_page_creates_a_report_and_refuses_other_towns(world, as_user):
    client = as_user(world.town_clerk)
    own = world.families["xinjia"].household.pk
    assert client.get(f"/verification/households/{own}/").status_code == 200
    response = client.post(f"/verification/households/{own}/", {"purpose": "dibao"})
    assert response.status_code == 302
    report_page = client.get(response["Location"])
    assert report_page.status_code == 200 and "张建国" in report_page.content.decode()
    other = world.families["wangdian"].household.pk
    assert client.get(f"/verification/households/{other}/").status_code == 404
    assert (
        client.post(f"/verification/households/{other}/", {"purpose": "dibao"}).status_code == 404
    )
    assert as_user(world.village_worker).get("/verification/").status_code == 403
