import datetime as dt
import io
from decimal import Decimal

import pytest

from minzheng.common.errors import Conflict, ValidationFailed
from minzheng.kernel.payments.entitlements import Entitlements
from minzheng.kernel.payments.models import (
    BatchState,
    LineKind,
    LineStatus,
    Overpayment,
    PaymentLine,
)
from minzheng.kernel.payments.services import (
    ReturnedPayment,
    back_pay_plan,
    payee_account_create,
    payment_back_pay_generate,
    payment_batch_approve,
    payment_batch_export,
    payment_batch_generate,
    payment_batch_settle,
    payment_batch_submit,
    payment_line_reissue,
)
from minzheng.kernel.payments.tests.factories import (
    BANK_CODE,
    LABEL,
    MONTH,
    PROGRAMME,
    account_number,
    payroll,
)
from minzheng.testing.world import NANHU

pytestmark = pytest.mark.django_db


def _paid_batch(world, setup, month=MONTH, entitlements=None, returns=()):
    batch = payment_batch_generate(
        actor=world.county_approver,
        programme=PROGRAMME,
        county=world.regions[NANHU],
        month=month,
        entitlements=entitlements or setup.entitlements(),
        label=LABEL,
    ).batch
    batch = payment_batch_submit(actor=world.county_approver, batch=batch)
    batch = payment_batch_approve(actor=setup.second_approver, batch=batch)
    payment_batch_export(actor=world.county_approver, batch=batch, out=io.BytesIO())
    return payment_batch_settle(actor=world.county_approver, batch=batch, returns=returns)


def test_a_batch_without_returns_settles_and_every_line_is_paid(world):
    setup = payroll(world)
    batch = _paid_batch(world, setup)
    assert batch.state == BatchState.SETTLED
    assert set(PaymentLine.objects.values_list("status", flat=True)) == {LineStatus.PAID}


def test_returned_lines_are_marked_and_reissued_once_to_the_corrected_account(world):
    setup = payroll(world)
    line = PaymentLine.objects.none()
    batch = _paid_batch(world, setup)
    line = PaymentLine.objects.get(batch=batch, beneficiary_id=9002)
    batch = payment_batch_settle(
        actor=world.county_approver,
        batch=batch,
        returns=[
            ReturnedPayment(
                line_id=line.pk, reason="账户已冻结", account_number=account_number(101)
            )
        ],
    )
    line.refresh_from_db()
    assert batch.state == BatchState.PARTLY_RETURNED
    assert (line.status, line.return_reason) == (LineStatus.RETURNED, "账户已冻结")
    assert PaymentLine.objects.filter(status=LineStatus.PAID).count() == 2

    with pytest.raises(ValidationFailed):  # the account has not been corrected yet
        payment_line_reissue(actor=world.county_approver, line=line, month=dt.date(2027, 1, 1))
    corrected = payee_account_create(
        actor=world.town_clerk,
        person=setup.accounts[1].person,
        bank_name="农业银行",
        bank_code=BANK_CODE,
        account_number=account_number(777),
    )
    reissue = payment_line_reissue(
        actor=world.county_approver, line=line, month=dt.date(2027, 1, 1)
    )
    assert (reissue.kind, reissue.reissue_of_id, reissue.amount) == (
        LineKind.REISSUE,
        line.pk,
        Decimal("650.50"),
    )
    assert (reissue.month, reissue.for_month) == (dt.date(2027, 1, 1), MONTH)
    assert reissue.payee_account_id == corrected.pk
    assert reissue.batch.month == dt.date(2027, 1, 1) and reissue.batch.line_count == 1
    with pytest.raises(Conflict):
        payment_line_reissue(actor=world.county_approver, line=line, month=dt.date(2027, 1, 1))
    assert PaymentLine.objects.filter(kind=LineKind.REISSUE).count() == 1


