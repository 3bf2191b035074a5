"""The per-region Alkire–Foster aggregates and the index weights, against hand-computed examples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from openfisca_core import periods
from openfisca_core.simulation_builder import SimulationBuilder

from minzheng.rules.mpi_aggregate import (
    DIMENSION_NAMES,
    INDICATOR_NAMES,
    aggregate_by_region,
    aggregate_simulation,
    aggregate_total,
    docs_tables,
    nested_weights,
    weights_from_parameters,
)
from minzheng.rules.system import tax_benefit_system

# The illustration of Alkire & Foster (2011), §3: four persons, four equally weighted
# dimensions (income, years of schooling, malnourishment, sanitation), k = 2 of 4.
#   person 1 deprived in nothing       c = 0
#   person 2 in schooling, sanitation  c = 2/4
#   person 3 in all four               c = 4/4
#   person 4 in schooling              c = 1/4
# Poor: persons 2 and 3 → H = 1/2, A = (1/2 + 1) / 2 = 3/4, M0 = 3/8.
# Censored headcounts: income 1/4, schooling 2/4, malnourishment 1/4, sanitation 2/4;
# contributions w_j × CH_j / M0 = 1/6, 1/3, 1/6, 1/3.
AF_G0 = np.array(
    [
        [0, 0, 0, 0],
        [0, 1, 0, 1],
        [1, 1, 1, 1],
        [0, 1, 0, 0],
    ]
)
AF_W = np.full(4, 0.25)
AF_SCORES = AF_G0 @ AF_W
AF_NAMES = ("income", "schooling", "malnourishment", "sanitation")


def test_alkire_foster_illustration():
    result = aggregate_total(AF_SCORES, np.ones(4), AF_G0, AF_W, k=0.5, indicators=AF_NAMES)

    assert result.population.tolist() == [4]
    assert result.poor_population.tolist() == [2]
    assert result.H[0] == pytest.approx(1 / 2)
    assert result.A[0] == pytest.approx(3 / 4)
    assert result.M0[0] == pytest.approx(3 / 8)
    assert result.uncensored_headcount[0] == pytest.approx([1 / 4, 3 / 4, 1 / 4, 2 / 4])
    assert result.censored_headcount[0] == pytest.approx([1 / 4, 2 / 4, 1 / 4, 2 / 4])
    assert result.contribution[0] == pytest.approx([1 / 6, 1 / 3, 1 / 6, 1 / 3])


def test_m0_is_h_times_a_and_the_mean_censored_score():
    result = aggregate_total(AF_SCORES, np.ones(4), AF_G0, AF_W, k=0.5)
    censored_scores = np.where(AF_SCORES >= 0.5, AF_SCORES, 0)

    assert result.M0[0] == pytest.approx(result.H[0] * result.A[0])
    assert result.M0[0] == pytest.approx(censored_scores.mean())
    # M0 is also the weighted sum of the censored headcount ratios.
    assert result.M0[0] == pytest.approx(float(result.censored_headcount[0] @ AF_W))


def test_households_count_with_their_members():
    # Six-indicator local index with the default nested weights: four dimensions of one
    # indicator (1/6 each) and two dimensions of two (1/12 each); k = 1/3.
    w = np.array([1 / 6, 1 / 6, 1 / 6, 1 / 12, 1 / 12, 1 / 6, 1 / 12, 1 / 12])
    g0 = np.array(
        [
            [1, 0, 1, 0, 0, 0, 0, 0],  # 1/6 + 1/6 = 1/3, poor at exactly k, 3 persons
            [1, 1, 1, 1, 0, 1, 0, 0],  # 3/6 + 1/12 + 1/6 = 3/4, poor, 2 persons
            [0, 0, 0, 1, 1, 0, 1, 0],  # 1/12 × 3 = 1/4, not poor, 4 persons
            [0, 0, 0, 0, 0, 0, 0, 0],  # 0, 1 person
        ]
    )
    scores = g0 @ w
    sizes = np.array([3, 2, 4, 1])
    result = aggregate_total(scores, sizes, g0, w, k=1 / 3)

    n, q = 10, 5
    assert result.population[0] == n
    assert result.poor_population[0] == q
    assert result.H[0] == pytest.approx(q / n)
    assert result.A[0] == pytest.approx((3 * (1 / 3) + 2 * (3 / 4)) / q)  # 0.5
    assert result.M0[0] == pytest.approx(0.25)
    # Indicator 0 (income): persons of households 1 and 2 are poor and deprived → 5/10.
    # Indicator 3 (school attendance): household 2 only (household 3 is not poor) → 2/10.
    assert result.censored_headcount[0].tolist() == pytest.approx(
        [0.5, 0.2, 0.5, 0.2, 0, 0.2, 0, 0]
    )
    assert result.uncensored_headcount[0].tolist() == pytest.approx(
        [0.5, 0.2, 0.5, 0.6, 0.4, 0.2, 0.4, 0]
    )
    # income 1/6 × 0.5 / 0.25 = 1/3; school attendance 1/12 × 0.2 / 0.25 = 1/15.
    assert result.contribution[0].tolist() == pytest.approx(
        [1 / 3, 2 / 15, 1 / 3, 1 / 15, 0, 2 / 15, 0, 0]
    )
    assert result.contribution[0].sum() == pytest.approx(1.0)


def test_regions_are_decomposed_and_add_up_to_the_total():
    rng = np.random.default_rng(7)
    n, d = 2_000, 7
    w = np.array([1 / 6, 1 / 6, 1 / 6, 1 / 12, 1 / 12, 1 / 6, 1 / 6])
    g0 = (rng.random((n, d)) < 0.25).astype(np.int8)
    scores = g0 @ w
    sizes = rng.integers(1, 6, size=n)
    regions = rng.choice(np.array(["330402", "330411", "330421", "330424"]), size=n)

    by_region = aggregate_by_region(scores, sizes, regions, g0, w, k=1 / 3)
    total = aggregate_total(scores, sizes, g0, w, k=1 / 3)

    assert by_region.regions.tolist() == ["330402", "330411", "330421", "330424"]
    np.testing.assert_allclose(by_region.M0, by_region.H * by_region.A)
    np.testing.assert_allclose(by_region.contribution.sum(axis=1), 1.0)
    np.testing.assert_allclose(total.contribution.sum(), 1.0)
    # Subgroup decomposability: the national M0 (and H) is the population-share-weighted
    # mean of the regional ones.
    share = by_region.population / by_region.population.sum()
    assert float(share @ by_region.M0) == pytest.approx(total.M0[0])
    assert float(share @ by_region.H) == pytest.approx(total.H[0])
    # Each region checked against a direct (loop) computation.
    for r, code in enumerate(by_region.regions):
        mask = regions == code
        poor = scores[mask] >= 1 / 3 - 1e-9
        persons = sizes[mask]
        assert by_region.population[r] == persons.sum()
        assert by_region.H[r] == pytest.approx(persons[poor].sum() / persons.sum())
        assert by_region.A[r] == pytest.approx(
            (persons[poor] * scores[mask][poor]).sum() / persons[poor].sum()
        )
        expected_ch = (g0[mask] * (persons * poor)[:, None]).sum(axis=0) / persons.sum()
        np.testing.assert_allclose(by_region.censored_headcount[r], expected_ch)


def test_region_with_no_poor_has_zero_intensity_and_contributions():
    g0 = np.array([[1, 0, 0], [0, 0, 0], [1, 1, 1]])
    w = np.full(3, 1 / 3)
    result = aggregate_by_region(g0 @ w, [2, 3, 1], ["a", "a", "b"], g0, w, k=0.5)

    a, b = 0, 1
    assert result.H[a] == 0
    assert result.A[a] == 0
    assert result.M0[a] == 0
    assert result.contribution[a].tolist() == [0, 0, 0]
    assert result.uncensored_headcount[a].tolist() == pytest.approx([0.4, 0, 0])
    assert result.H[b] == 1
    assert result.A[b] == pytest.approx(1)
    assert result.contribution[b].tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3])


def test_region_order_reports_empty_regions_as_zero_rows():
    g0 = np.array([[1, 1], [0, 0]])
    w = np.array([0.5, 0.5])
    result = aggregate_by_region(
        g0 @ w,
        [1, 1],
        ["330411", "330402"],
        g0,
        w,
        k=0.5,
        region_order=["330402", "330411", "330421"],
    )

    assert result.regions.tolist() == ["330402", "330411", "330421"]
    assert result.population.tolist() == [1, 1, 0]
    assert result.H.tolist() == [0, 1, 0]
    assert result.M0.tolist() == [0, 1, 0]
    assert result.contribution.tolist() == [[0, 0], [0.5, 0.5], [0, 0]]

    with pytest.raises(ValueError, match="not in region_order"):
        aggregate_by_region(g0 @ w, [1, 1], ["330411", "x"], g0, w, region_order=["330411"])


def test_score_exactly_k_is_poor_despite_float_rounding():
    # With the default nested weights, 1/6 + 1/6 + 1/12 + 1/12 is 0.49999999999999994 in
    # floating point, just below 1/2: the household must still reach k = 1/2.
    w = np.array([1 / 6, 1 / 6, 1 / 12, 1 / 12, 1 / 2])
    g0 = np.array([[1, 1, 1, 1, 0]])
    scores = g0 @ w
    assert scores[0] < 0.5

    result = aggregate_total(scores, [4], g0, w, k=0.5, severe_cutoff=0.5)

    assert result.H[0] == 1
    assert result.severe_headcount is not None
    assert result.severe_headcount[0] == 1


def test_vulnerable_and_severe_bands():
    w = np.full(10, 0.1)
    g0 = np.zeros((5, 10), dtype=int)
    for i, deprived in enumerate([1, 2, 3, 4, 5]):  # scores 0.1, 0.2, 0.3, 0.4, 0.5
        g0[i, :deprived] = 1
    result = aggregate_total(
        g0 @ w, [1, 1, 1, 1, 1], g0, w, k=0.4, vulnerable_floor=0.2, severe_cutoff=0.5
    )

    assert result.H[0] == pytest.approx(2 / 5)  # 0.4 and 0.5
    assert result.vulnerable_headcount is not None
    assert result.severe_headcount is not None
    assert result.vulnerable_headcount[0] == pytest.approx(2 / 5)  # 0.2 and 0.3
    assert result.severe_headcount[0] == pytest.approx(1 / 5)  # 0.5
    record = result.as_records()[0]
    assert record["region"] == "all"
    assert record["vulnerable_headcount"] == pytest.approx(0.4)
    assert sum(record["contribution"].values()) == pytest.approx(1.0)


def test_empty_input_gives_no_regions():
    result = aggregate_by_region([], [], [], np.zeros((0, 2)), [0.5, 0.5])

    assert len(result.regions) == 0
    assert result.contribution.shape == (0, 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": [0.5, 0.4]}, "sum to 1"),
        ({"deprivations": [[1, 0, 0], [0, 0, 0]]}, "shape"),
        ({"deprivations": [[2, 0], [0, 0]]}, "0/1"),
        ({"scores": [0.4, 0]}, "scores differ"),
        ({"sizes": [1, -1]}, "non-negative"),
        ({"regions": ["a"]}, "same length"),
    ],
)
def test_inconsistent_input_is_refused(kwargs, message):
    arguments = {
        "scores": [0.5, 0.0],
        "sizes": [1, 1],
        "regions": ["a", "a"],
        "deprivations": [[1, 0], [0, 0]],
        "weights": [0.5, 0.5],
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        aggregate_by_region(**arguments)


# ---------------------------------------------------------------- weights


def test_default_parameters_give_nested_equal_weights():
    mpi = tax_benefit_system().parameters("2024-07-01").mpi

    weights = weights_from_parameters(mpi)

    assert INDICATOR_NAMES == (
        "income",
        "rigid_spending",
        "health",
        "school_attendance",
        "schooling",
        "housing",
        "care",
    )
    assert weights.tolist() == pytest.approx([1 / 6, 1 / 6, 1 / 6, 1 / 12, 1 / 12, 1 / 6, 1 / 6])
    assert weights.sum() == pytest.approx(1.0)


def test_nested_weights_rescale_relative_weights():
    dimensions = dict.fromkeys(DIMENSION_NAMES, 1.0) | {"income": 2.0}
    indicators = dict.fromkeys(INDICATOR_NAMES, 1.0) | {"schooling": 3.0}

    weights = dict(zip(INDICATOR_NAMES, nested_weights(dimensions, indicators), strict=True))

    # Income weighs 2 of 7 dimension units; schooling 3/4 of the education dimension's 1/7.
    assert weights["income"] == pytest.approx(2 / 7)
    assert weights["health"] == pytest.approx(1 / 7)
    assert weights["school_attendance"] == pytest.approx(1 / 7 / 4)
    assert weights["schooling"] == pytest.approx(1 / 7 * 3 / 4)
    assert sum(weights.values()) == pytest.approx(1.0)


def test_a_dimension_without_weighted_indicators_is_dropped():
    indicators = dict.fromkeys(INDICATOR_NAMES, 1.0) | {"school_attendance": 0, "schooling": 0}

    weights = dict(
        zip(
            INDICATOR_NAMES,
            nested_weights(dict.fromkeys(DIMENSION_NAMES, 1.0), indicators),
            strict=True,
        )
    )

    assert weights["school_attendance"] == weights["schooling"] == 0
    assert weights["income"] == pytest.approx(1 / 5)
    assert sum(weights.values()) == pytest.approx(1.0)


def test_all_zero_or_negative_weights_are_refused():
    with pytest.raises(ValueError, match="weighs 0"):
        nested_weights(dict.fromkeys(DIMENSION_NAMES, 0.0), dict.fromkeys(INDICATOR_NAMES, 1.0))
    with pytest.raises(ValueError, match="non-negative"):
        nested_weights(
            dict.fromkeys(DIMENSION_NAMES, 1.0), dict.fromkeys(INDICATOR_NAMES, 1.0) | {"care": -1}
        )


# ---------------------------------------------------------------- from the rules to the regions


def test_aggregates_of_a_simulation_of_the_rules():
    month = "2024-07"
    persons = {
        # 330402, household h1 (3 persons): no income and a seriously ill member → 1/6 + 1/6.
        "p1": {},
        "p2": {"serious_illness": {month: True}},
        "p3": {},
        # 330402, household h2 (1 person): not deprived.
        "p4": {"income_transfer": {month: 5000}},
        # 330411, household h3 (2 persons): income, no house, a dependent member → 3 × 1/6.
        "p5": {},
        "p6": {"self_care_failed": {month: 4}},
        # 330411, household h4 (4 persons): income and years of schooling → 1/6 + 1/12.
        **{f"p{i}": {"education_level": {month: "none"}} for i in range(7, 11)},
    }

    def household(county, members, houses=1):
        return {
            "heads": members[:1],
            "members": members[1:],
            "county": {"ETERNITY": county},
            "houses": {month: houses},
            "dibao_standard": {month: 1000},
        }

    simulation = SimulationBuilder().build_from_entities(
        tax_benefit_system(),
        {
            "persons": persons,
            "households": {
                "h1": household("c330402", ["p1", "p2", "p3"]),
                "h2": household("c330402", ["p4"]),
                "h3": household("c330411", ["p5", "p6"], houses=0),
                "h4": household("c330411", ["p7", "p8", "p9", "p10"]),
            },
        },
    )
    period = periods.period(month)

    result = aggregate_simulation(simulation, period, region_order=["330402", "330411", "330421"])

    assert result.regions.tolist() == ["330402", "330411", "330421"]
    assert result.indicators == INDICATOR_NAMES
    assert result.population.tolist() == [4, 6, 0]
    assert result.H.tolist() == pytest.approx([3 / 4, 2 / 6, 0])
    assert result.A.tolist() == pytest.approx([1 / 3, 1 / 2, 0])
    assert result.M0.tolist() == pytest.approx([1 / 4, 1 / 6, 0])
    contribution = [dict(zip(INDICATOR_NAMES, row, strict=True)) for row in result.contribution]
    assert contribution[0]["income"] == pytest.approx(0.5)
    assert contribution[0]["health"] == pytest.approx(0.5)
    assert contribution[1]["income"] == pytest.approx(1 / 3)
    assert contribution[1]["housing"] == pytest.approx(1 / 3)
    assert contribution[1]["care"] == pytest.approx(1 / 3)
    assert contribution[1]["schooling"] == 0  # h4 is deprived in it but not poor
    assert result.uncensored_headcount[1][INDICATOR_NAMES.index("schooling")] == pytest.approx(
        4 / 6
    )
    assert result.vulnerable_headcount is not None
    assert result.severe_headcount is not None
    assert result.vulnerable_headcount.tolist() == pytest.approx([0, 4 / 6, 0])
    assert result.severe_headcount.tolist() == pytest.approx([0, 2 / 6, 0])

    total = aggregate_simulation(simulation, period, regions=np.full(4, "嘉兴市"))
    assert total.H[0] == pytest.approx(5 / 10)
    assert total.A[0] == pytest.approx((3 * 1 / 3 + 2 * 1 / 2) / 5)
    assert total.M0[0] == pytest.approx(0.2)


# ---------------------------------------------------------------- documentation


def test_docs_tables_match_the_parameters():
    page = Path(__file__).resolve().parents[3] / "docs" / "rules" / "mpi.md"

    tables = docs_tables(tax_benefit_system().parameters.mpi)

    assert tables in page.read_text(encoding="utf-8"), (
        "docs/rules/mpi.md is out of date: run "
        "`.venv/bin/python -m minzheng.rules.mpi_aggregate docs/rules/mpi.md`"
    )
    assert "⚠ unconfirmed" in tables
    assert "| 教育 Education | `schooling` | 8.33 % |" in tables
