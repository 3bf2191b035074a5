"""The dibao standard's link to the minimum wage, and the price-rise subsidy (物价补贴).

Seed, clause (四): 建立与最低工资挂钩的低保动态调整机制 … 完善困难群众物价补贴制度.
"""

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from minzheng.rules.entities import Household, Person
from minzheng.rules.formulas import end_of_previous_year, minimum_wage_of, round_half_up


class minimum_wage(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Minimum monthly wage of the household's county (its tier), in force this month"
    unit = "currency"

    def formula(household, period, parameters):
        return minimum_wage_of(parameters(period), household("county", period))


class minimum_wage_previous_year(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Minimum monthly wage of the county in force on 31 December of the previous year"
    unit = "currency"

    def formula(household, period, parameters):
        at = parameters(end_of_previous_year(period))
        return minimum_wage_of(at, household("county", period))


class dibao_standard_proposal(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.YEAR
    label = (
        "Proposed dibao standard for the year: ratio x the county's minimum wage in force at the "
        "end of the previous year, rounded half up"
    )
    unit = "currency"
    reference = "嘉兴市《实施意见》(征求意见稿) 三(四): 建立与最低工资挂钩的低保动态调整机制"

    def formula(household, period, parameters):
        link = parameters(period).assistance.dibao.minimum_wage_link
        wage = minimum_wage_of(
            parameters(end_of_previous_year(period)), household("county", period)
        )
        return round_half_up(link.ratio * wage, float(link.rounding_unit))


class price_subsidy_rate(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Price rise that triggered the subsidy this month (0 when not triggered)"

    def formula(household, period, parameters):
        rule = parameters(period).assistance.price_subsidy
        rates = [0.0]
        if rule.cpi_yoy >= rule.cpi_trigger:
            rates.append(float(rule.cpi_yoy))
        if rule.food_cpi_yoy >= rule.food_cpi_trigger:
            rates.append(float(rule.food_cpi_yoy))
        return np.full(household.count, max(rates), dtype=np.float32)


class price_subsidy_recipient(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = (
        "Receives the price-rise subsidy when triggered: dibao, 特困, orphans, unsupported children"
    )

    def formula(person, period, parameters):
        include_marginal = parameters(period).assistance.price_subsidy.include_marginal
        marginal = person.household("on_marginal", period) & include_marginal
        return (
            person("dibao_member", period)
            | person("tekun_paid", period)
            | person("child_allowance_paid", period)
            | marginal
        )


class price_subsidy_amount(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Price-rise subsidy of the person this month: the standard x the triggering rise"
    unit = "currency"
    reference = "发改价格规〔2021〕1013号 (recalled); 嘉兴市《实施意见》(征求意见稿) 三(四)"

    def formula(person, period):
        rate = person.household("price_subsidy_rate", period)
        standard = person.household("dibao_standard", period)
        return np.where(person("price_subsidy_recipient", period), standard * rate, 0)


class price_subsidy(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Price-rise subsidy of the household this month"
    unit = "currency"

    def formula(household, period):
        return household.sum(household.members("price_subsidy_amount", period))
