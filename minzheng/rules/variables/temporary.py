"""Rigid-expenditure hardship (刚性支出困难家庭) and temporary assistance (临时救助).

Sources: 《刚性支出困难家庭认定办法》(民发〔2024〕57号); 《社会救助暂行办法》(国务院令第649号)
Arts. 47-50; 国发〔2014〕47号; 民发〔2018〕23号.
"""

import numpy as np
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from minzheng.rules.entities import Household
from minzheng.rules.enums import ApprovalLevel, TemporaryType
from minzheng.rules.formulas import window_average

RIGID_ITEMS = ("expenditure_medical", "expenditure_education", "expenditure_rehabilitation")


class rigid_spending(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Rigid spending (medical net of insurance, education, rehabilitation), monthly average"
    unit = "currency"

    def formula(household, period, parameters):
        months = int(parameters(period).assistance.income.lookback_months)
        return sum(window_average(household, name, period, months) for name in RIGID_ITEMS)


class rigid_spending_ratio(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Rigid spending as a share of household income (very large when income is 0)"

    def formula(household, period):
        spending = household("rigid_spending", period)
        income = household("household_income", period)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(income > 0, spending / np.where(income > 0, income, 1), 0)
        return np.where((income <= 0) & (spending > 0), 1e9, ratio)


class expenditure_poverty_income_line(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Previous year's per-capita disposable income, per month"
    unit = "currency"

    def formula(household, period, parameters):
        rule = parameters(period).assistance.expenditure_poverty
        return np.full(household.count, rule.disposable_income_per_capita / 12, dtype=np.float32)


class expenditure_poverty(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Rigid-expenditure hardship household (刚性支出困难家庭)"
    reference = "《刚性支出困难家庭认定办法》(民发〔2024〕57号)"

    def formula(household, period, parameters):
        ratio_limit = parameters(period).assistance.expenditure_poverty.rigid_spending_ratio
        not_covered = np.logical_not(
            household("on_dibao", period)
            | household("on_marginal", period)
            | household.any(household.members("tekun_eligible", period))
        )
        return (
            not_covered
            & (
                household("per_capita_income", period)
                < household("expenditure_poverty_income_line", period)
            )
            & household("assets_pass", period)
            & (household("rigid_spending_ratio", period) > ratio_limit)
        )


class temporary_type(Variable):
    value_type = Enum
    possible_values = TemporaryType
    default_value = TemporaryType.none
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Temporary assistance the household qualifies for: emergency, expenditure or none"
    reference = "《社会救助暂行办法》(国务院令第649号) 第四十七条"

    def formula(household, period):
        emergency = household("emergency_event", period)
        burdened_recipient = (household("on_dibao", period) | household("on_marginal", period)) & (
            household("rigid_spending", period) > 0
        )
        expenditure = household("expenditure_poverty", period) | burdened_recipient
        return np.select(
            [emergency, expenditure],
            [TemporaryType.emergency.index, TemporaryType.expenditure.index],
            default=TemporaryType.none.index,
        )


class temporary_cap_remaining(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "What the yearly cap still allows: the cap minus what was received in 12 months"
    unit = "currency"

    def formula(household, period, parameters):
        multiple = parameters(period).assistance.temporary.annual_cap_multiple
        cap = multiple * household("dibao_standard", period)
        return np.maximum(cap - household("temporary_received_12m", period), 0)


class temporary_amount(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "One-off temporary assistance: the assessed need within the yearly cap"
    unit = "currency"

    def formula(household, period):
        eligible = household("temporary_type", period) != TemporaryType.none
        amount = np.minimum(
            np.maximum(household("temporary_need", period), 0),
            household("temporary_cap_remaining", period),
        )
        return np.where(eligible, amount, 0)


class temporary_approval_level(Variable):
    value_type = Enum
    possible_values = ApprovalLevel
    default_value = ApprovalLevel.none
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Who approves the amount: town up to its cap, county up to its cap, then case by case"
    reference = "《社会救助暂行办法》(国务院令第649号) 第四十八条"

    def formula(household, period, parameters):
        rule = parameters(period).assistance.temporary
        standard = household("dibao_standard", period)
        amount = household("temporary_amount", period)
        return np.select(
            [
                amount <= 0,
                amount <= rule.town_cap_multiple * standard,
                amount <= rule.county_cap_multiple * standard,
            ],
            [ApprovalLevel.none.index, ApprovalLevel.town.index, ApprovalLevel.county.index],
            default=ApprovalLevel.case_by_case.index,
        )
