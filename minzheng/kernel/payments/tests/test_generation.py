from decimal import Decimal

import numpy as np
import pytest

from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.payments.entitlements import Entitlements
from minzheng.kernel.payments.models import BatchState, PaymentBatch, PaymentLine
from minzheng.kernel.payments.services import (
    payee_account_close,
    payment_batch_approve,
    payment_batch_generate,
    payment_batch_send_back,
    payment_batch_submit,
)
from minzheng.kernel.payments.tests.factories import LABEL, MONTH, PROGRAMME, payroll
from minzheng.testing.world import NANHU, WANGDIAN

pytestmark = pytest.mark.django_db


def _generate(world, entitlements, actor=None, **kwargs):
    actor = actor or world.county_approver
    return payment_batch_generate(
        actor=actor,
        programme=PROGRAMME,
        county=world.regions[NANHU],
        month=MONTH,
        entitlements=entitlements,
        label=LABEL,
        **kwargs,
    )


def test_generation_writes_one_line_per_beneficiary_with_a_snapshot(world):
    setup = payroll(world)
    result = _generate(world, setup.entitlements())
    assert (result.inserted, result.already_paid, result.rejected) == (3, 0, 0)
    batch = result.batch
    assert (batch.state, batch.line_count, batch.total_amount) == (
        BatchState.GENERATED,
        3,
        Decimal("1870.50"),
    )
    stored = PaymentBatch.objects.get(pk=batch.pk)  # the instance's totals are the row's
    assert (stored.line_count, stored.total_amount) == (3, batch.total_amount)
    line = PaymentLine.objects.get(batch=batch, beneficiary_id=9002)
    account = setup.accounts[1]
    assert line.amount == Decimal("650.50")
    assert (line.month, line.for_month, line.kind, line.members) == (MONTH, MONTH, "regular", 2)
    assert line.holder_name == account.holder_name
    assert line.account_number_masked == account.account_number_masked
    assert bytes(line.account_number_ciphertext) == bytes(account.account_number_ciphertext)
    assert AuditEvent.objects.filter(action="payments.batch.generate").count() == 1


def test_generating_twice_pays_nobody_twice(world):
    setup = payroll(world)
    first = _generate(world, setup.entitlements(upto=2))
    second = _generate(world, setup.entitlements())  # a re-run that also finds a newcomer
    third = _generate(world, setup.entitlements())
    assert (first.inserted, second.inserted, second.already_paid) == (2, 1, 2)
    assert (third.inserted, third.already_paid) == (0, 3)
    assert first.batch.pk == second.batch.pk == third.batch.pk
    assert PaymentLine.objects.count() == 3
    assert PaymentBatch.objects.get().line_count == 3


def test_a_rerun_after_submission_goes_into_a_supplementary_batch(world):
    setup = payroll(world)
    first = _generate(world, setup.entitlements(upto=2))
    payment_batch_submit(actor=world.county_approver, batch=first.batch)
    nothing_new = _generate(world, setup.entitlements(upto=2))
    assert (nothing_new.batch, nothing_new.inserted) == (None, 0)
    assert PaymentBatch.objects.count() == 1  # no empty supplementary batch left behind
    later = _generate(world, setup.entitlements())
    assert later.batch.sequence == 2 and later.inserted == 1
    assert list(later.batch.lines.values_list("beneficiary_id", flat=True)) == [9003]
    first.batch.refresh_from_db()
    assert first.batch.line_count == 2


def test_invalid_rows_are_rejected_not_paid(world):
    setup = payroll(world)
    payee_account_close(actor=None, account=setup.accounts[0], reason="销户")
    wangdian_region = world.regions[WANGDIAN].pk
    rows = Entitlements.from_rows(
        [
            (9001, setup.accounts[0].pk, "500", 1, setup.accounts[0].person.residence_region_id),
            (9002, setup.accounts[1].pk, "500", 1, wangdian_region),  # outside the county
            (9003, setup.accounts[2].pk, "0", 1, setup.accounts[2].person.residence_region_id),
            (9004, setup.accounts[2].pk, "300", 1, setup.accounts[2].person.residence_region_id),
        ]
    )
    result = _generate(world, rows)
    assert (result.inserted, result.rejected) == (1, 3)
    assert list(PaymentLine.objects.values_list("beneficiary_id", flat=True)) == [9004]
    assert (result.batch.line_count, result.batch.total_amount) == (1, Decimal("300.00"))
    stored = PaymentBatch.objects.get(pk=result.batch.pk)
    assert (stored.line_count, stored.total_amount) == (1, Decimal("300.00"))


