"""The bridge: assessments use the parameters in force; the command prints JSON."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command

from minzheng.common.errors import NotFound
from minzheng.domains.assistance.assess import (
    AssessInputInvalid,
    assess_json,
    household_assessment_input,
)
from minzheng.kernel.parameters.services import parameter_change_confirm, parameter_change_propose

pytestmark = pytest.mark.django_db

NANHU_STANDARD = "assistance.dibao.standard.c330402"


def _single(day: str, county: str = "330402") -> dict:
    return {
        "county": county,
        "date": day,
        "members": [
            {"id": "a", "birth_date": "1950-03-01", "relation": "head", "income": {"transfer": 300}}
        ],
        "assets": {"houses": 1},
    }


def test_a_confirmed_standard_changes_results_only_from_its_effective_date(world):
    july, august = assess_json(data=_single("2026-07-31")), assess_json(data=_single("2026-08-01"))
    xiuzhou = assess_json(data=_single("2026-08-01", county="330411"))
    new_standard = august["dibao_standard"] + 300
    change = parameter_change_propose(
        actor=world.city_admin,
        path=NANHU_STANDARD,
        start=dt.date(2026, 8, 1),
        value=new_standard,
        source_document="嘉政发〔2026〕12号",
    )
    assert assess_json(data=_single("2026-08-01")) == august  # proposed: no effect yet

    parameter_change_confirm(actor=world.city_admin, change=change)

    assert assess_json(data=_single("2026-07-31")) == july
    after = assess_json(data=_single("2026-08-01"))
    assert after["dibao_standard"] == new_standard
    assert after["programmes"]["dibao"]["monthly_amount"] == pytest.approx(new_standard - 300)
    assert assess_json(data=_single("2027-03-01"))["dibao_standard"] == new_standard
    # Another county keeps its standard.
    assert assess_json(data=_single("2026-08-01", county="330411")) == xiuzhou


def test_malformed_json_raises_an_error_naming_every_field():
    data = _single("2026-07-01")
    data["members"][0]["birth_date"] = "1950-02-30"
    with pytest.raises(AssessInputInvalid) as caught:
        assess_json(data=data)
    assert caught.value.status == 422
    assert [e["field"] for e in caught.value.errors] == ["members[0].birth_date"]


def test_the_register_input_is_the_assess_json(world):
    family = world.families["wangdian"]

    data = household_assessment_input(
        actor=world.other_town_clerk, household_id=family.household.pk, on=dt.date(2026, 7, 1)
    )

    assert data["county"] == "330411"
    assert data["date"] == "2026-07-01"
    assert [m["relation"] for m in data["members"]].count("head") == 1
    assert all(m["income"]["wage"] == 0 for m in data["members"])
    assert assess_json(data=data)["county"] == "330411"


def test_the_register_input_is_scoped(world):
    household = world.families["wangdian"].household
    with pytest.raises(NotFound):
        household_assessment_input(
            actor=world.town_clerk, household_id=household.pk, on=dt.date(2026, 7, 1)
        )


# --- the command ------------------------------------------------------------------------


def test_the_command_prints_the_assessment_as_json(tmp_path, capsys):
    path = tmp_path / "household.json"
    path.write_text(json.dumps(_single("2026-07-01")), encoding="utf-8")

    call_command("assistance_assess", str(path))

    result = json.loads(capsys.readouterr().out)
    assert result["programmes"]["dibao"]["eligible"] is True


def test_the_command_assesses_a_register_household(world, capsys):
    household = world.families["xinjia"].household

    call_command("assistance_assess", household=household.pk, date="2026-07-01")

    result = json.loads(capsys.readouterr().out)
    assert result["household_id"] == household.pk


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{", "not valid JSON"),
        ('{"county": "330402"}', "problem(s)"),
    ],
)
def test_the_command_refuses_bad_input(tmp_path, capsys, content, expected):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError, match=r".") as caught:
        call_command("assistance_assess", str(path))

    assert expected in str(caught.value)
    if expected == "problem(s)":
        assert "error: members:" in capsys.readouterr().err


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"household": 10**9, "date": "2026-07-01"},
        {"household": 1},
        {"household": 1, "date": "July"},
    ],
)
def test_the_command_refuses_bad_options(db, options):
    with pytest.raises(CommandError):
        call_command("assistance_assess", **options)
