"""assess_household: strict validation naming the field, and end-to-end households."""

from __future__ import annotations

import copy
import json

import pytest

from minzheng.rules.assess import AssessInputError, assess_household, assess_households
from minzheng.rules.explain import PROGRAMMES


def household(**changes) -> dict:
    data = {
        "county": "330402",
        "date": "2026-07-01",
        "members": [
            {
                "id": "a",
                "birth_date": "1950-03-01",
                "relation": "head",
                "disability_grade": None,
                "disability_category": None,
                "serious_illness": False,
                "self_care_failed": 0,
                "student": False,
                "work_ability": "full",
                "income": {
                    "wage": 0,
                    "business": 0,
                    "property": 0,
                    "transfer": 0,
                    "pension_basic": 0,
                    "excluded": 0,
                },
            }
        ],
        "assets": {"deposits": 0, "houses": 1, "vehicles": 0, "business": False},
        "expenditure": {"medical": 0, "education": 0, "rehabilitation": 0},
    }
    data.update(changes)
    return data


def member(**changes) -> dict:
    base = copy.deepcopy(household()["members"][0])
    base.update(changes)
    return base


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (household(county="330400"), "county"),
        (household(county=330402), "county"),
        (household(date="2026/07/01"), "date"),
        (household(date="2026-02-30"), "date"),
        (household(date=20260701), "date"),
        (household(members=[]), "members"),
        (household(members=[member(birth_date="1950-3-1")]), "members[0].birth_date"),
        (household(members=[member(birth_date="2027-01-01")]), "members[0].birth_date"),
        (
            household(members=[member(disability_grade=5, disability_category="physical")]),
            "members[0].disability_grade",
        ),
        (household(members=[member(disability_grade=2)]), "members[0].disability_category"),
        (
            household(members=[member(disability_category="physical")]),
            "members[0].disability_grade",
        ),
        (
            household(members=[member(disability_grade=1, disability_category="legs")]),
            "members[0].disability_category",
        ),
        (household(members=[member(self_care_failed=7)]), "members[0].self_care_failed"),
        (household(members=[member(self_care_failed="2")]), "members[0].self_care_failed"),
        (household(members=[member(serious_illness=1)]), "members[0].serious_illness"),
        (household(members=[member(work_ability="some")]), "members[0].work_ability"),
        (household(members=[member(income={"wage": "100"})]), "members[0].income.wage"),
        (household(members=[member(income={"wage": -1})]), "members[0].income.wage"),
        (household(members=[member(income={"salary": 1})]), "members[0].income.salary"),
        (
            household(members=[member(parents_deceased=2, parents_incapacitated=1)]),
            "members[0].parents_incapacitated",
        ),
        (household(members=[member(), member()]), "members[1].id"),
        (household(members=[member(relation="spouse")]), "members"),
        (household(members=[member(), member(id="b")]), "members"),
        (household(members=[member(id="")]), "members[0].id"),
        (
            household(assets={"deposits": 0, "houses": 1.5, "vehicles": 0, "business": False}),
            "assets.houses",
        ),
        (household(assets={"deposits": float("nan")}), "assets.deposits"),
        (household(assets=None), "assets"),
        (household(expenditure={"medical": True}), "expenditure.medical"),
        (household(enrolment={"dibao": True}), "enrolment.dibao_monthly_amount"),
        (
            household(enrolment={"dibao": True, "marginal": True, "dibao_monthly_amount": 1}),
            "enrolment.marginal",
        ),
        (
            household(enrolment={"marginal": True, "exit_since": "2027-01-01"}),
            "enrolment.exit_since",
        ),
        (household(temporary={"need": "a lot"}), "temporary.need"),
        (household(unknown=1), "unknown"),
    ],
)
def test_malformed_input_names_the_field(data, field):
    with pytest.raises(AssessInputError) as raised:
        assess_household(data)
    assert raised.value.field == field
    assert raised.value.message
    assert raised.value.errors[0] == {"field": field, "message": raised.value.message}


def test_a_missing_required_field_is_named():
    data = household()
    del data["assets"]
    with pytest.raises(AssessInputError) as raised:
        assess_household(data)
    assert raised.value.field == "assets"


@pytest.mark.parametrize("data", [None, [], "text", 3])
def test_anything_but_an_object_is_refused(data):
    with pytest.raises(AssessInputError, match="JSON object"):
        assess_household(data)


def test_every_problem_is_listed():
    data = household(county="0", members=[member(birth_date="x", self_care_failed=9)])
    with pytest.raises(AssessInputError) as raised:
        assess_household(data)
    fields = {error["field"] for error in raised.value.errors}
    assert {"county", "members[0].birth_date", "members[0].self_care_failed"} <= fields


def test_several_households_prefix_the_field_with_the_index():
    with pytest.raises(AssessInputError) as raised:
        assess_households([household(), household(county="1")])
    assert raised.value.field == "[1].county"


# ---------------------------------------------------------------- end to end


def test_the_documented_example_is_a_single_person_dibao_household():
    result = assess_household(household())
    assert result["period"] == "2026-07"
    assert result["dibao_standard"] == 1085
    assert list(result["programmes"]) == list(PROGRAMMES)
    for programme in result["programmes"].values():
        assert set(programme) >= {"eligible", "monthly_amount", "explanation"}
    dibao = result["programmes"]["dibao"]
    assert dibao["eligible"] is True
    assert dibao["monthly_amount"] == 1085
    assert dibao["explanation"]["reason_codes"] == []
    assert result["total_monthly_amount"] == 1085
    json.dumps(result)  # plain JSON: no numpy types


