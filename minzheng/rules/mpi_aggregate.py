"""Alkire–Foster aggregates of the multidimensional poverty index, per region.

Pure numpy, no OpenFisca and no Django: the caller passes the household results of the
rules (``mpi_score``, the ``mpi_deprived_*`` indicators, the household size) as arrays,
and gets for every region

- ``H``  — headcount ratio: share of persons living in a poor household (``c_i ≥ k``);
- ``A``  — intensity: average deprivation score of the poor (0 where nobody is poor);
- ``M0`` — adjusted headcount ratio ``H × A``, equal to the mean censored score;
- each indicator's censored headcount ratio ``CH_j`` (share of persons who are poor *and*
  deprived in ``j``) and its contribution to M0, ``w_j × CH_j / M0`` (0 where M0 is 0).

The household is the unit of identification and the person the unit of analysis, as in the
global MPI: every household counts with the number of its members (or any other
non-negative population weight the caller passes as ``sizes``). Everything is vectorised with
``np.bincount`` over integer region indices; there is no Python loop over households or
regions.

Reference: Alkire & Foster, "Counting and Multidimensional Poverty Measurement", Journal of
Public Economics 95 (2011); Alkire et al., *Multidimensional Poverty Measurement and
Analysis* (OUP 2015), chapter 5.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Scores are sums of float weights (1/6 + 1/6 + 1/12 + 1/12 is 0.49999999999999994) and
#: OpenFisca stores them in single precision: a score within this distance of a cut-off counts
#: as reaching it, so that "exactly k" is poor whatever the rounding. Distinct scores differ by
#: far more (a weight), so the tolerance never changes a real classification.
TOLERANCE = 1e-6

#: The global MPI's poverty cut-off k (DOMAIN-RULES §4.2); callers pass the dated parameter.
GLOBAL_MPI_K = 1 / 3

#: The indicators of the Jiaxing index as (indicator, dimension), in the column order of the
#: deprivation matrix. The household variable of each is ``mpi_deprived_<indicator>``; its
#: relative weights are ``mpi.weights.dimensions.<dimension>`` and
#: ``mpi.weights.indicators.<indicator>``.
INDICATORS: tuple[tuple[str, str], ...] = (
    ("income", "income"),
    ("rigid_spending", "rigid_spending"),
    ("health", "health"),
    ("school_attendance", "education"),
    ("schooling", "education"),
    ("housing", "housing"),
    ("care", "care"),
)

INDICATOR_NAMES: tuple[str, ...] = tuple(name for name, _ in INDICATORS)
DIMENSION_NAMES: tuple[str, ...] = tuple(dict.fromkeys(dimension for _, dimension in INDICATORS))


def nested_weights(
    dimension_weights: Mapping[str, float],
    indicator_weights: Mapping[str, float],
    indicators: Sequence[tuple[str, str]] = INDICATORS,
) -> NDArray[np.float64]:
    """Each indicator's weight from relative dimension and within-dimension weights.

    ``w_j = (W_d / Σ W) × (v_j / Σ_{i in d} v_i)`` over the dimensions that keep some weight, so
    equal relative weights give nested equal weights and the result always sums to 1. A
    dimension whose indicators all weigh 0 is dropped and the others are scaled up.
    """
    dimension_of = [dimension for _, dimension in indicators]
    v = np.array([float(indicator_weights[name]) for name, _ in indicators], dtype=np.float64)
    big_w = {d: float(dimension_weights[d]) for d in dict.fromkeys(dimension_of)}
    if (v < 0).any() or any(weight < 0 for weight in big_w.values()):
        raise ValueError("weights must be non-negative")
    within = {d: float(sum(v[j] for j, dj in enumerate(dimension_of) if dj == d)) for d in big_w}
    active = {d: big_w[d] for d in big_w if big_w[d] > 0 and within[d] > 0}
    total = sum(active.values())
    if total <= 0:
        raise ValueError("every dimension or indicator weighs 0")
    return np.array(
        [
            active[d] / total * v[j] / within[d] if d in active else 0.0
            for j, d in enumerate(dimension_of)
        ],
        dtype=np.float64,
    )


def weights_from_parameters(mpi: Any) -> NDArray[np.float64]:
    """The indicator weights, in the order of INDICATORS, from the ``mpi`` parameter node at an
    instant (``tax_benefit_system.parameters(date).mpi``)."""
    return nested_weights(
        {d: mpi.weights.dimensions[d] for d in DIMENSION_NAMES},
        {name: mpi.weights.indicators[name] for name in INDICATOR_NAMES},
    )


@dataclass(frozen=True)
class RegionAggregates:
    """AF aggregates, one entry (row) per region, in the order of ``regions``.

    Ratios are shares of persons in ``[0, 1]``; contributions are shares of M0 in ``[0, 1]``
    that add up to 1 in every region with ``M0 > 0`` (and are all 0 where ``M0 == 0``).
    """

    regions: NDArray[Any]
    indicators: tuple[str, ...]
    weights: NDArray[np.float64]
    k: float
    population: NDArray[np.float64]
    poor_population: NDArray[np.float64]
    H: NDArray[np.float64]
    A: NDArray[np.float64]
    M0: NDArray[np.float64]
    uncensored_headcount: NDArray[np.float64]
    censored_headcount: NDArray[np.float64]
    contribution: NDArray[np.float64]
    vulnerable_headcount: NDArray[np.float64] | None = None
    severe_headcount: NDArray[np.float64] | None = None

    def as_records(self) -> list[dict[str, Any]]:
        """One plain dict per region, for reports, JSON and the dashboard."""
        records = []
        for r, region in enumerate(self.regions.tolist()):
            record: dict[str, Any] = {
                "region": region,
                "population": float(self.population[r]),
                "poor_population": float(self.poor_population[r]),
                "H": float(self.H[r]),
                "A": float(self.A[r]),
                "M0": float(self.M0[r]),
                "uncensored_headcount": dict(
                    zip(self.indicators, self.uncensored_headcount[r].tolist(), strict=True)
                ),
                "censored_headcount": dict(
                    zip(self.indicators, self.censored_headcount[r].tolist(), strict=True)
                ),
                "contribution": dict(
                    zip(self.indicators, self.contribution[r].tolist(), strict=True)
                ),
            }
            if self.vulnerable_headcount is not None:
                record["vulnerable_headcount"] = float(self.vulnerable_headcount[r])
            if self.severe_headcount is not None:
                record["severe_headcount"] = float(self.severe_headcount[r])
            records.append(record)
        return records


def _safe_divide(numerator: NDArray[np.float64], denominator: NDArray[np.float64]) -> Any:
    """numerator / denominator, 0 where the denominator is 0 (broadcasts over columns)."""
    out = np.zeros(np.broadcast(numerator, denominator).shape, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _sum_by(index: NDArray[np.intp], values: Any, length: int) -> NDArray[np.float64]:
    """Sum of ``values`` per bin of ``index`` (``np.bincount`` with weights), as floats."""
    return np.bincount(index, weights=values, minlength=length).astype(np.float64, copy=False)


def _region_index(
    regions: NDArray[Any], region_order: Sequence[Any] | ArrayLike | None
) -> tuple[NDArray[Any], NDArray[np.intp]]:
    """The regions to report and each household's row index into them."""
    unique, inverse = np.unique(regions, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.intp)
    if region_order is None:
        return unique, inverse
    order = np.asarray(region_order)
    row = {code: i for i, code in enumerate(order.tolist())}
    if len(row) != len(order):
        raise ValueError("region_order lists a region twice")
    missing = [code for code in unique.tolist() if code not in row]
    if missing:
        raise ValueError(f"regions not in region_order: {missing[:10]}")
    # One dictionary lookup per distinct region, then a vectorised gather per household.
    rows = np.array([row[code] for code in unique.tolist()], dtype=np.intp)
    return order, rows[inverse]


