"""Entitlements given as a query (the monthly payroll's path): staged inside the database,
with the same lines, checks and exactly-once guarantee as entitlements given as arrays."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minzheng.common.errors import ValidationFailed
from minzheng.kernel.payments.entitlements import to_fen
from minzheng.kernel.payments.models import PaymentBatch, PaymentLine
from minzheng.kernel.payments.services import payee_account_close, payment_batch_generate
from minzheng.kernel.payments.tests.factories import LABEL, MONTH, PROGRAMME, as_query, payroll
from minzheng.testing.world import NANHU

pytestmark = pytest.mark.django_db


def _generate(world, entitlements):  # type: ignore[no-untyped-def]
    return payment_batch_generate(
        actor=world.county_approver,
        programme=PROGRAMME,
        county=world.regions[NANHU],
        month=MONTH,
        entitlements=entitlements,
        label=LABEL,
    )


def _lines() -> list[tuple[int, int, Decimal, int]]:
    return sorted(
        PaymentLine.objects.values_list("beneficiary_id", "payee_account_id", "amount", "members")
    )


def test_a_query_writes_the_same_lines_as_the_arrays_once(world):
    setup = payroll(world)
    first = _generate(world, as_query(setup.entitlements(upto=2)))
    assert (first.inserted, first.already_paid, first.rejected) == (2, 0, 0)
    assert first.batch.total_amount == Decimal("1150.50")

    again = _generate(world, as_query(setup.entitlements()))  # one new, two already paid

    assert (again.inserted, again.already_paid, again.rejected) == (1, 2, 0)
    assert again.batch.pk == first.batch.pk
    stored = PaymentBatch.objects.get(pk=first.batch.pk)
    assert (stored.line_count, stored.total_amount) == (3, Decimal("1870.50"))
    expected = sorted(
        (b, a.pk, Decimal(amount), 2)
        for b, a, amount in zip(
            setup.beneficiaries, setup.accounts, ("500.00", "650.50", "720.00"), strict=True
        )
    )
    assert _lines() == expected
    assert all(to_fen(amount) > 0 for _b, _a, amount, _m in _lines())


def test_a_query_s_rows_without_an_active_account_are_rejected(world):
    setup = payroll(world)
    payee_account_close(actor=None, account=setup.accounts[0], reason="销户")

    result = _generate(world, as_query(setup.entitlements()))

    assert (result.inserted, result.rejected) == (2, 1)
    assert setup.beneficiaries[0] not in {line[0] for line in _lines()}


def test_a_query_giving_a_beneficiary_twice_is_refused_and_writes_nothing(world):
    setup = payroll(world)
    twice = setup.entitlements().take([0, 1, 1])

    with pytest.raises(ValidationFailed):
        _generate(world, as_query(twice))

    assert not PaymentLine.objects.exists() and not PaymentBatch.objects.exists()


def test_an_entitlement_query_is_not_back_pay(world):
    setup = payroll(world)
    with pytest.raises(ValidationFailed):
        payment_batch_generate(
            actor=world.county_approver,
            programme=PROGRAMME,
            county=world.regions[NANHU],
            month=MONTH,
            entitlements=as_query(setup.entitlements()),
            label=LABEL,
            kind="back_pay",
        )