def test_a_three_member_household_with_wages():
    data = household(
        members=[
            member(id="a", birth_date="1980-01-01", income={"wage": 2000}),
            member(id="b", relation="spouse", birth_date="1982-01-01"),
            member(id="c", relation="child", birth_date="2012-01-01", student=True),
        ]
    )
    result = assess_household(data)
    dibao = result["programmes"]["dibao"]
    # wages 2000 - employment costs 300 = 1700; per capita 566.67; (1085 - 566.67) x 3 = 1555
    assert dibao["eligible"] is True
    assert dibao["monthly_amount"] == pytest.approx(1555, abs=0.01)
    income_test = dibao["explanation"]["tests"][0]
    assert income_test["per_capita_income"] == pytest.approx(566.67, abs=0.01)


def test_income_above_the_standard_explains_the_numbers():
    data = household(members=[member(income={"transfer": 1200})])
    dibao = assess_household(data)["programmes"]["dibao"]
    assert dibao["eligible"] is False
    assert dibao["monthly_amount"] == 0
    assert dibao["explanation"]["reason_codes"] == ["income_at_or_above_standard"]
    test = dibao["explanation"]["tests"][0]
    assert test == {
        "test": "income_below_standard",
        "passed": False,
        "reason_code": "income_at_or_above_standard",
        "standard": 1085.0,
        "per_capita_income": 1200.0,
        "household_income": 1200.0,
        "members": 1,
        "lookback_months": 12,
    }
    assert assess_household(data)["programmes"]["marginal"]["eligible"] is True


def test_a_tekun_person_with_partial_self_care():
    data = household(members=[member(has_capable_supporter=False, self_care_failed=2)])
    result = assess_household(data)
    tekun = result["programmes"]["tekun"]
    assert tekun["eligible"] is True
    assert tekun["monthly_amount"] == pytest.approx(1825.5)
    entry = tekun["explanation"]["members"][0]
    assert entry["member"] == "a"
    assert entry["self_care"] == {"failed_indicators": 2, "class": "partial_loss"}
    assert result["programmes"]["dibao"]["eligible"] is False
    assert result["total_monthly_amount"] == pytest.approx(1825.5)


def test_separate_enrolment_of_a_disabled_member_of_a_marginal_family():
    data = household(
        members=[
            member(id="a", birth_date="1975-01-01", income={"transfer": 3000}),
            member(
                id="b",
                relation="child",
                birth_date="2000-01-01",
                disability_grade=1,
                disability_category="intellectual",
            ),
        ]
    )
    result = assess_household(data)
    programmes = result["programmes"]
    assert programmes["marginal"]["eligible"] is True
    separate = programmes["separate_enrolment"]
    assert separate["eligible"] is True
    assert separate["monthly_amount"] == 1085
    assert [m["member"] for m in separate["explanation"]["members"]] == ["b"]
    assert programmes["disability_living"]["monthly_amount"] == pytest.approx(325.5)
    assert programmes["disability_nursing"]["monthly_amount"] == pytest.approx(542.5)
    assert result["total_monthly_amount"] == pytest.approx(1085 + 325.5 + 542.5)


def test_the_graduated_exit_month_12_and_13():
    def at(date):
        return assess_household(
            household(
                date=date,
                members=[member(birth_date="1980-01-01", income={"transfer": 1300})],
                enrolment={"dibao": True, "dibao_monthly_amount": 500, "exit_since": "2026-01-10"},
            )
        )["programmes"]

    december = at("2026-12-31")
    assert december["graduated_exit"]["eligible"] is True
    assert december["graduated_exit"]["monthly_amount"] == 500
    assert december["dibao"]["eligible"] is False
    january = at("2027-01-01")
    assert january["graduated_exit"]["eligible"] is False
    assert "grace_months_over" in january["graduated_exit"]["explanation"]["reason_codes"]
    assert january["marginal"]["eligible"] is True


def test_temporary_assistance_reports_the_one_off_amount_and_approval_level():
    data = household(
        members=[member(income={"transfer": 3000})],
        temporary={"emergency": True, "need": 5000},
    )
    temporary = assess_household(data)["programmes"]["temporary"]
    assert temporary["eligible"] is True
    assert temporary["monthly_amount"] == 0
    assert temporary["one_off_amount"] == 5000
    assert temporary["explanation"]["approval_level"] == "county"


def test_the_total_equals_the_rules_monthly_total():
    from minzheng.rules.assess import parse_assess_input, to_columns
    from minzheng.rules.batch import determine

    data = household(
        members=[
            member(
                id="g", birth_date="1952-01-01", disability_grade=2, disability_category="physical"
            ),
            member(id="c", relation="grandchild", birth_date="2015-01-01", parents_deceased=2),
        ]
    )
    result = assess_household(data)
    households, persons, index, heads = to_columns([parse_assess_input(data)])
    batch = determine(
        "2026-07",
        households=households,
        persons=persons,
        person_household=index,
        person_is_head=heads,
    )
    assert result["total_monthly_amount"] == pytest.approx(
        float(batch.households["assistance_monthly_total"][0]), abs=0.01
    )


def test_several_households_give_the_same_results_as_one_by_one():
    items = [
        household(),
        household(county="330411", members=[member(income={"transfer": 1300})]),
        household(members=[member(has_capable_supporter=False)], assets={"deposits": 99999}),
    ]
    together = assess_households(items)
    assert together == [assess_household(item) for item in items]


def test_households_of_different_months_are_refused_together():
    with pytest.raises(AssessInputError) as raised:
        assess_households([household(), household(date="2026-08-01")])
    assert raised.value.field == "date"
