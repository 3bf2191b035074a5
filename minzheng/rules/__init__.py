"""Jiaxing's benefit rules as code (OpenFisca).

Pure rules: this package imports nothing from Django, so policy officers' YAML tests run
without a database. The bridge that loads arrays from the register and runs the model lives
in the domain that uses it.
"""

from minzheng.rules.system import JiaxingTaxBenefitSystem, tax_benefit_system

__all__ = ["JiaxingTaxBenefitSystem", "tax_benefit_system"]
