"""Every parameter value carries its legal reference and an unconfirmed flag."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openfisca_core.parameters import Parameter, ParameterNode

from minzheng.rules.enums import County
from minzheng.rules.system import tax_benefit_system

# The multidimensional-poverty parameters are maintained separately.
OWN_NODES = ("assistance", "child_welfare", "disability", "minimum_wage")


def _parameters(node: ParameterNode) -> Iterator[Parameter]:
    for child in node.children.values():
        if isinstance(child, Parameter):
            yield child
        elif isinstance(child, ParameterNode):
            yield from _parameters(child)


def _own_parameters() -> list[Parameter]:
    root = tax_benefit_system().parameters
    return [p for name in OWN_NODES for p in _parameters(root.children[name])]


@pytest.mark.parametrize("parameter", _own_parameters(), ids=lambda p: p.name)
def test_every_value_has_a_reference_and_an_unconfirmed_flag(parameter):
    assert parameter.values_list, "a parameter without values"
    for value in parameter.values_list:
        metadata = value.metadata
        assert metadata.get("reference"), f"{parameter.name}@{value.instant_str}: no reference"
        assert isinstance(metadata.get("unconfirmed"), bool), (
            f"{parameter.name}@{value.instant_str}: unconfirmed must be true or false"
        )
        if metadata["unconfirmed"]:
            assert metadata.get("source_note"), (
                f"{parameter.name}@{value.instant_str}: an unconfirmed value needs a source_note"
            )


@pytest.mark.parametrize("node", ["assistance.dibao.standard", "minimum_wage.county_tier"])
def test_per_county_nodes_have_every_county(node):
    parameters = tax_benefit_system().parameters
    for part in node.split("."):
        parameters = parameters.children[part]
    assert sorted(parameters.children) == sorted(County.names)


def test_the_dibao_standard_meets_the_seed_target_from_2022():
    """The seed: at least 10,000 yuan a year (834 a month) by 2022, in every county."""
    for date in ("2022-01-01", "2023-07-01", "2026-07-01"):
        standards = tax_benefit_system().parameters(date).assistance.dibao.standard
        assert all(standards[county] * 12 >= 10_000 for county in County.names)


def test_every_dibao_standard_is_flagged_unconfirmed_until_the_official_figures_are_entered():
    standards = tax_benefit_system().parameters.assistance.dibao.standard
    for county in standards.children.values():
        assert all(value.metadata["unconfirmed"] for value in county.values_list)


def test_the_graduated_exit_is_the_seeds_twelve_months_and_confirmed():
    parameter = tax_benefit_system().parameters.assistance.graduated_exit.exit_grace_months
    value = parameter.values_list[0]
    assert value.value == 12
    assert value.metadata["unconfirmed"] is False
    assert "三(四)" in value.metadata["reference"]


def test_the_marginal_multiple_is_one_of_its_allowed_values():
    parameter = tax_benefit_system().parameters.assistance.marginal.income_multiple
    allowed = parameter.metadata["allowed_values"]
    assert allowed == [1.5, 2.0]
    assert all(value.value in allowed for value in parameter.values_list)


def test_the_county_lookup_equals_openfiscas_vectorial_indexing():
    import numpy as np
    from openfisca_core.indexed_enums import EnumArray

    from minzheng.rules.formulas import per_county

    node = tax_benefit_system().parameters("2026-07-01").assistance.dibao.standard
    county = EnumArray(np.array([6, 0, 3, 3, 1], dtype=np.int16), County)
    np.testing.assert_array_equal(per_county(node, county), node[county])
