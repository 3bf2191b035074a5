"""Payments pages: scoping, the steps offered, refusals through POST, masking, the bank file,
payee accounts (masked list, create, close, audited reveal) and the generation form."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.payments.models import (
    AccountStatus,
    BankFileExport,
    BatchState,
    PayeeAccount,
    PaymentBatch,
)
from minzheng.kernel.payments.services import (
    payment_batch_approve,
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
from minzheng.kernel.workflow.models import CaseStep
from minzheng.testing.world import NANHU

pytestmark = pytest.mark.django_db


@pytest.fixture
def login():
    def _login(user) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def setup(world):
    return payroll(world)


@pytest.fixture
def batch(world, setup) -> PaymentBatch:
    return payment_batch_generate(
        actor=world.county_approver,
        programme=PROGRAMME,
        county=world.regions[NANHU],
        month=MONTH,
        entitlements=setup.entitlements(),
        label=LABEL,
    ).batch


def _steps(batch: PaymentBatch) -> list[str]:
    return list(
        CaseStep.objects.filter(
            content_type=ContentType.objects.get_for_model(batch), object_id=batch.pk
        )
        .order_by("at", "id")
        .values_list("transition", flat=True)
    )


def _offered(response) -> set[str]:
    html = response.content.decode()
    return {
        name
        for name in ("submit", "send_back", "approve", "export")
        if f'data-step="{name}"' in html
    }


def _post_step(client: Client, batch: PaymentBatch, step: str, **data: str):
    return client.post(
        reverse("payments:batch_step", args=[batch.pk, step]),
        {f"{step}-{key}": value for key, value in data.items()},
    )


def test_the_list_shows_the_county_batches_with_totals_and_filters(world, batch, login):
    client = login(world.county_approver)
    response = client.get(reverse("payments:batches"))
    assert response.status_code == 200
    html = response.content.decode()
    assert batch.case_number in html and "1870.50" in html
    filtered = client.get(reverse("payments:batches"), {"state": BatchState.APPROVED})
    assert batch.case_number not in filtered.content.decode()
    by_month = client.get(reverse("payments:batches"), {"month": f"{MONTH:%Y-%m}"})
    assert batch.case_number in by_month.content.decode()


def test_staff_of_another_county_get_404(world, batch, login):
    for user in (world.other_town_clerk, world.town_clerk):
        client = login(user)
        assert client.get(reverse("payments:batch", args=[batch.pk])).status_code == 404
        assert batch.case_number not in client.get(reverse("payments:batches")).content.decode()
        refused = _post_step(client, batch, "submit")
        assert refused.status_code in (403, 404)
    batch.refresh_from_db()
    assert batch.state == BatchState.GENERATED


def test_lines_are_masked_and_the_page_offers_only_allowed_steps(world, setup, batch, login):
    client = login(world.county_approver)
    response = client.get(reverse("payments:batch", args=[batch.pk]))
    html = response.content.decode()
    for account in setup.accounts:
        assert account.account_number_masked in html
        assert account_number(100) not in html
        assert account.holder_name not in html
    assert _offered(response) == {"submit"}
    fragment = client.get(
        reverse("payments:batch", args=[batch.pk]), {"page": 1}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'id="batch-lines"' in fragment and "<html" not in fragment
    assert setup.accounts[0].account_number_masked in fragment
    assert "generate" in _steps(batch)
    assert login(world.auditor).get(reverse("payments:batch", args=[batch.pk])).status_code == 200
    assert _offered(login(world.auditor).get(reverse("payments:batch", args=[batch.pk]))) == set()


def test_the_preparer_cannot_approve_through_the_page(world, setup, batch, login):
    preparer = login(world.county_approver)
    assert _post_step(preparer, batch, "submit", note="本月").status_code == 302
    batch.refresh_from_db()
    assert batch.state == BatchState.PREPARED
    page = preparer.get(reverse("payments:batch", args=[batch.pk]))
    assert "approve" not in _offered(page)  # maker-checker: not offered to the preparer
    refused = _post_step(preparer, batch, "approve")
    assert refused.status_code == 302
    batch.refresh_from_db()
    assert batch.state == BatchState.PREPARED
    messages = preparer.get(reverse("payments:batch", args=[batch.pk])).content.decode()
    assert "复核" in messages or "maker-checker" in messages or "审批" in messages
    checker = login(setup.second_approver)
    assert _offered(checker.get(reverse("payments:batch", args=[batch.pk]))) == {
        "send_back",
        "approve",
    }
    _post_step(checker, batch, "approve")
    batch.refresh_from_db()
    assert batch.state == BatchState.APPROVED
    assert _steps(batch) == ["generate", "submit", "approve"]


def test_a_step_outside_the_table_is_refused_and_changes_nothing(world, setup, batch, login):
    client = login(setup.second_approver)
    response = _post_step(client, batch, "approve")  # still generated: not submitted
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.state == BatchState.GENERATED
    assert _steps(batch) == ["generate"]
    assert _post_step(client, batch, "pay_everyone").status_code == 404


def test_send_back_needs_a_reason(world, setup, batch, login):
    payment_batch_submit(actor=world.county_approver, batch=batch)
    client = login(setup.second_approver)
    _post_step(client, batch, "send_back", reason="")
    batch.refresh_from_db()
    assert batch.state == BatchState.PREPARED
    _post_step(client, batch, "send_back", reason="金额有误")
    batch.refresh_from_db()
    assert batch.state == BatchState.GENERATED
    step = CaseStep.objects.filter(transition="send_back").get()
    assert step.reason == "金额有误"


def test_the_bank_file_downloads_and_the_batch_is_exported(world, setup, batch, login):
    batch = payment_batch_approve(
        actor=setup.second_approver,
        batch=payment_batch_submit(actor=world.county_approver, batch=batch),
    )
    client = login(world.county_approver)
    assert "export" in _offered(client.get(reverse("payments:batch", args=[batch.pk])))
    response = _post_step(client, batch, "export", file_format="csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'{batch.case_number}.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert any(account_number(100) in row for row in rows)
    batch.refresh_from_db()
    assert batch.state == BatchState.EXPORTED
    again = _post_step(client, batch, "export_again", file_format="xlsx")
    assert again.status_code == 200 and again.content[:2] == b"PK"
    assert BankFileExport.objects.filter(batch=batch).count() == 2
    page = client.get(reverse("payments:batch", args=[batch.pk])).content.decode()
    assert account_number(100) not in page


def test_payee_accounts_are_masked_created_closed_and_revealed_with_audit(world, setup, login):
    person = setup.accounts[0].person
    url = reverse("payments:accounts", args=[person.pk])
    clerk = login(world.town_clerk)
    html = clerk.get(url).content.decode()
    assert setup.accounts[0].account_number_masked in html
    assert account_number(100) not in html
    assert login(world.other_town_clerk).get(url).status_code == 404
    response = clerk.post(
        reverse("payments:account_create", args=[person.pk]),
        {"bank_name": "农业银行", "bank_code": "103335000022", "account_number": account_number(7)},
    )
    assert response.status_code == 302
    new = PayeeAccount.objects.get(person=person, status=AccountStatus.ACTIVE)
    assert new.account_number_masked.endswith(account_number(7)[-4:])
    reveal_url = reverse("payments:account_reveal", args=[person.pk, new.pk])
    refused = clerk.post(reveal_url, {"reason": ""})
    assert refused.status_code == 302
    assert not AuditEvent.objects.filter(action="payments.payee_account.reveal").exists()
    shown = clerk.post(reveal_url, {"reason": "核对银行退回"})
    assert account_number(7) in shown.content.decode()
    event = AuditEvent.objects.get(action="payments.payee_account.reveal")
    assert event.actor_id == world.town_clerk.pk and event.reason == "核对银行退回"
    assert login(world.auditor).post(reveal_url, {"reason": "x"}).status_code in (302, 403)
    assert AuditEvent.objects.filter(action="payments.payee_account.reveal").count() == 1
    clerk.post(reverse("payments:account_close", args=[person.pk, new.pk]), {"reason": "销户"})
    new.refresh_from_db()
    assert new.status == AccountStatus.CLOSED


def test_the_generation_form_starts_the_payroll_of_one_county(world, login, monkeypatch):
    from minzheng.kernel.payments import jobs

    started = {}

    def fake_start(**kwargs):
        started.update(kwargs)
        from minzheng.kernel.jobs.models import JobRun

        return JobRun.objects.create(kind=jobs.PAYROLL_JOB, params={}, total=0)

    monkeypatch.setattr("minzheng.kernel.payments.views.payroll_start", fake_start)
    monkeypatch.setitem(
        jobs.ENTITLEMENT_SOURCES,
        PROGRAMME,
        jobs.EntitlementSource(PROGRAMME, LABEL, lambda county, month: None),  # type: ignore[arg-type,return-value]
    )
    client = login(world.county_approver)
    assert client.get(reverse("payments:generate")).status_code == 200
    response = client.post(
        reverse("payments:generate"),
        {"county": NANHU, "programme": PROGRAMME, "month": f"{MONTH:%Y-%m}"},
    )
    assert response.status_code == 302
    assert started["counties"] == [NANHU] and started["month"] == MONTH
    assert login(world.town_clerk).get(reverse("payments:generate")).status_code == 403
    started.clear()
    client.post(
        reverse("payments:generate"),
        {"county": "330411", "programme": PROGRAMME, "month": f"{MONTH:%Y-%m}"},
    )
    assert started == {}  # not a county of the approver: not offered, not started


def test_the_household_page_lists_members_accounts_masked(world, setup, login):
    household = world.families["xinjia"].household
    url = reverse("payments:household_accounts", args=[household.pk])
    html = login(world.town_clerk).get(url).content.decode()
    for account in setup.accounts:
        assert account.account_number_masked in html
        assert reverse("payments:accounts", args=[account.person_id]) in html
    assert account_number(100) not in html
    assert login(world.other_town_clerk).get(url).status_code == 404
