"""The assess endpoints: JSON in, every programme out; malformed input is a 422 naming the field."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from minzheng.kernel.verification.models import ReportPurpose, VerificationReport
from minzheng.rules.explain import PROGRAMMES
from minzheng.web.api.tests.helpers import ApiClient, assert_problem

pytestmark = pytest.mark.django_db

URL = "assistance/assess"

ELDERLY_SINGLE: dict[str, Any] = {
    "county": "330402",
    "date": "2026-07-01",
    "members": [
        {
            "id": "a",
            "birth_date": "1950-03-01",
            "relation": "head",
            "income": {"transfer": 300},
        }
    ],
    "assets": {"deposits": 0, "houses": 1, "vehicles": 0, "business": False},
}

WORKING_FAMILY: dict[str, Any] = {
    "county": "330402",
    "date": "2026-07-01",
    "members": [
        {"id": "f", "birth_date": "1980-01-01", "relation": "head", "income": {"wage": 9000}},
        {"id": "m", "birth_date": "1982-05-01", "relation": "spouse", "income": {"wage": 7000}},
        {"id": "c", "birth_date": "2012-09-01", "relation": "child", "student": True},
    ],
    "assets": {"deposits": 50000, "houses": 1, "vehicles": 1, "business": False},
}


@pytest.fixture
def admin(world) -> ApiClient:
    return ApiClient(world.city_admin)


def _with(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `base` with the dotted `path` ("members.0.birth_date") set, or removed (...)."""
    data = copy.deepcopy(base)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return data


def test_a_poor_elderly_single_gets_dibao_topping_income_up_to_the_standard(admin):
    response = admin.post(URL, ELDERLY_SINGLE)

    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body["programmes"]) == list(PROGRAMMES)
    dibao = body["programmes"]["dibao"]
    assert dibao["eligible"] is True
    assert dibao["monthly_amount"] == pytest.approx(body["dibao_standard"] - 300)
    assert dibao["explanation"]["reason_codes"] == []
    income_test = dibao["explanation"]["tests"][0]
    assert income_test["test"] == "income_below_standard"
    assert income_test["passed"] is True
    assert income_test["per_capita_income"] == 300
    assert body["total_monthly_amount"] == pytest.approx(dibao["monthly_amount"])


def test_a_family_above_the_line_is_refused_with_the_failing_test_explained(admin):
    response = admin.post(URL, WORKING_FAMILY)

    assert response.status_code == 200, response.content
    dibao = response.json()["programmes"]["dibao"]
    assert dibao["eligible"] is False
    assert dibao["monthly_amount"] == 0
    assert "income_at_or_above_standard" in dibao["explanation"]["reason_codes"]
    failed = [t for t in dibao["explanation"]["tests"] if not t["passed"]]
    income = next(t for t in failed if t["test"] == "income_below_standard")
    assert income["per_capita_income"] > income["standard"]


def test_several_failed_asset_tests_each_have_their_reason_code(admin):
    data = _with(_with(ELDERLY_SINGLE, "assets.vehicles", 2), "assets.business", True)

    dibao = admin.post(URL, data).json()["programmes"]["dibao"]

    assert dibao["eligible"] is False
    assert {"asset_vehicles", "asset_business"} <= set(dibao["explanation"]["reason_codes"])


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("members", ..., "members"),
        ("members", [], "members"),
        ("members.0.birth_date", "1950-02-30", "members[0].birth_date"),
        ("members.0.birth_date", "01/03/1950", "members[0].birth_date"),
        ("members.0.birth_date", "2030-01-01", "members[0].birth_date"),
        ("date", "2026-13-01", "date"),
        ("date", "2001-07-01", "date"),  # before the parameters start
        ("members.0.income.wage", -1, "members[0].income.wage"),
        ("members.0.income.transfer", "300", "members[0].income.transfer"),
        ("county", "330499", "county"),
        ("county", 330402, "county"),
        ("members.0.student", 1, "members[0].student"),
        ("members.0.self_care_failed", 7, "members[0].self_care_failed"),
        ("members.0.disability_grade", 2, "members[0].disability_category"),
        ("members.0.relation", "spouse", "members"),  # no head
        ("assets.houses", 1.5, "assets.houses"),
        ("assets.cars", 1, "assets.cars"),
        ("assets", ..., "assets"),
    ],
)
def test_malformed_input_is_a_422_naming_the_field(admin, path, value, field):
    response = admin.post(URL, _with(ELDERLY_SINGLE, path, value))

    body = assert_problem(response, 422, "assess_input_invalid")
    assert field in [error["field"] for error in body["errors"]], body["errors"]
    assert all(error["location"] == "body" for error in body["errors"])


