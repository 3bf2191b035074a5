"""The recalculation after a standard change reads and evaluates only the enrolled households.

The job's county chunk (``standard_change_recalculate_county``) reads the county's active
enrolments first, then the population of their households only (the determination's county
reader with its household filter): a household of the county without an enrolment is neither
read nor evaluated, and every enrolled one gets the amount of the single-household assessment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection

from minzheng.domains.assistance import determination
from minzheng.domains.assistance.assess import household_assess_unscoped
from minzheng.domains.assistance.models import Enrolment
from minzheng.domains.assistance.models.review import (
    Review,
    ReviewKind,
    ReviewOutcome,
    ReviewStatus,
)
from minzheng.domains.assistance.services import review as reviews
from minzheng.domains.assistance.tests.test_casework_support import today
from minzheng.domains.assistance.tests.test_enrolled_county_support import enrolled_county
from minzheng.domains.assistance.tests.test_payroll_back_pay import _standard
from minzheng.domains.assistance.tests.test_payroll_support import NANHU
from minzheng.kernel.jobs.services import job_run_chunk
from minzheng.kernel.parameters.selectors import system_in_force
from minzheng.kernel.parameters.services import parameter_change_confirm, parameter_change_propose

pytestmark = pytest.mark.django_db


def _month() -> dt.date:
    return today().replace(day=1)


@pytest.fixture
def county(world, settings, tmp_path):
    """南湖区 with four enrolled households (one of them owning a car) and a household that is
    not enrolled (see ``enrolled_county``)."""
    return enrolled_county(world, settings, tmp_path, seq=41, driver=True)


def _confirmed_raise(world, month: dt.date, raise_by: int):  # type: ignore[no-untyped-def]
    change = parameter_change_propose(
        actor=world.city_admin,
        path=f"assistance.dibao.standard.c{NANHU}",
        start=month,
        value=float(_standard(month) + raise_by),
        source_document="嘉政发〔2026〕99号",
    )
    return parameter_change_confirm(actor=world.city_admin, change=change)


def _assessed(household_id: int, month: dt.date) -> dict:  # type: ignore[type-arg]
    return household_assess_unscoped(household_id=household_id, on=month)


def test_only_enrolled_households_are_read_and_each_gets_the_assessed_amount(
    world, county, monkeypatch
):
    _c, families, outsider, outsiders = county
    month = _month()
    change = _confirmed_raise(world, month, 137)
    before = {name: f.enrolment.monthly_amount for name, f in families.items()}
    evaluated: list[determination.CountyPopulation] = []
    asset_persons: list[np.ndarray] = []
    evaluate, asset_reader = determination.evaluate, determination._asset_records_postgresql

    def spy_evaluate(population, *, system):  # type: ignore[no-untyped-def]
        evaluated.append(population)
        return evaluate(population, system=system)

    def spy_assets(*args, **kwargs):  # type: ignore[no-untyped-def]
        records = asset_reader(*args, **kwargs)
        asset_persons.append(records[:, 0])
        return records

    monkeypatch.setattr(determination, "evaluate", spy_evaluate)
    monkeypatch.setattr(determination, "_asset_records_postgresql", spy_assets)

    job = reviews.standard_change_recalculate_start(
        actor=world.city_admin, change=change, counties=[NANHU], enqueue=False
    )
    assert job_run_chunk(job_id=job.pk, key=NANHU)

    # One read and one evaluation of the enrolled households, none of the others.
    assert len(evaluated) == 1
    population = evaluated[0]
    enrolled_ids = {f.enrolment.household_id for f in families.values()}
    assert set(population.household_ids.tolist()) == enrolled_ids
    assert outsider.pk not in population.household_ids
    assert world.families["xinjia"].household.pk not in population.household_ids
    read_persons = set(population.person_ids.tolist())
    assert read_persons == {p.pk for f in families.values() for p in f.members}
    if connection.vendor == "postgresql":
        # The outsiders' asset records are not even fetched (on SQLite the portable reader
        # fetches the persons' id range and drops the others' records in numpy).
        assert len(asset_persons) == 1
        fetched = set(asset_persons[0].tolist())
        assert fetched and fetched <= read_persons
        assert not fetched & {p.pk for p in outsiders}

    # Every enrolled household: the single assessment's amount, or a review left open.
    for name in ("single", "trio", "saver"):
        enrolment = Enrolment.objects.get(pk=families[name].enrolment.pk)
        dibao = _assessed(enrolment.household_id, month)["programmes"]["dibao"]
        expected = Decimal(str(dibao["monthly_amount"])).quantize(Decimal("0.01"))
        assert expected > 0, name
        assert enrolment.monthly_amount == expected, name
        assert enrolment.monthly_amount != before[name], name
    standard = _standard(month)
    assert Enrolment.objects.get(pk=families["single"].enrolment.pk).monthly_amount == standard
    # Three members, 600 yuan a month of wages (counted after the rules' deductions).
    trio = Enrolment.objects.get(pk=families["trio"].enrolment.pk).monthly_amount
    assert 3 * standard - 600 <= trio < 3 * standard
    saver_input = _assessed(families["saver"].enrolment.household_id, month)["input"]
    assert saver_input["assets"]["deposits"] == pytest.approx(5000)
    driver = Enrolment.objects.get(pk=families["driver"].enrolment.pk)
    assert _assessed(driver.household_id, month)["programmes"]["dibao"]["monthly_amount"] == 0
    assert driver.monthly_amount == before["driver"]  # not stopped automatically

    rows = Review.objects.filter(kind=ReviewKind.STANDARD_CHANGE, parameter_change=change)
    assert rows.count() == len(families)
    assert set(rows.values_list("enrolment_id", flat=True)) == {
        f.enrolment.pk for f in families.values()
    }
    left = rows.get(enrolment_id=driver.pk)
    assert (left.status, left.recommended_outcome) == (ReviewStatus.OPEN, ReviewOutcome.STOP)
    assert set(rows.exclude(pk=left.pk).values_list("outcome", flat=True)) == {ReviewOutcome.ADJUST}


def test_a_county_without_enrolments_reads_nothing(world, monkeypatch):
    month = _month()
    change = _confirmed_raise(world, month, 50)

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the population was read")

    monkeypatch.setattr(determination, "read_population", refuse)
    job = reviews.standard_change_recalculate_start(
        actor=world.city_admin, change=change, counties=[NANHU], enqueue=False
    )

    assert job_run_chunk(job_id=job.pk, key=NANHU)
    assert not Review.objects.filter(parameter_change=change).exists()


def _columns(population: determination.CountyPopulation, household_id: int) -> dict:  # type: ignore[type-arg]
    """One household's members' facts, incomes and assets in a population read."""
    index = int(np.searchsorted(population.household_ids, household_id))
    assert population.household_ids[index] == household_id
    members = population.person_household == index
    facts = {
        name: getattr(population, name)[members].tolist()
        for name in (
            "person_ids",
            "person_is_head",
            "relation",
            "birth_date",
            "disability_grade",
            "work_ability",
        )
    }
    facts["rural"] = bool(population.household_rural[index])
    facts["incomes"] = {k: v[members].tolist() for k, v in population.incomes.items()}
    facts["assets"] = {k: v[index].item() for k, v in population.assets.items()}
    return facts


def test_the_household_filter_reads_what_the_whole_county_read_holds(world, county, monkeypatch):
    _c, families, outsider, _outsiders = county
    month = _month()
    months = determination.lookback_months(system_in_force(), month)
    whole = determination.read_population(NANHU, month, lookback_months=months)
    wanted = [families["trio"].enrolment.household_id, outsider.pk]
    other_county = world.families["wangdian"].household.pk
    missing = max(whole.household_ids.tolist()) + 1000

    subset = determination.read_population(
        NANHU, month, lookback_months=months, households=[*wanted, other_county, missing]
    )

    assert subset.household_ids.tolist() == sorted(wanted)  # not another county's, not unknown
    for household_id in wanted:
        assert _columns(subset, household_id) == _columns(whole, household_id)
    held = _columns(subset, outsider.pk)
    assert held["assets"]["vehicles"] == 1
    assert held["assets"]["deposits"] == pytest.approx(800)
    assert max(held["incomes"]["wage"]) == pytest.approx(900)
    empty = determination.read_population(NANHU, month, households=[])
    assert (empty.household_count, empty.person_count) == (0, 0)

    # More households than the portable reader puts in one IN (…): read, then kept in numpy.
    monkeypatch.setattr(determination, "PORTABLE_IN_LIMIT", 1)
    again = determination.read_population(
        NANHU, month, lookback_months=months, households=[*wanted, other_county, missing]
    )
    assert again.household_ids.tolist() == sorted(wanted)
    for household_id in wanted:
        assert _columns(again, household_id) == _columns(whole, household_id)
