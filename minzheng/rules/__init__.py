"""Jiaxing's benefit rules as code (OpenFisca).

Pure rules: this package imports nothing from Django, so policy officers' YAML tests run
without a database. The bridge that loads arrays from the register and runs the model lives
in the domain that uses it.

Entry points:

- ``assess.assess_household(data)``: one household as JSON, every programme explained;
- ``batch.determine(period, households=..., persons=..., person_household=...)``: many
  households at once, columns in and out, one simulation;
- ``explain.explain(simulation, period)``: the tests passed or failed, with their numbers;
- ``reforms.with_changes(system, changes)``: dated parameter changes over the YAML baseline.
"""

from minzheng.rules.system import JiaxingTaxBenefitSystem, tax_benefit_system

__all__ = ["JiaxingTaxBenefitSystem", "tax_benefit_system"]