def test_a_return_list_that_does_not_match_is_refused_whole(world):
    setup = payroll(world)
    batch = _paid_batch(world, setup)
    line = PaymentLine.objects.get(batch=batch, beneficiary_id=9001)
    with pytest.raises(ValidationFailed):
        payment_batch_settle(
            actor=world.county_approver,
            batch=batch,
            returns=[
                ReturnedPayment(line_id=line.pk, reason="户名不符"),
                ReturnedPayment(line_id=line.pk + 1, reason="x", account_number=account_number(1)),
            ],
        )
    with pytest.raises(ValidationFailed):
        payment_batch_settle(
            actor=world.county_approver,
            batch=batch,
            returns=[ReturnedPayment(line_id=999_999, reason="账户不存在")],
        )
    assert not PaymentLine.objects.filter(status=LineStatus.RETURNED).exists()


def _due(setup, rows):
    """rows: (beneficiary index, month, yuan)."""
    return Entitlements.from_rows(
        (
            setup.beneficiaries[i],
            setup.accounts[i].pk,
            amount,
            2,
            setup.accounts[i].person.residence_region_id,
            month,
        )
        for i, month, amount in rows
    )


def test_back_pay_pays_the_positive_differences_and_records_overpayments(world):
    setup = payroll(world)
    oct_, nov = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
    for month in (oct_, nov):
        _paid_batch(
            world, setup, month=month, entitlements=setup.entitlements(("500", "500", "500"))
        )
    # A retroactive change from October: beneficiary 0 gains 80 a month, 1 loses 30 in
    # November only, 2 is unchanged.
    due = _due(
        setup,
        [
            (0, oct_, "580"),
            (0, nov, "580"),
            (1, oct_, "500"),
            (1, nov, "470"),
            (2, oct_, "500"),
            (2, nov, "500"),
        ],
    )
    result, overpayments = payment_back_pay_generate(
        actor=world.county_approver,
        programme=PROGRAMME,
        county=world.regions[NANHU],
        month=MONTH,
        due=due,
        label=LABEL,
    )
    lines = PaymentLine.objects.filter(kind=LineKind.BACK_PAY).order_by("for_month")
    assert [(x.beneficiary_id, x.for_month, x.amount) for x in lines] == [
        (9001, oct_, Decimal("80.00")),
        (9001, nov, Decimal("80.00")),
    ]
    assert all(x.month == MONTH for x in lines)
    assert result.inserted == 2 and result.batch.total_amount == Decimal("160.00")
    over = Overpayment.objects.get()
    assert overpayments == 1
    assert (over.beneficiary_id, over.for_month, over.amount, over.status) == (
        9002,
        nov,
        Decimal("30.00"),
        "open",
    )
    # The regular December payment is untouched: nothing was netted.
    assert not PaymentLine.objects.filter(kind=LineKind.REGULAR, month=MONTH).exists()

    # A re-run finds nothing more to pay or recover.
    again, more = payment_back_pay_generate(
        actor=world.county_approver,
        programme=PROGRAMME,
        county=world.regions[NANHU],
        month=MONTH,
        due=due,
    )
    assert (again.inserted, more) == (0, 0)
    assert Overpayment.objects.count() == 1
    assert PaymentLine.objects.filter(kind=LineKind.BACK_PAY).count() == 2


def test_a_returned_payment_does_not_count_as_paid(world):
    setup = payroll(world)
    oct_ = dt.date(2026, 10, 1)
    batch = _paid_batch(
        world, setup, month=oct_, entitlements=setup.entitlements(("500", "500", "500"))
    )
    line = PaymentLine.objects.get(batch=batch, beneficiary_id=9003)
    payment_batch_settle(
        actor=world.county_approver,
        batch=batch,
        returns=[ReturnedPayment(line_id=line.pk, reason="账户冻结")],
    )
    plan = back_pay_plan(
        programme=PROGRAMME,
        due=_due(setup, [(0, oct_, "500"), (2, oct_, "520")]),
    )
    assert plan.back_pay.beneficiary_ids.tolist() == [9003]
    assert plan.back_pay.amounts_fen.tolist() == [52000]  # all of it: the 500 came back


def test_back_pay_must_be_for_past_months(world):
    setup = payroll(world)
    with pytest.raises(ValidationFailed):
        payment_back_pay_generate(
            actor=world.county_approver,
            programme=PROGRAMME,
            county=world.regions[NANHU],
            month=MONTH,
            due=_due(setup, [(0, MONTH, "500")]),
        )