def test_a_beneficiary_twice_in_the_input_is_refused(world):
    setup = payroll(world)
    entitlements = setup.entitlements()
    twice = Entitlements(
        beneficiary_ids=np.array([9001, 9001], dtype=np.int64),
        payee_account_ids=entitlements.payee_account_ids[:2],
        amounts_fen=entitlements.amounts_fen[:2],
        members=entitlements.members[:2],
        region_ids=entitlements.region_ids[:2],
    )
    with pytest.raises(ValidationFailed):
        _generate(world, twice)
    assert not PaymentLine.objects.exists()


def test_only_county_staff_prepare_payments(world):
    setup = payroll(world)
    with pytest.raises(PermissionRefused):
        _generate(world, setup.entitlements(), actor=world.town_clerk)
    with pytest.raises(PermissionRefused):
        payment_batch_generate(
            actor=world.county_approver,  # 南湖区 only
            programme=PROGRAMME,
            county="330411",
            month=MONTH,
            entitlements=setup.entitlements(),
        )
    assert not PaymentLine.objects.exists()


def test_the_preparer_cannot_approve_and_another_approver_can(world):
    setup = payroll(world)
    batch = _generate(world, setup.entitlements()).batch
    with pytest.raises(Conflict):
        payment_batch_approve(actor=setup.second_approver, batch=batch)  # not submitted yet
    batch = payment_batch_submit(actor=world.county_approver, batch=batch)
    with pytest.raises(PermissionRefused) as refused:
        payment_batch_approve(actor=world.county_approver, batch=batch)
    assert refused.value.code == "maker_checker"
    with pytest.raises(PermissionRefused):
        payment_batch_approve(actor=world.town_clerk, batch=batch)
    approved = payment_batch_approve(actor=setup.second_approver, batch=batch)
    assert approved.state == BatchState.APPROVED
    assert (approved.prepared_by, approved.approved_by) == (
        world.county_approver,
        setup.second_approver,
    )
    with pytest.raises(Conflict):
        payment_batch_approve(actor=world.city_admin, batch=batch)


def test_whoever_generated_cannot_approve_even_if_another_submitted(world):
    setup = payroll(world)
    batch = _generate(world, setup.entitlements(), actor=setup.second_approver).batch
    batch = payment_batch_submit(actor=world.county_approver, batch=batch)
    with pytest.raises(PermissionRefused):
        payment_batch_approve(actor=setup.second_approver, batch=batch)
    assert payment_batch_approve(actor=world.city_admin, batch=batch).state == "approved"


def test_sending_back_needs_a_reason_and_reopens_the_batch(world):
    setup = payroll(world)
    batch = _generate(world, setup.entitlements(upto=2)).batch
    batch = payment_batch_submit(actor=world.county_approver, batch=batch)
    with pytest.raises(ValidationFailed):
        payment_batch_send_back(actor=setup.second_approver, batch=batch, reason="")
    batch = payment_batch_send_back(actor=setup.second_approver, batch=batch, reason="金额有误")
    assert batch.state == BatchState.GENERATED
    assert _generate(world, setup.entitlements()).batch.pk == batch.pk  # open again


def test_the_state_cannot_be_set_directly(world):
    setup = payroll(world)
    batch = _generate(world, setup.entitlements()).batch
    with pytest.raises(AttributeError):
        batch.state = BatchState.APPROVED


def test_a_first_run_inserts_plainly_and_a_rerun_lets_the_unique_key_decide(world):
    """PostgreSQL: the first run of a month is one plain INSERT (no ON CONFLICT); a re-run
    collides with the unique key, its savepoint is undone and ON CONFLICT DO NOTHING inserts
    only what is missing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("the plain-INSERT-first path is PostgreSQL's")
    setup = payroll(world)

    def inserts(upto):
        with CaptureQueriesContext(connection) as queries:
            result = _generate(world, setup.entitlements(upto=upto))
        sql = [q["sql"] for q in queries if "INSERT INTO payments_paymentline" in q["sql"]]
        return result, ["ON CONFLICT" in statement for statement in sql]

    first, first_sql = inserts(2)
    second, second_sql = inserts(3)
    assert first_sql == [False]
    assert second_sql == [False, True]  # the plain one refused, then ON CONFLICT
    assert (first.inserted, second.inserted, second.already_paid) == (2, 1, 2)
    assert PaymentLine.objects.count() == 3
    batch = PaymentBatch.objects.get()
    assert (batch.line_count, batch.total_amount) == (3, Decimal("1870.50"))
