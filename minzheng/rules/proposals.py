"""The dibao standard each county would get from its link to the minimum wage.

Seed, clause (四): 建立与最低工资挂钩的低保动态调整机制. The proposal is advice for the city
administrator; it changes nothing until a new standard is entered with its source document.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from minzheng.rules.batch import build_simulation
from minzheng.rules.enums import COUNTY_CODES
from minzheng.rules.formulas import minimum_wage_of
from minzheng.rules.system import tax_benefit_system


def propose_dibao_standards(
    year: int, *, system: TaxBenefitSystem | None = None
) -> dict[str, dict[str, Any]]:
    """Per county code: the proposed standard for ``year`` and the figures it comes from."""
    system = system or tax_benefit_system()
    count = len(COUNTY_CODES)
    simulation = build_simulation(
        f"{year}-01",
        households={"county": np.array(COUNTY_CODES)},
        persons={},
        person_household=np.arange(count),
        system=system,
    )
    proposals = simulation.calculate("dibao_standard_proposal", str(year))
    current = simulation.calculate("dibao_standard", f"{year}-01")
    county = simulation.calculate("county", f"{year}-01")
    wage_date = f"{year - 1}-12-31"
    wages = minimum_wage_of(system.parameters(wage_date), county)
    link = system.parameters(f"{year}-01-01").assistance.dibao.minimum_wage_link
    return {
        code: {
            "year": year,
            "proposed_standard": float(proposals[index]),
            "standard_on_1_january": float(current[index]),
            "minimum_wage_previous_year": float(wages[index]),
            "minimum_wage_date": wage_date,
            "ratio": float(link.ratio),
            "rounding_unit": float(link.rounding_unit),
        }
        for index, code in enumerate(COUNTY_CODES)
    }


__all__ = ["propose_dibao_standards"]
