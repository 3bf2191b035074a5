"""The Jiaxing tax-benefit system: entities, variables/*.py and parameters/*.yaml."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from minzheng.rules.entities import entities

RULES_DIR = Path(__file__).resolve().parent
VARIABLES_DIR = RULES_DIR / "variables"
PARAMETERS_DIR = RULES_DIR / "parameters"
TESTS_DIR = RULES_DIR / "tests"


class JiaxingTaxBenefitSystem(TaxBenefitSystem):
    """Every variable of every domain, with the dated parameters of the YAML baseline."""

    CURRENCY = "¥"

    def __init__(self) -> None:
        super().__init__(entities)
        self.add_variables_from_directory(str(VARIABLES_DIR))
        self.load_parameters(str(PARAMETERS_DIR))


@lru_cache(maxsize=1)
def tax_benefit_system() -> JiaxingTaxBenefitSystem:
    """The baseline system, built once per process."""
    return JiaxingTaxBenefitSystem()
