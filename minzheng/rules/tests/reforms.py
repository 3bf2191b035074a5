"""Parameter variations used by the YAML tests (``reforms: [minzheng.rules.tests.reforms.X]``)."""

from minzheng.rules.reforms import ParameterChange, parameter_reform

TEST_SOURCE = {"reference": "test variation", "unconfirmed": True}


def _reform(name: str, *changes: tuple) -> type:
    """A reform from (parameter, start, value[, stop]) tuples."""
    return parameter_reform(
        [
            ParameterChange(
                name=change[0],
                start=change[1],
                value=change[2],
                stop=change[3] if len(change) > 3 else None,
                metadata=TEST_SOURCE,
            )
            for change in changes
        ],
        name=name,
    )


MarginalMultipleTwo = _reform(
    "marginal line at 2 times the standard",
    ("assistance.marginal.income_multiple", "2021-07-01", 2.0),
)
GraduatedExitReduced = _reform(
    "graduated exit in reduced mode",
    ("assistance.graduated_exit.exit_grace_mode", "2021-01-01", "reduced"),
)
DibaoFloorOn = _reform(
    "dibao minimum-payment floor switched on",
    ("assistance.dibao.floor.enabled", "2022-01-01", True),
)
XiuzhouStandardRise = _reform(
    "秀洲区 standard 1,200 from 2026-09-01",
    ("assistance.dibao.standard.c330411", "2026-09-01", 1200),
)
PriceSubsidySeptember2026 = _reform(
    "CPI rise of 4% entered for September 2026",
    ("assistance.price_subsidy.cpi_yoy", "2026-09-01", 0.04, "2026-09-30"),
)
FoodPriceSubsidySeptember2026 = _reform(
    "food CPI rise of 7% entered for September 2026",
    ("assistance.price_subsidy.food_cpi_yoy", "2026-09-01", 0.07, "2026-09-30"),
)
PriceRiseBelowTriggerSeptember2026 = _reform(
    "CPI rise of 3% entered for September 2026 (below the trigger)",
    ("assistance.price_subsidy.cpi_yoy", "2026-09-01", 0.03, "2026-09-30"),
)
PriceSubsidyWithMarginal = _reform(
    "CPI rise of 4% for September 2026, marginal families included",
    ("assistance.price_subsidy.cpi_yoy", "2026-09-01", 0.04, "2026-09-30"),
    ("assistance.price_subsidy.include_marginal", "2021-01-01", True),
)
UnsupportedShareHalf = _reform(
    "unsupported-child allowance at half the orphan standard",
    ("child_welfare.unsupported_share_of_orphan", "2019-06-01", 0.5),
)
NursingNotExtended = _reform(
    "care subsidy not extended to grade 3-4 intellectual or mental disability",
    ("disability.nursing.extend_intellectual_mental", "2016-01-01", False),
)
LivingSubsidyForMarginal = _reform(
    "living subsidy extended to marginal families",
    ("disability.living.include_marginal", "2016-01-01", True),
)
SeparateRuralLine = _reform(
    "low-income rural households on their own line of 1.2 times the standard",
    ("assistance.low_income_rural.same_line_as_marginal", "2021-01-01", False),
    ("assistance.low_income_rural.own_income_multiple", "2021-01-01", 1.2),
)
LookbackSixMonths = _reform(
    "income averaged over 6 months",
    ("assistance.income.lookback_months", "2021-07-01", 6),
)
