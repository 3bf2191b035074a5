"""explain: stable codes and the numbers compared, for each household and programme."""

from __future__ import annotations

import numpy as np
import pytest

from minzheng.rules.batch import build_simulation
from minzheng.rules.explain import PROGRAMMES, explain


def simulation(households: dict, persons: dict, person_household: list[int]):
    return build_simulation(
        "2026-07",
        households=households,
        persons=persons,
        person_household=np.array(person_household),
    )


def test_every_household_gets_every_programme():
    sim = simulation(
        {"county": ["330402", "330483"], "deposits": [0.0, 30000.0]},
        {"income_transfer": [900.0, 0.0, 0.0]},
        [0, 0, 1],
    )
    explained = explain(sim, "2026-07")
    assert len(explained) == 2
    assert all(list(item) == list(PROGRAMMES) for item in explained)


def test_the_deposits_test_reports_value_limit_and_reason_code():
    sim = simulation({"deposits": [26041.0]}, {"income_transfer": [0.0]}, [0])
    dibao = explain(sim, "2026-07")[0]["dibao"]
    deposits = next(t for t in dibao["explanation"]["tests"] if t["test"] == "deposits_per_capita")
    assert deposits == {
        "test": "deposits_per_capita",
        "passed": False,
        "reason_code": "asset_deposits",
        "value": 26041.0,
        "limit": 26040.0,
        "multiple_of_standard": 24,
        "deposits": 26041.0,
        "members": 1,
    }
    assert dibao["explanation"]["reason_codes"] == ["asset_deposits"]


def test_each_failed_property_test_has_its_own_reason_code():
    sim = simulation(
        {"deposits": [1e6], "houses": [3], "vehicles": [2], "business": [True]},
        {"income_transfer": [0.0]},
        [0],
    )
    codes = explain(sim, "2026-07", programmes=["dibao"])[0]["dibao"]["explanation"]["reason_codes"]
    assert codes == ["asset_deposits", "asset_houses", "asset_vehicles", "asset_business"]


def test_the_covered_members_test_names_excluded_members():
    sim = simulation(
        {"deposits": [0.0]},
        {
            "birth_date": np.array(["1950-01-01", "1970-01-01"], dtype="datetime64[D]"),
            "has_capable_supporter": [False, True],
        },
        [0, 0],
    )
    dibao = explain(sim, "2026-07", programmes=["dibao"])[0]["dibao"]
    covered = next(t for t in dibao["explanation"]["tests"] if t["test"] == "covered_members")
    assert covered["value"] == 1
    assert covered["excluded"] == [{"member": 0, "reason": "paid_as_tekun"}]


def test_tekun_members_are_explained_with_their_criteria():
    sim = simulation(
        {"deposits": [0.0]},
        {"birth_date": np.array(["1970-01-01"], dtype="datetime64[D]")},
        [0],
    )
    tekun = explain(sim, "2026-07", programmes=["tekun"])[0]["tekun"]
    entry = tekun["explanation"]["members"][0]
    assert entry["eligible"] is False
    assert entry["reason_codes"] == ["work_capacity", "has_capable_supporter"]
    capacity = entry["tests"][0]
    assert capacity["age"] == 56
    assert capacity["elderly_age"] == 60
    assert capacity["minor_age"] == 18


def test_only_some_households_can_be_explained():
    sim = simulation(
        {"deposits": [0.0, 0.0, 0.0]}, {"income_transfer": [0.0, 2000.0, 0.0]}, [0, 1, 2]
    )
    explained = explain(sim, "2026-07", households=[1], programmes=["dibao", "marginal"])
    assert len(explained) == 1
    assert explained[0]["dibao"]["eligible"] is False
    assert explained[0]["marginal"]["explanation"]["reason_codes"] == [
        "income_at_or_above_marginal_line"
    ]


def test_an_unknown_programme_is_refused():
    sim = simulation({"deposits": [0.0]}, {"income_transfer": [0.0]}, [0])
    with pytest.raises(ValueError, match="unknown programmes"):
        explain(sim, "2026-07", programmes=["lottery"])


def test_when_no_member_qualifies_the_members_reason_codes_are_gathered():
    sim = simulation(
        {"deposits": [0.0]},
        {
            "birth_date": np.array(["1950-01-01", "1990-01-01"], dtype="datetime64[D]"),
            "income_transfer": [2000.0, 2000.0],
        },
        [0, 0],
    )
    tekun = explain(sim, "2026-07", programmes=["tekun"])[0]["tekun"]
    assert tekun["eligible"] is False
    assert tekun["explanation"]["reason_codes"] == [
        "has_livelihood",
        "has_capable_supporter",
        "work_capacity",
    ]