def aggregate_by_region(
    scores: ArrayLike,
    sizes: ArrayLike,
    regions: ArrayLike,
    deprivations: ArrayLike,
    weights: ArrayLike,
    k: float = GLOBAL_MPI_K,
    *,
    indicators: Sequence[str] | None = None,
    region_order: Sequence[Any] | ArrayLike | None = None,
    vulnerable_floor: float | None = None,
    severe_cutoff: float | None = None,
    check_scores: bool = True,
) -> RegionAggregates:
    """AF aggregates per region of household deprivation scores.

    Args:
        scores: ``(n,)`` weighted deprivation score ``c_i`` of each household, in ``[0, 1]``.
        sizes: ``(n,)`` persons in each household (the population weight; ≥ 0).
        regions: ``(n,)`` region code of each household (county code, street code…; any
            sortable dtype).
        deprivations: ``(n, d)`` 0/1 (or bool) deprivation matrix ``g0``, one column per
            indicator, in the order of ``weights``.
        weights: ``(d,)`` indicator weights ``w_j``, summing to 1.
        k: poverty cut-off; a household is poor when ``c_i ≥ k``.
        indicators: names of the ``d`` indicators (default ``"0"``, ``"1"``…).
        region_order: the regions to report, in this order (regions without households get
            zero rows); by default the sorted distinct codes of ``regions``.
        vulnerable_floor: if given, also report the share of persons with
            ``vulnerable_floor ≤ c_i < k``.
        severe_cutoff: if given, also report the share of persons with ``c_i ≥ severe_cutoff``.
        check_scores: verify that ``scores`` equal ``deprivations @ weights`` (the identity
            behind ``Σ contributions = 1``).

    Returns:
        The :class:`RegionAggregates`.
    """
    c = np.asarray(scores, dtype=np.float64).reshape(-1)
    size = np.asarray(sizes, dtype=np.float64).reshape(-1)
    region = np.asarray(regions).reshape(-1)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    n, d = len(c), len(w)
    raw = np.asarray(deprivations)
    g0 = raw.astype(np.float64, copy=False)
    if g0.size == 0:
        g0 = g0.reshape(n, d)
    if g0.ndim != 2 or g0.shape != (n, d):
        raise ValueError(f"deprivations must have shape ({n}, {d}), not {g0.shape}")
    if len(size) != n or len(region) != n:
        raise ValueError("scores, sizes and regions must have the same length")
    if np.any(size < 0):
        raise ValueError("household sizes must be non-negative")
    if not np.isclose(w.sum(), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"weights must sum to 1, not {w.sum()}")
    if raw.dtype != np.bool_ and not ((g0 == 0) | (g0 == 1)).all():
        raise ValueError("deprivations must be 0/1")
    if check_scores and n and not np.allclose(g0 @ w, c, rtol=0, atol=1e-6):
        raise ValueError("scores differ from deprivations @ weights")
    names = tuple(indicators) if indicators is not None else tuple(str(j) for j in range(d))
    if len(names) != d:
        raise ValueError(f"{len(names)} indicator names for {d} weights")

    labels, index = _region_index(region, region_order)
    r = len(labels)

    poor = c >= k - TOLERANCE
    poor_size = size * poor

    population = _sum_by(index, size, r)
    poor_population = _sum_by(index, poor_size, r)
    poor_intensity = _sum_by(index, poor_size * c, r)

    # Person-weighted column sums per region in one bincount over (region, indicator) cells.
    cells = (index[:, None] * d + np.arange(d)[None, :]).reshape(-1)
    uncensored = _sum_by(cells, (g0 * size[:, None]).reshape(-1), r * d)
    censored = _sum_by(cells, (g0 * poor_size[:, None]).reshape(-1), r * d)

    H = _safe_divide(poor_population, population)
    A = _safe_divide(poor_intensity, poor_population)
    M0 = H * A
    uncensored_headcount = _safe_divide(uncensored.reshape(r, d), population[:, None])
    censored_headcount = _safe_divide(censored.reshape(r, d), population[:, None])
    contribution = _safe_divide(censored_headcount * w[None, :], M0[:, None])

    vulnerable = severe = None
    if vulnerable_floor is not None:
        in_band = (c >= vulnerable_floor - TOLERANCE) & ~poor
        vulnerable = _safe_divide(_sum_by(index, size * in_band, r), population)
    if severe_cutoff is not None:
        is_severe = c >= severe_cutoff - TOLERANCE
        severe = _safe_divide(_sum_by(index, size * is_severe, r), population)

    return RegionAggregates(
        regions=labels,
        indicators=names,
        weights=w,
        k=float(k),
        population=population,
        poor_population=poor_population,
        H=H,
        A=A,
        M0=M0,
        uncensored_headcount=uncensored_headcount,
        censored_headcount=censored_headcount,
        contribution=contribution,
        vulnerable_headcount=vulnerable,
        severe_headcount=severe,
    )


