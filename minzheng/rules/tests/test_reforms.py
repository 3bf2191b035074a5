"""Parameter changes from a date, layered over the YAML values, leave the baseline untouched."""

from __future__ import annotations

import numpy as np
import pytest

from minzheng.rules.batch import determine
from minzheng.rules.reforms import ParameterChange, find_parameter, with_changes
from minzheng.rules.system import tax_benefit_system

CHANGE = ParameterChange(
    name="assistance.dibao.standard.c330481",
    start="2026-09-01",
    value=1150,
    metadata={"reference": "海宁市 notice (test)", "unconfirmed": False},
)


def test_a_change_applies_from_its_effective_date_only():
    baseline = tax_benefit_system()
    reformed = with_changes(baseline, [CHANGE])
    assert reformed.parameters("2026-08-31").assistance.dibao.standard.c330481 == 1085
    assert reformed.parameters("2026-09-01").assistance.dibao.standard.c330481 == 1150
    assert reformed.parameters("2026-09-01").assistance.dibao.standard.c330482 == 1085
    assert baseline.parameters("2026-09-01").assistance.dibao.standard.c330481 == 1085


def test_the_change_records_its_source():
    reformed = with_changes(tax_benefit_system(), [CHANGE])
    parameter = find_parameter(reformed.parameters, CHANGE.name)
    value = next(v for v in parameter.values_list if v.instant_str == "2026-09-01")
    assert value.metadata == {"reference": "海宁市 notice (test)", "unconfirmed": False}


def test_results_change_only_from_the_effective_date():
    reformed = with_changes(tax_benefit_system(), [CHANGE])
    columns = {
        "households": {"county": [330481, 330482]},
        "persons": {"income_transfer": [0.0, 0.0]},
        "person_household": [0, 1],
        "system": reformed,
        "household_outputs": ["dibao_top_up"],
        "person_outputs": [],
    }
    august = determine("2026-08", **columns).households["dibao_top_up"]
    september = determine("2026-09", **columns).households["dibao_top_up"]
    np.testing.assert_allclose(august, [1085, 1085])
    np.testing.assert_allclose(september, [1150, 1085])


def test_an_unknown_parameter_is_named():
    with pytest.raises(KeyError, match=r"assistance\.dibao\.nothing"):
        with_changes(
            tax_benefit_system(),
            [ParameterChange(name="assistance.dibao.nothing", start="2026-01-01", value=1)],
        )
