"""The assistance enrolments in the monthly payroll: who is paid, how much, and who is not."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minzheng.domains.assistance import services
from minzheng.domains.assistance.payroll import monthly_entitlements
from minzheng.domains.assistance.tests.test_casework_support import cast
from minzheng.domains.assistance.tests.test_payroll_support import (
    NANHU,
    enrol,
    household_with,
    run_payroll,
)
from minzheng.kernel.jobs.models import JobStatus
from minzheng.kernel.payments.models import PaymentBatch, PaymentLine
from minzheng.kernel.payments.services import payee_account_close, payment_batch_generate

pytestmark = pytest.mark.django_db

OLD = dt.date(1950, 3, 1)


def _month(enrolment, offset: int) -> dt.date:
    start = enrolment.start_month
    year, month = divmod(start.month - 1 + offset, 12)
    return dt.date(start.year + year, month + 1, 1)


def _lines(month: dt.date) -> dict[int, list[Decimal]]:
    paid: dict[int, list[Decimal]] = {}
    for beneficiary, amount in PaymentLine.objects.filter(
        programme="dibao", for_month=month
    ).values_list("beneficiary_id", "amount"):
        paid.setdefault(beneficiary, []).append(Decimal(amount).quantize(Decimal("0.01")))
    return paid


@pytest.fixture
def enrolled(world):
    """Five dibao households of 新嘉: paid, suspended, stopped with a graduated exit, without an
    account, and one whose account was closed."""
    c = cast(world)
    made = {}
    specs = {
        "paid": ([OLD], 500),
        "couple": ([OLD, dt.date(1952, 5, 6)], 501),
        "suspended": ([OLD], 502),
        "exiting": ([OLD], 503),
        "no_account": ([OLD], None),
        "closed": ([OLD], 505),
    }
    for seq, (name, (births, account)) in enumerate(specs.items(), start=61):
        household, persons = household_with(c, seq=seq, births=births, address=f"幸福路{seq}号")
        made[name] = enrol(c, household, persons, account_seq=account)
    return c, made


def test_each_enrolled_household_is_paid_once_with_its_amount(enrolled):
    c, made = enrolled
    paid = made["paid"].enrolment
    month = paid.start_month
    services.enrolment_suspend(
        actor=c.approver, enrolment=made["suspended"].enrolment, reason="待复核"
    )
    payee_account_close(actor=None, account=made["closed"].account, reason="销户")

    job = run_payroll(month)
    again = run_payroll(month)  # a second run pays nobody twice

    assert job.status == JobStatus.SUCCEEDED and again.status == JobStatus.SUCCEEDED
    lines = _lines(month)
    expected = {
        e.enrolment.household_id: [e.enrolment.monthly_amount]
        for name, e in made.items()
        if name in ("paid", "couple", "exiting")
    }
    assert lines == expected
    assert all(amount > 0 for amounts in expected.values() for amount in amounts)
    batch = PaymentBatch.objects.get(programme="dibao", county__code=NANHU, month=month)
    assert batch.line_count == 3
    assert batch.total_amount == sum(a[0] for a in expected.values())
    couple = PaymentLine.objects.get(beneficiary_id=made["couple"].enrolment.household_id)
    assert couple.members == 2 and couple.payee_account_id == made["couple"].account.pk


def test_households_without_an_active_account_are_reported_rejected(enrolled):
    _c, made = enrolled
    payee_account_close(actor=None, account=made["closed"].account, reason="销户")
    month = made["paid"].enrolment.start_month

    result = payment_batch_generate(
        actor=None,
        programme="dibao",
        county=NANHU,
        month=month,
        entitlements=monthly_entitlements("dibao", NANHU, month),
    )

    assert result.rejected == 2  # no_account and closed
    assert result.inserted == 4
    rejected = {made["no_account"].enrolment.household_id, made["closed"].enrolment.household_id}
    assert not rejected & set(_lines(month))


def test_start_month_and_graduated_exit_end_are_honoured(enrolled):
    c, made = enrolled
    exiting = made["exiting"].enrolment
    first = exiting.start_month
    before = _month(exiting, -1)
    services.enrolment_stop(
        actor=c.approver,
        enrolment=exiting,
        reason="收入超过标准",
        end_month=first,
        graduated_exit_months=2,
    )
    exiting.refresh_from_db()
    assert exiting.end_month == _month(exiting, 2)

    for offset in range(-1, 5):
        run_payroll(_month(exiting, offset))

    assert exiting.household_id not in _lines(before)  # nothing before the start month
    paid_months = sorted(
        PaymentLine.objects.filter(beneficiary_id=exiting.household_id).values_list(
            "for_month", flat=True
        )
    )
    assert paid_months == [_month(exiting, k) for k in range(3)]  # the start + 2 exit months
    others = sorted(
        PaymentLine.objects.filter(beneficiary_id=made["paid"].enrolment.household_id).values_list(
            "for_month", flat=True
        )
    )
    assert others == [_month(exiting, k) for k in range(5)]


def test_the_enrolment_s_payee_account_is_paid_and_every_look_up_agrees(enrolled):
    """A head who replaces an account is paid on the new one (the enrolment follows); the
    monthly entitlements' accounts (the enrolments' own), ``enrolment_accounts`` (the back
    pay's look-up) and ``head_accounts`` (the default at approval) agree, in the order
    asked."""
    import numpy as np

    from minzheng.domains.assistance.payroll import (
        NO_ACCOUNT,
        enrolment_accounts,
        head_accounts,
    )
    from minzheng.kernel.payments.tests.factories import open_account

    _c, made = enrolled
    paid = made["paid"]
    replaced = open_account(paid.head, 600)  # closes the head's previous account
    month = paid.enrolment.start_month

    entitlements = monthly_entitlements("dibao", NANHU, month)

    by_household = dict(
        zip(
            entitlements.beneficiary_ids.tolist(),
            entitlements.payee_account_ids.tolist(),
            strict=True,
        )
    )
    assert by_household[paid.enrolment.household_id] == replaced.pk
    assert by_household[made["couple"].enrolment.household_id] == made["couple"].account.pk
    assert by_household[made["no_account"].enrolment.household_id] == NO_ACCOUNT
    households = entitlements.beneficiary_ids
    for look_up in (lambda ids: enrolment_accounts("dibao", ids), head_accounts):
        assert np.array_equal(look_up(households), entitlements.payee_account_ids)
        assert np.array_equal(look_up(households[::-1]), entitlements.payee_account_ids[::-1])
        assert len(look_up(np.zeros(0, dtype=np.int64))) == 0
    assert enrolment_accounts("tekun", households[:1]).tolist() == [NO_ACCOUNT]
