"""Back pay after a retroactive dibao standard change, checked against the rules engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minzheng.common.errors import PermissionRefused, ValidationFailed
from minzheng.domains.assistance import services
from minzheng.domains.assistance.tests.test_casework_support import cast
from minzheng.domains.assistance.tests.test_payroll_support import (
    NANHU,
    enrol,
    household_with,
    run_payroll,
)
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.parameters.selectors import system_in_force
from minzheng.kernel.parameters.services import parameter_change_confirm, parameter_change_propose
from minzheng.kernel.payments.models import LineKind, Overpayment, PaymentLine
from minzheng.rules.assess import assess_household

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")
BIRTHS = {
    "single": [dt.date(1950, 3, 1)],
    "couple": [dt.date(1949, 1, 2), dt.date(1951, 7, 8)],
    "trio": [dt.date(1948, 4, 5), dt.date(1950, 9, 9), dt.date(1953, 2, 3)],
    "another_single": [dt.date(1955, 6, 1)],
}


def _add_months(month: dt.date, offset: int) -> dt.date:
    year, number = divmod(month.month - 1 + offset, 12)
    return dt.date(month.year + year, number + 1, 1)


def _standard(on: dt.date) -> Decimal:
    value = system_in_force().parameters(on.isoformat()).assistance.dibao.standard[f"c{NANHU}"]
    return Decimal(str(float(value))).quantize(CENT)


def _rules_amount(persons, month: dt.date) -> Decimal:
    """The dibao amount the rules engine itself gives the household (single assessment)."""
    result = assess_household(
        {
            "county": NANHU,
            "date": month.isoformat(),
            "members": [
                {
                    "id": str(person.pk),
                    "birth_date": person.birth_date.isoformat(),
                    "relation": "head" if index == 0 else "spouse",
                    "work_ability": "none",
                }
                for index, person in enumerate(persons)
            ],
            "assets": {"deposits": 0, "houses": 0, "vehicles": 0, "business": False},
        },
        system=system_in_force(),
    )
    return Decimal(str(result["programmes"]["dibao"]["monthly_amount"])).quantize(CENT)


def _paid(household_id: int, month: dt.date, kind: str = LineKind.REGULAR) -> Decimal:
    amounts = PaymentLine.objects.filter(
        programme="dibao", beneficiary_id=household_id, for_month=month, kind=kind
    ).values_list("amount", flat=True)
    return sum((Decimal(a).quantize(CENT) for a in amounts), Decimal("0.00"))


@pytest.fixture
def paid_for_three_months(world):
    """Four households enrolled (one without a payee account), paid for three months."""
    c = cast(world)
    households = {}
    for seq, (name, births) in enumerate(BIRTHS.items(), start=71):
        household, persons = household_with(c, seq=seq, births=births, address=f"和平路{seq}号")
        account = None if name == "another_single" else 600 + seq
        households[name] = (enrol(c, household, persons, account_seq=account), persons)
    first = households["single"][0].enrolment.start_month
    months = [_add_months(first, k) for k in range(3)]
    for month in months:
        run_payroll(month)
    return c, households, months


def _change_standard(world, *, start: dt.date, value: Decimal) -> None:
    change = parameter_change_propose(
        actor=world.city_admin,
        path=f"assistance.dibao.standard.c{NANHU}",
        start=start,
        value=float(value),
        source_document="嘉政发〔2026〕99号",
    )
    parameter_change_confirm(actor=world.city_admin, change=change)


@pytest.mark.parametrize("raise_by", [Decimal("150"), Decimal("-80")])
def test_a_retroactive_standard_change_pays_the_rules_difference_to_every_household(
    world, paid_for_three_months, raise_by
):
    c, households, months = paid_for_three_months
    old_standard = _standard(months[0])
    paid_before = {
        (e.enrolment.household_id, m): _paid(e.enrolment.household_id, m)
        for e, _ in households.values()
        for m in months
    }
    # Paid what the enrolments say; the household without an account got nothing.
    for name, (e, _) in households.items():
        for m in months:
            expected = Decimal(0) if name == "another_single" else e.enrolment.monthly_amount
            assert paid_before[(e.enrolment.household_id, m)] == expected

    _change_standard(world, start=months[0], value=old_standard + raise_by)
    assert _standard(months[0]) == old_standard + raise_by  # retroactive from the first month
    pay_month = _add_months(months[-1], 1)

    result = services.enrolment_back_pay(
        actor=c.approver,
        county=NANHU,
        first_month=months[0],
        last_month=months[-1],
        pay_month=pay_month,
    )

    assert result.due_rows == 4 * 3 and result.not_assessed == 0
    back_pay_lines = 0
    overpayments = 0
    for name, (e, persons) in households.items():
        household_id = e.enrolment.household_id
        for m in months:
            difference = _rules_amount(persons, m) - paid_before[(household_id, m)]
            assert difference != 0  # the change moved every household
            back_pay = _paid(household_id, m, LineKind.BACK_PAY)
            over = Overpayment.objects.filter(
                programme="dibao", beneficiary_id=household_id, for_month=m
            ).values_list("amount", flat=True)
            recovered = sum((Decimal(a).quantize(CENT) for a in over), Decimal("0.00"))
            if name == "another_single":
                # Never paid (no account): the whole amount is due, but the kernel rejects
                # the line until the head has an active account.
                assert (back_pay, recovered) == (Decimal("0.00"), Decimal("0.00"))
            elif difference > 0:
                assert (back_pay, recovered) == (difference, Decimal("0.00"))
                back_pay_lines += 1
            else:
                assert (back_pay, recovered) == (Decimal("0.00"), -difference)
                overpayments += 1
    assert result.generation.inserted == back_pay_lines
    assert result.overpayments == overpayments
    assert result.generation.rejected == 3  # the household without an account, 3 months
    assert PaymentLine.objects.filter(kind=LineKind.BACK_PAY, month=pay_month).count() == (
        back_pay_lines
    )
    assert AuditEvent.objects.filter(action="assistance.back_pay.generate").count() == 1

    again = services.enrolment_back_pay(
        actor=c.approver,
        county=NANHU,
        first_month=months[0],
        last_month=months[-1],
        pay_month=pay_month,
    )
    assert again.generation.inserted == 0 and again.overpayments == 0  # nothing paid twice


def test_back_pay_without_a_change_pays_nothing(world, paid_for_three_months):
    c, _households, months = paid_for_three_months

    result = services.enrolment_back_pay(
        actor=c.approver,
        county=NANHU,
        first_month=months[0],
        last_month=months[-1],
        pay_month=_add_months(months[-1], 1),
    )

    assert result.generation.inserted == 0 and result.overpayments == 0
    assert result.generation.rejected == 3  # the unpaid household without an account


def test_back_pay_is_refused_for_the_current_month_and_to_other_counties(
    world, paid_for_three_months
):
    c, _households, months = paid_for_three_months
    with pytest.raises(ValidationFailed):
        services.enrolment_back_pay(
            actor=c.approver,
            county=NANHU,
            first_month=months[0],
            last_month=months[-1],
            pay_month=months[-1],
        )
    with pytest.raises(PermissionRefused):
        services.enrolment_back_pay(
            actor=world.other_town_clerk,
            county=NANHU,
            first_month=months[0],
            last_month=months[-1],
            pay_month=_add_months(months[-1], 1),
        )