def aggregate_total(
    scores: ArrayLike,
    sizes: ArrayLike,
    deprivations: ArrayLike,
    weights: ArrayLike,
    k: float = GLOBAL_MPI_K,
    **options: Any,
) -> RegionAggregates:
    """The same aggregates over the whole population (one region, labelled ``"all"``)."""
    n = len(np.asarray(scores).reshape(-1))
    return aggregate_by_region(
        scores, sizes, np.full(n, "all"), deprivations, weights, k, **options
    )


def aggregate_simulation(
    simulation: Any,
    period: Any,
    regions: ArrayLike | None = None,
    **options: Any,
) -> RegionAggregates:
    """Per-region aggregates of the households of an OpenFisca simulation of the rules.

    Reads ``mpi_score``, ``household_size`` and the ``mpi_deprived_*`` indicators for
    ``period`` (a month), and the weights and cut-offs in force at its start. ``regions``
    defaults to each household's county code (``"330402"``…); pass town or village codes of
    the same length to aggregate at another level. ``options`` go to
    :func:`aggregate_by_region` (``region_order``…).
    """
    mpi = simulation.tax_benefit_system.parameters(str(period.start)).mpi
    scores = simulation.calculate("mpi_score", period)
    sizes = simulation.calculate("household_size", period)
    deprivations = np.column_stack(
        [simulation.calculate(f"mpi_deprived_{name}", period) for name in INDICATOR_NAMES]
    )
    if regions is None:
        # County enum names are "c" + the six-digit code.
        regions = np.char.lstrip(simulation.calculate("county", period).decode_to_str(), "c")
    options.setdefault("vulnerable_floor", float(mpi.poverty_cutoffs.vulnerable_floor))
    options.setdefault("severe_cutoff", float(mpi.poverty_cutoffs.severe_cutoff))
    return aggregate_by_region(
        scores,
        sizes,
        regions,
        deprivations,
        weights_from_parameters(mpi),
        float(mpi.poverty_cutoffs.k),
        indicators=INDICATOR_NAMES,
        **options,
    )


