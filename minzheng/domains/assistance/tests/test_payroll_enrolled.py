"""The payroll's amounts due (back pay 补发) read and evaluate only the enrolled households.

``enrolment_due_amounts`` reads the month's payable enrolments of the county first, then the
population of their households only (the determination's county reader with its household
filter): a household of the county without an enrolment is neither read nor evaluated, and
the amounts are the ones the whole county's read gave.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection

from minzheng.domains.assistance import determination
from minzheng.domains.assistance.assess import household_assess_unscoped
from minzheng.domains.assistance.services import payroll as payroll_services
from minzheng.domains.assistance.services.review import add_months
from minzheng.domains.assistance.tests.test_casework_support import cast, today
from minzheng.domains.assistance.tests.test_enrolled_county_support import OLD, enrolled_county
from minzheng.domains.assistance.tests.test_payroll_support import NANHU
from minzheng.domains.assistance.tests.test_review_support import enrolled
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.parameters.selectors import system_in_force
from minzheng.kernel.payments.models import LineKind, Overpayment, PaymentLine
from minzheng.kernel.verification.services import verification_report_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(world, settings, tmp_path):
    """南湖区 with three enrolled dibao households and a household that is not enrolled
    (see ``enrolled_county``)."""
    return enrolled_county(world, settings, tmp_path, seq=81, driver=False)


def _whole_county_due(month: dt.date, households: np.ndarray) -> dict[int, int]:
    """{household id: fen} from a read and evaluation of every household of the county (what
    the payroll did before it read the enrolled households only)."""
    system = system_in_force()
    population = determination.read_population(
        NANHU, month, lookback_months=determination.lookback_months(system, month)
    )
    amounts = payroll_services._to_fen(
        payroll_services.PROGRAMME_AMOUNTS["dibao"](
            determination.evaluate(population, system=system)
        )
    )
    position = {h: i for i, h in enumerate(population.household_ids.tolist())}
    assert len(population.household_ids) > len(households)  # the county holds others
    return {h: int(amounts[position[h]]) for h in households.tolist() if h in position}


def test_the_amounts_due_read_only_the_enrolled_households(world, county, monkeypatch):
    c, families, outsider, outsiders = county
    enrolled_ids = {f.enrolment.household_id for f in families.values()}
    enrolled_persons = {p.pk for f in families.values() for p in f.members}
    first = max(f.enrolment.start_month for f in families.values())
    months = [first, add_months(first, 1)]
    reads: list[tuple[object, determination.CountyPopulation]] = []
    evaluated: list[determination.CountyPopulation] = []
    asset_persons: list[np.ndarray] = []
    read, evaluate = payroll_services.read_population, payroll_services.evaluate
    asset_reader = determination._asset_records_postgresql

    def spy_read(*args, **kwargs):  # type: ignore[no-untyped-def]
        population = read(*args, **kwargs)
        reads.append((kwargs.get("households"), population))
        return population

    def spy_evaluate(population, *, system):  # type: ignore[no-untyped-def]
        evaluated.append(population)
        return evaluate(population, system=system)

    def spy_assets(*args, **kwargs):  # type: ignore[no-untyped-def]
        records = asset_reader(*args, **kwargs)
        asset_persons.append(records[:, 0])
        return records

    monkeypatch.setattr(payroll_services, "read_population", spy_read)
    monkeypatch.setattr(payroll_services, "evaluate", spy_evaluate)
    monkeypatch.setattr(determination, "_asset_records_postgresql", spy_assets)

    system = system_in_force()
    due_by_month: dict[dt.date, dict[int, int]] = {}
    for month in months:
        households, due, _members, _regions, assessed = payroll_services.enrolment_due_amounts(
            programme="dibao", county=NANHU, month=month, system=system
        )
        assert set(households.tolist()) == enrolled_ids
        assert assessed.all()
        # One read and one evaluation of the enrolled households, none of the others.
        wanted, population = reads[-1]
        assert wanted is not None and set(np.asarray(wanted).tolist()) == enrolled_ids
        assert evaluated[-1] is population
        assert set(population.household_ids.tolist()) == enrolled_ids
        assert outsider.pk not in population.household_ids
        assert world.families["xinjia"].household.pk not in population.household_ids
        assert set(population.person_ids.tolist()) == enrolled_persons
        if connection.vendor == "postgresql":
            # The outsiders' asset records are not even fetched (the portable reader on
            # SQLite fetches the persons' id range and drops the others' records in numpy).
            fetched = set(asset_persons[-1].tolist())
            assert fetched and fetched <= enrolled_persons
            assert not fetched & {p.pk for p in outsiders}
        # The same amounts as the read of every household of the county.
        got = dict(zip(households.tolist(), due.tolist(), strict=True))
        assert got == _whole_county_due(month, households)
        due_by_month[month] = got
    assert len(reads) == len(evaluated) == len(months)
    # The earner's wage was read: three members get less than three times the single's.
    first_due = due_by_month[first]
    single, trio = (families[name].enrolment.household_id for name in ("single", "trio"))
    assert 0 < first_due[trio] < 3 * first_due[single]
    # And the rules engine's own result of each household (the single assessment, from a
    # verification report of that month).
    for f in families.values():
        verification_report_create(
            actor=None, household=f.enrolment.household, purpose="review", as_of=first
        )
    for household_id, fen in first_due.items():
        dibao = household_assess_unscoped(household_id=household_id, on=first)["programmes"]
        expected = Decimal(str(dibao["dibao"]["monthly_amount"])).quantize(Decimal("0.01"))
        assert Decimal(fen) / 100 == expected, household_id

    # The back pay over both months: the same reads, and one payee-account look-up per
    # household for all the months.
    reads.clear()
    accounts_asked: list[list[int]] = []
    enrolment_accounts = payroll_services.enrolment_accounts

    def spy_accounts(programme: str, households: np.ndarray) -> np.ndarray:
        accounts_asked.append(households.tolist())
        return enrolment_accounts(programme, households)

    monkeypatch.setattr(payroll_services, "enrolment_accounts", spy_accounts)
    result = payroll_services.enrolment_back_pay(
        actor=c.approver,
        county=NANHU,
        first_month=months[0],
        last_month=months[-1],
        pay_month=add_months(months[-1], 1),
    )
    assert [set(np.asarray(w).tolist()) for w, _ in reads] == [enrolled_ids] * len(months)
    assert result.due_rows == len(enrolled_ids) * len(months) and result.not_assessed == 0
    assert accounts_asked == [sorted(enrolled_ids)]
    # No payee accounts: every row rejected, nothing paid or recovered.
    assert result.generation.rejected == result.due_rows
    assert not PaymentLine.objects.filter(kind=LineKind.BACK_PAY).exists()
    assert not Overpayment.objects.exists()


def test_a_county_without_enrolments_reads_nothing(world, monkeypatch):
    c = cast(world)

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the population was read")

    monkeypatch.setattr(payroll_services, "read_population", refuse)
    monkeypatch.setattr(determination, "read_population", refuse)
    month = today().replace(day=1)

    households, due, members, regions, assessed = payroll_services.enrolment_due_amounts(
        programme="dibao", county=NANHU, month=month, system=system_in_force()
    )
    assert [len(a) for a in (households, due, members, regions, assessed)] == [0] * 5

    result = payroll_services.enrolment_back_pay(
        actor=c.approver,
        county=NANHU,
        first_month=add_months(month, -3),
        last_month=add_months(month, -1),
        pay_month=month,
    )
    assert (result.due_rows, result.not_assessed, result.overpayments) == (0, 0, 0)
    assert (result.generation.inserted, result.generation.rejected) == (0, 0)
    event = AuditEvent.objects.get(action="assistance.back_pay.generate")
    assert event.changes["due_rows"] == 0


def test_a_month_before_the_enrolments_start_reads_nothing(world, monkeypatch):
    c = cast(world)
    enrolment = enrolled(c, 86, OLD).enrolment

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the population was read")

    monkeypatch.setattr(payroll_services, "read_population", refuse)
    households, *_rest = payroll_services.enrolment_due_amounts(
        programme="dibao",
        county=NANHU,
        month=add_months(enrolment.start_month, -1),
        system=system_in_force(),
    )
    assert not len(households)
