"""The YAML tests run through OpenFisca's own machinery and fail the suite when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from openfisca_core.tools import test_runner

from minzheng.rules.system import TESTS_DIR, tax_benefit_system

PROGRAMME_FOLDERS = (
    "income",
    "assets",
    "dibao",
    "marginal",
    "separate_enrolment",
    "tekun",
    "temporary",
    "graduated_exit",
    "stacking",
    "children",
    "disability",
    "standard",
)


def _item(request, test: dict) -> test_runner.YamlItem:
    return test_runner.YamlItem.from_parent(
        request.node.parent,
        name=test["name"],
        baseline_tax_benefit_system=tax_benefit_system(),
        test=test,
        options={},
    )


def _situation(income: float) -> dict:
    return {
        "persons": {"a": {"income_transfer": income}},
        "households": {"h": {"heads": ["a"]}},
    }


def test_a_right_expectation_passes(request):
    item = _item(
        request,
        {
            "name": "right",
            "period": "2026-07",
            "input": _situation(385),
            "output": {"dibao_top_up": 700},
        },
    )
    item.runtest()


def test_a_wrong_expectation_fails(request):
    item = _item(
        request,
        {
            "name": "wrong",
            "period": "2026-07",
            "input": _situation(385),
            "output": {"dibao_top_up": 701},
        },
    )
    with pytest.raises(AssertionError, match="dibao_top_up"):
        item.runtest()


@pytest.mark.parametrize("folder", PROGRAMME_FOLDERS)
def test_every_programme_has_yaml_tests(folder):
    assert list((TESTS_DIR / folder).glob("*.yaml")), f"no YAML tests in tests/{folder}/"


def _own_yaml_files() -> list[Path]:
    return sorted(
        path for folder in PROGRAMME_FOLDERS for path in (TESTS_DIR / folder).glob("*.yaml")
    )


@pytest.mark.parametrize(
    "path", _own_yaml_files(), ids=lambda path: f"{path.parent.name}/{path.name}"
)
def test_test_names_are_unique_within_a_file(path):
    tests = test_runner.yaml.load(path.read_text(encoding="utf-8"), Loader=test_runner.Loader)
    names = [test["name"] for test in tests]
    assert all(names), "every test needs a name"
    assert len(names) == len(set(names))