def test_every_problem_is_listed(admin):
    data = _with(_with(ELDERLY_SINGLE, "county", "x"), "members.0.income.wage", -5)

    body = assert_problem(admin.post(URL, data), 422)

    assert {"county", "members[0].income.wage"} <= {error["field"] for error in body["errors"]}


@pytest.mark.parametrize("raw", ["{", "[1, 2", "[" * 5000 + "]" * 5000])
def test_a_body_that_is_not_json_is_a_400(admin, raw):
    response = admin.client.post(
        "/api/v1/assistance/assess", raw, content_type="application/json", headers=admin.headers
    )
    assert_problem(response, 400)


@pytest.mark.parametrize("body", [[], "text", 3, None])
def test_a_body_that_is_not_an_object_is_a_422(admin, body):
    response = admin.client.post(
        "/api/v1/assistance/assess",
        json.dumps(body),
        content_type="application/json",
        headers=admin.headers,
    )
    assert_problem(response, 422)


def test_assessing_needs_a_staff_login(client):
    response = client.post("/api/v1/assistance/assess", ELDERLY_SINGLE, "application/json")
    assert_problem(response, 401)


# --- a household of the register --------------------------------------------------------


def _assessment(api: ApiClient, household_id: int, day: str = "2026-07-01"):
    return api.get(f"assistance/households/{household_id}/assessment", date=day)


def test_a_register_household_is_assessed_from_its_members(world):
    family = world.families["xinjia"]

    response = _assessment(ApiClient(world.town_clerk), family.household.pk)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["household_id"] == family.household.pk
    assert body["county"] == "330402"
    assert sorted(m["id"] for m in body["input"]["members"]) == sorted(
        str(p.pk) for p in family.members
    )
    head = next(m for m in body["input"]["members"] if m["id"] == str(family.head.pk))
    assert head["relation"] == "head"
    assert head["birth_date"] == family.head.birth_date.isoformat()
    # No verification report: incomes are zero, and the answer says so.
    assert body["basis"]["verification_report_id"] is None
    assert any(note.startswith("no_verification_report") for note in body["basis"]["notes"])
    assert body["programmes"]["dibao"]["eligible"] is True


def test_incomes_and_assets_come_from_the_latest_verification_report(world):
    family = world.families["xinjia"]
    head_wage = 20000.0
    VerificationReport.objects.create(
        household=family.household,
        purpose=ReportPurpose.DIBAO,
        as_of=dt.date(2026, 6, 15),
        window_start=dt.date(2025, 6, 1),
        window_end=dt.date(2026, 5, 31),
        summary={
            "members": [{"person_id": family.head.pk, "income_monthly": {"wage": head_wage}}],
            "household": {"assets": {"deposits": 1000, "houses": 1, "vehicles": 0}},
        },
    )

    body = _assessment(ApiClient(world.town_clerk), family.household.pk).json()

    head = next(m for m in body["input"]["members"] if m["id"] == str(family.head.pk))
    assert head["income"]["wage"] == head_wage
    assert body["input"]["assets"]["deposits"] == 1000
    assert body["basis"]["verification_as_of"] == "2026-06-15"
    assert body["programmes"]["dibao"]["eligible"] is False
    # A report made after the day assessed is not used.
    earlier = _assessment(ApiClient(world.town_clerk), family.household.pk, "2026-06-01").json()
    assert earlier["basis"]["verification_report_id"] is None


def test_members_who_joined_later_are_not_counted(world):
    family = world.families["xinjia"]  # the child joined on 2012-01-20 (its birth)

    body = _assessment(ApiClient(world.city_admin), family.household.pk, "2024-01-01").json()
    assert len(body["input"]["members"]) == 3


def test_a_household_outside_the_clerks_town_is_not_found(world):
    wangdian = world.families["wangdian"].household

    response = _assessment(ApiClient(world.town_clerk), wangdian.pk)

    assert_problem(response, 404, "household_not_found")
    assert _assessment(ApiClient(world.other_town_clerk), wangdian.pk).status_code == 200


@pytest.mark.parametrize("day", ["2026-02-30", "2026-7-1", "2001-01-01", "today"])
def test_a_bad_assessment_date_is_a_422(world, day):
    household = world.families["xinjia"].household
    body = assert_problem(_assessment(ApiClient(world.town_clerk), household.pk, day), 422)
    assert body["errors"][0]["field"] == "date"


def test_without_a_date_the_household_is_assessed_today(world):
    household = world.families["xinjia"].household
    response = ApiClient(world.town_clerk).get(f"assistance/households/{household.pk}/assessment")
    assert response.status_code == 200, response.content
    assert response.json()["date"] == timezone.localdate().isoformat()
