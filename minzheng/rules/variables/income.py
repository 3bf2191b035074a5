"""Counted income (家庭收入): items counted and excluded, employment costs, per-capita income.

National basis: 《最低生活保障审核确认办法》(民发〔2021〕57号). Every item is averaged over the
look-back window (``assistance.income.lookback_months``); wages are reduced by the
employment-cost deduction; excluded items and, while the parameter says so, the basic pension of
the urban-rural residents' scheme are not counted.
"""

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from minzheng.rules.entities import Household, Person
from minzheng.rules.formulas import window_average

COUNTED_ITEMS = ("income_wage", "income_business", "income_property", "income_transfer")


def _lookback(parameters, period) -> int:
    return int(parameters(period).assistance.income.lookback_months)


class income_wage_average(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Wages, monthly average over the look-back window"
    unit = "currency"

    def formula(person, period, parameters):
        return window_average(person, "income_wage", period, _lookback(parameters, period))


class income_other_counted_average(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Business, property and transfer income, monthly average over the look-back window"
    unit = "currency"

    def formula(person, period, parameters):
        months = _lookback(parameters, period)
        return sum(window_average(person, name, period, months) for name in COUNTED_ITEMS[1:])


class income_pension_basic_average(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Basic pension of the residents' scheme, monthly average over the look-back window"
    unit = "currency"

    def formula(person, period, parameters):
        return window_average(person, "income_pension_basic", period, _lookback(parameters, period))


class employment_cost_deduction(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Necessary employment costs deducted from the member's wages (就业成本)"
    unit = "currency"

    def formula(person, period, parameters):
        rule = parameters(period).assistance.income.employment_cost
        wage = person("income_wage_average", period)
        return np.minimum(np.maximum(wage, 0) * rule.share_of_wage, rule.cap)


class income_not_counted(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Income that is received but not counted: excluded items and the basic pension"
    unit = "currency"

    def formula(person, period, parameters):
        months = _lookback(parameters, period)
        excluded = window_average(person, "income_excluded", period, months)
        pension = person("income_pension_basic_average", period)
        pension_excluded = parameters(period).assistance.income.exclude_basic_pension
        return excluded + (pension if pension_excluded else 0)


class counted_income(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Counted income of the person, yuan per month (never below 0)"
    unit = "currency"

    def formula(person, period, parameters):
        pension = person("income_pension_basic_average", period)
        pension_excluded = parameters(period).assistance.income.exclude_basic_pension
        total = (
            person("income_wage_average", period)
            - person("employment_cost_deduction", period)
            + person("income_other_counted_average", period)
            + (0 if pension_excluded else pension)
        )
        return np.maximum(total, 0)


class household_size(Variable):
    value_type = int
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Members of the assistance household (共同生活的家庭成员)"

    def formula(household, period):
        return household.nb_persons()


class household_income(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Counted income of the household, yuan per month"
    unit = "currency"

    def formula(household, period):
        return household.sum(household.members("counted_income", period))


class per_capita_income(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Per-capita counted income of the household (家庭月人均收入), yuan per month"
    unit = "currency"

    def formula(household, period):
        size = household("household_size", period)
        return household("household_income", period) / np.maximum(size, 1)