# ---------------------------------------------------------------- documentation tables

#: What deprives a household in each indicator, in Chinese and English; ``{name}`` is the
#: value of ``mpi.deprivation_cutoffs.<name>`` (formatted by ``_format``).
INDICATOR_TEXT: dict[str, tuple[str, str, str, str]] = {
    # indicator: (dimension zh, dimension en, criterion zh, criterion en)
    "income": (
        "收入",
        "Income",
        "家庭月人均计算收入低于低保标准的 {income_line_multiple} 倍",
        "per-capita counted income below {income_line_multiple} × the county's dibao standard",
    ),
    "rigid_spending": (
        "刚性支出",
        "Rigid spending",
        "医疗 (扣除报销)、教育、康复支出超过家庭计算收入的 {rigid_spending_ratio}；"
        "无收入而有此类支出亦计",
        "medical (net of insurance), education and rehabilitation spending above "
        "{rigid_spending_ratio} of counted household income; any such spending without income",
    ),
    "health": (
        "健康",
        "Health",
        "有成员患重特大疾病，或持 1–{disability_grade_max} 级残疾证",
        "a member with a serious illness or a disability of grade 1–{disability_grade_max}",
    ),
    "school_attendance": (
        "教育",
        "Education",
        "有 {school_age_min}–{school_age_max} 周岁儿童未在校就读",
        "a child aged {school_age_min}–{school_age_max} not in full-time education",
    ),
    "schooling": (
        "教育",
        "Education",
        "{schooling_age_min} 周岁及以上成员均未完成 {schooling_years_min} 年教育 "
        "(其学历均已登记时)",
        "no member aged {schooling_age_min}+ has completed {schooling_years_min} years of "
        "schooling (when every such member's level is recorded)",
    ),
    "housing": (
        "住房",
        "Housing",
        "住房为危房{no_owned_house_zh}",
        "an unsafe dwelling{no_owned_house_en}",
    ),
    "care": (
        "照护",
        "Care",
        "有成员六项自理指标中 {self_care_failed_min} 项及以上不能完成，或家庭不超过 "
        "{elderly_household_max_size} 人且全部为 {elderly_age} 周岁以上老人",
        "a member failing {self_care_failed_min} or more of the six self-care indicators, or a "
        "household of at most {elderly_household_max_size} member(s), all aged {elderly_age}+",
    ),
}

