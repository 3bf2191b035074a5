"""The vectorised entry point: arrays in, arrays out, one simulation for many households."""

from __future__ import annotations

import numpy as np
import pytest

from minzheng.rules.batch import (
    HOUSEHOLD_OUTPUTS,
    PERSON_OUTPUTS,
    BatchInputError,
    build_simulation,
    compute,
    determine,
    encode_county,
    household_sum,
    set_inputs,
)
from minzheng.rules.enums import County


def test_counties_are_encoded_from_codes_or_enum_names():
    expected = [County.c330402.index, County.c330483.index, County.c330411.index]
    assert list(encode_county([330402, 330483, 330411])) == expected
    assert list(encode_county(["330402", "330483", "c330411"])) == expected


def test_an_unknown_county_is_refused():
    with pytest.raises(BatchInputError, match="330400"):
        encode_county([330402, 330400])


def test_arrays_in_arrays_out():
    result = determine(
        "2026-07",
        households={"county": ["330402", "330411", "330421"], "deposits": [0.0, 0.0, 99999.0]},
        persons={
            "income_transfer": [500.0, 0.0, 1300.0, 0.0],
            "birth_date": np.array(
                ["1980-01-01", "2015-01-01", "1980-01-01", "1950-01-01"], dtype="datetime64[D]"
            ),
            "disability_category": ["none", "none", "none", "physical"],
            "disability_grade": [0, 0, 0, 1],
        },
        person_household=[0, 0, 1, 2],
    )
    assert set(result.households) == set(HOUSEHOLD_OUTPUTS)
    assert set(result.persons) == set(PERSON_OUTPUTS)
    np.testing.assert_allclose(result.households["dibao_top_up"], [1670.0, 0.0, 0.0])
    assert list(result.households["on_marginal"]) == [False, True, False]
    assert list(result.households["temporary_type"]) == ["none", "none", "none"]
    assert list(result.persons["self_care"]) == ["full"] * 4
    np.testing.assert_allclose(result.persons["disability_nursing"], [0, 0, 0, 542.5])


def test_the_first_person_of_each_household_is_the_head_by_default():
    simulation = build_simulation(
        "2026-07",
        households={"deposits": [0.0, 0.0]},
        persons={"income_transfer": [0.0, 0.0, 0.0]},
        person_household=[1, 0, 1],
    )
    roles = simulation.populations["household"].members_role
    assert [role.key for role in roles] == ["head", "head", "member"]


def test_a_month_of_the_window_can_be_added():
    simulation = build_simulation(
        "2026-07",
        households={"deposits": [0.0]},
        persons={"income_wage": [1200.0]},
        person_household=[0],
    )
    set_inputs(simulation, "2026-06", persons={"income_wage": [600.0]})
    np.testing.assert_allclose(simulation.calculate("income_wage_average", "2026-07"), [900.0])
    result = compute(
        simulation, "2026-07", household_outputs=["per_capita_income"], person_outputs=[]
    )
    np.testing.assert_allclose(result.households["per_capita_income"], [720.0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"households": {"deposits": [0.0, 0.0]}, "persons": {}, "person_household": [0]},
            "at least one person",
        ),
        (
            {"households": {"deposits": [0.0]}, "persons": {}, "person_household": [1]},
            "outside the households",
        ),
        (
            {
                "households": {"deposits": [0.0]},
                "persons": {"income_wage": [1.0, 2.0]},
                "person_household": [0],
            },
            "expected 1 values",
        ),
        (
            {"households": {"salary": [0.0]}, "persons": {}, "person_household": [0]},
            "no such variable",
        ),
        (
            {"households": {"income_wage": [0.0]}, "persons": {}, "person_household": [0]},
            "a person variable",
        ),
        (
            {"households": {"dibao_top_up": [0.0]}, "persons": {}, "person_household": [0]},
            "computed by the rules",
        ),
        (
            {
                "households": {"deposits": [0.0]},
                "persons": {"disability_category": ["legs"]},
                "person_household": [0],
            },
            "unknown values",
        ),
        (
            {
                "households": {"deposits": [0.0]},
                "persons": {},
                "person_household": [0, 0],
                "person_is_head": [True, True],
            },
            "more than one head",
        ),
    ],
)
def test_bad_arrays_are_refused_with_the_column_named(kwargs, message):
    with pytest.raises(BatchInputError, match=message):
        build_simulation("2026-07", **kwargs)


def test_the_period_is_one_month():
    with pytest.raises(BatchInputError, match="one month"):
        build_simulation("2026", households={"deposits": [0.0]}, persons={}, person_household=[0])


def test_household_sum_adds_person_columns_per_household():
    np.testing.assert_allclose(household_sum([1.0, 2.0, 4.0], [0, 2, 0], 3), [5.0, 0.0, 2.0])


def test_many_households_in_one_simulation_match_the_single_results():
    rng = np.random.default_rng(7)
    n = 500
    sizes = rng.integers(1, 4, n)
    person_household = np.repeat(np.arange(n), sizes)
    households = {
        "county": rng.choice([330402, 330411, 330481], n),
        "deposits": rng.uniform(0, 60000, n),
    }
    persons = {"income_transfer": rng.uniform(0, 2000, len(person_household))}
    together = determine(
        "2026-07", households=households, persons=persons, person_household=person_household
    )
    for h in (0, 17, 499):
        members = np.flatnonzero(person_household == h)
        alone = determine(
            "2026-07",
            households={key: values[h : h + 1] for key, values in households.items()},
            persons={key: values[members] for key, values in persons.items()},
            person_household=np.zeros(len(members), dtype=int),
        )
        for name in ("dibao_top_up", "on_marginal", "assistance_monthly_total"):
            assert together.households[name][h] == pytest.approx(alone.households[name][0])


def test_a_built_population_is_rebased_on_a_reformed_system():
    from minzheng.rules.batch import rebase
    from minzheng.rules.reforms import ParameterChange, with_changes
    from minzheng.rules.system import tax_benefit_system

    simulation = build_simulation(
        "2026-07",
        households={"county": [330402, 330411], "deposits": [0.0, 0.0]},
        persons={"income_transfer": [1100.0, 1100.0]},
        person_household=[0, 1],
    )
    before = compute(simulation, "2026-07", household_outputs=["dibao_top_up"], person_outputs=[])
    reformed = with_changes(
        tax_benefit_system(),
        [ParameterChange(name="assistance.dibao.standard.c330411", start="2026-07-01", value=1200)],
    )
    after = compute(
        rebase(simulation, reformed),
        "2026-07",
        household_outputs=["dibao_top_up"],
        person_outputs=[],
    )
    np.testing.assert_allclose(before.households["dibao_top_up"], [0.0, 0.0])
    np.testing.assert_allclose(after.households["dibao_top_up"], [0.0, 100.0])


def test_the_standard_proposed_for_each_county():
    from minzheng.rules.proposals import propose_dibao_standards

    proposals = propose_dibao_standards(2026)
    assert set(proposals) == {"330402", "330411", "330421", "330424", "330481", "330482", "330483"}
    nanhu = proposals["330402"]
    assert nanhu["proposed_standard"] == 1121  # round(0.45 x 2,490)
    assert nanhu["minimum_wage_previous_year"] == 2490
    assert nanhu["minimum_wage_date"] == "2025-12-31"
    assert nanhu["standard_on_1_january"] == 1085
