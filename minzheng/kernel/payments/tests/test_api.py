"""The payments API: scoped, read-only, and never a full account number."""

import io

import pytest

from minzheng.kernel.payments.services import (
    payment_batch_approve,
    payment_batch_export,
    payment_batch_generate,
    payment_batch_submit,
)
from minzheng.kernel.payments.tests.factories import (
    LABEL,
    MONTH,
    PROGRAMME,
    account_number,
    payroll,
)
from minzheng.testing.world import NANHU
from minzheng.web.api.tests.helpers import STAFF, ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(world):
    setup = payroll(world)
    batch = payment_batch_generate(
        actor=world.county_approver,
        programme=PROGRAMME,
        county=world.regions[NANHU],
        month=MONTH,
        entitlements=setup.entitlements(),
        label=LABEL,
    ).batch
    batch = payment_batch_submit(actor=world.county_approver, batch=batch)
    batch = payment_batch_approve(actor=setup.second_approver, batch=batch)
    payment_batch_export(actor=world.county_approver, batch=batch, out=io.BytesIO())
    return batch


def test_the_county_sees_its_batch_and_masked_lines(world, exported):
    client = ApiClient(world.county_approver)
    listed = client.get("payment-batches").json()
    assert [b["id"] for b in listed["items"]] == [exported.pk]
    assert listed["items"][0]["state"] == "exported"
    assert listed["items"][0]["county"] == NANHU
    assert listed["items"][0]["case_number"] == exported.case_number
    assert listed["items"][0]["total_amount"] in ("1870.50", 1870.5)
    lines = client.get(f"payment-batches/{exported.pk}/lines", limit=2).json()
    assert lines["count"] == 3 and len(lines["items"]) == 2
    assert lines["items"][0]["account_number"] == "6222 **** **** 0100"
    assert lines["items"][0]["holder"] == "张*国"


@pytest.mark.parametrize("persona", STAFF)
def test_no_answer_shows_a_full_account_number_or_holder_name(world, exported, persona):
    secrets = {account_number(100 + i) for i in range(3)}
    names = {p.name for p in world.families["xinjia"].members}
    client = ApiClient(world.personas[persona])
    for path in (
        "payment-batches",
        f"payment-batches/{exported.pk}",
        f"payment-batches/{exported.pk}/lines",
    ):
        response = client.get(path)
        assert response.status_code in (200, 403, 404), (path, response.content)
        text = response.content.decode()
        for secret in secrets | names:
            assert secret not in text, f"{persona} GET {path} shows {secret}"


def test_other_towns_and_villages_see_no_batch(world, exported):
    assert ApiClient(world.other_town_clerk).get(f"payment-batches/{exported.pk}").status_code in (
        403,
        404,
    )
    assert ApiClient(world.village_worker).get("payment-batches").json()["count"] == 0
    assert ApiClient(world.town_clerk).get("payment-batches").json()["count"] == 0