DOCS_BEGIN = "<!-- mpi-tables:begin (generated from parameters/mpi; do not edit by hand) -->"
DOCS_END = "<!-- mpi-tables:end -->"


def _format(value: Any, unit: str = "") -> str:
    """A parameter value as the tables show it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if unit == "share" or unit.startswith("share of"):
        return f"{float(value) * 100:.4g} %"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.4g}"
    return str(int(value)) if isinstance(value, float) else str(value)


def _leaves(node: Any) -> list[Any]:
    """Every parameter (leaf) under a parameter node, in file order."""
    children = getattr(node, "children", None)
    if children is None:
        return [node]
    return [leaf for child in children.values() for leaf in _leaves(child)]


def docs_tables(mpi: Any) -> str:
    """The Markdown tables of docs/rules/mpi.md from the ``mpi`` parameter node (not at an
    instant): indicators with their effective weights and cut-offs, then every parameter with
    its latest value, effective date, status and reference."""
    leaves = _leaves(mpi)
    date = max(leaf.values_list[0].instant_str for leaf in leaves)
    at = mpi(date)
    weights = weights_from_parameters(at)
    cutoffs = at.deprivation_cutoffs
    units = {leaf.name.rsplit(".", 1)[-1]: (leaf.metadata or {}).get("unit", "") for leaf in leaves}
    values = {
        name: _format(cutoffs[name], units.get(name, ""))
        for name in mpi.deprivation_cutoffs.children
    }
    values["no_owned_house_zh"] = "，或无自有住房" if cutoffs.no_owned_house else ""
    values["no_owned_house_en"] = ", or no owned house" if cutoffs.no_owned_house else ""
    poverty = at.poverty_cutoffs

    lines = [
        DOCS_BEGIN,
        "",
        f"Values in force from {date} · {date} 起施行的取值",
        "",
        "| 维度 Dimension | 指标 Indicator (`mpi_deprived_…`) | 权重 Weight "
        "| 剥夺条件 (中文) | Deprived when (English) |",
        "|---|---|---|---|---|",
    ]
    for (name, _dimension), weight in zip(INDICATORS, weights, strict=True):
        dim_zh, dim_en, zh, en = INDICATOR_TEXT[name]
        lines.append(
            f"| {dim_zh} {dim_en} | `{name}` | {weight * 100:.2f} % "
            f"| {zh.format(**values)} | {en.format(**values)} |"
        )
    lines += [
        "",
        f"Poor 多维贫困: c ≥ k = {_format(float(poverty.k), 'share')} · "
        f"vulnerable 脆弱: {_format(float(poverty.vulnerable_floor), 'share')} ≤ c < k · "
        f"severe 深度贫困: c ≥ {_format(float(poverty.severe_cutoff), 'share')}",
        "",
        "| Parameter 参数 | 中文 | English | Value 取值 | From 起始 | Status 状态 "
        "| Reference 依据 |",
        "|---|---|---|---|---|---|---|",
    ]
    for leaf in leaves:
        latest = leaf.values_list[0]
        metadata = leaf.metadata or {}
        value_metadata = latest.metadata or {}
        status = "⚠ unconfirmed 待确认" if value_metadata.get("unconfirmed") else "confirmed 已确认"
        reference = str(value_metadata.get("reference", "")).replace("|", "/")
        lines.append(
            f"| `{leaf.name}` | {metadata.get('label_zh', '')} | {metadata.get('label_en', '')} "
            f"| {_format(latest.value, metadata.get('unit', ''))} | {latest.instant_str} "
            f"| {status} | {reference} |"
        )
    lines += ["", DOCS_END]
    return "\n".join(lines)


def update_docs(path: str, mpi: Any) -> bool:
    """Rewrite the generated block of the docs page; True when it changed."""
    with open(path, encoding="utf-8") as file:
        text = file.read()
    head, _, rest = text.partition(DOCS_BEGIN)
    _, _, tail = rest.partition(DOCS_END)
    updated = head + docs_tables(mpi) + tail
    if updated != text:
        with open(path, "w", encoding="utf-8") as file:
            file.write(updated)
    return updated != text


if __name__ == "__main__":  # python -m minzheng.rules.mpi_aggregate docs/rules/mpi.md
    import sys

    from minzheng.rules.system import tax_benefit_system

    changed = update_docs(sys.argv[1], tax_benefit_system().parameters.mpi)
    print("updated" if changed else "up to date")
