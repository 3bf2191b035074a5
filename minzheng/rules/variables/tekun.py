"""Extreme-poverty support (特困人员救助供养).

Sources: 《社会救助暂行办法》(国务院令第649号) 第十四条; 国发〔2016〕14号; 《特困人员认定办法》
(民发〔2016〕178号, revised 2021). All three criteria must hold: no capacity to work, no
livelihood, no legal supporter able to support. Support = basic living standard + care
standard by self-care class.
"""

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from minzheng.rules.entities import Person
from minzheng.rules.enums import DisabilityCategory, SelfCare


class tekun_elderly(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Aged at or above the elderly age (60)"

    def formula(person, period, parameters):
        return person("age", period) >= parameters(period).assistance.tekun.elderly_age


class tekun_minor(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Under the minor age (16 before the 2021 revision, 18 since)"

    def formula(person, period, parameters):
        return person("age", period) < parameters(period).assistance.tekun.minor_age


class tekun_disabled_incapable(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Grade 1-3 intellectual or mental, grade 1-2 physical or grade 1 visual disability"

    def formula(person, period, parameters):
        rule = parameters(period).assistance.tekun
        grade = person("disability_grade", period)
        category = person("disability_category", period)
        certified = grade >= 1
        intellectual_or_mental = (category == DisabilityCategory.intellectual) | (
            category == DisabilityCategory.mental
        )
        physical = category == DisabilityCategory.physical
        visual = category == DisabilityCategory.visual
        return certified & (
            (intellectual_or_mental & (grade <= rule.max_grade_intellectual_mental))
            | (physical & (grade <= rule.max_grade_physical))
            | (visual & (grade <= rule.max_grade_visual))
        )


class tekun_no_work_capacity(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "First criterion: no capacity to work (无劳动能力)"

    def formula(person, period):
        return (
            person("tekun_elderly", period)
            | person("tekun_minor", period)
            | person("tekun_disabled_incapable", period)
        )


class tekun_no_livelihood(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Second criterion: own income below the dibao standard and property within the rules"

    def formula(person, period):
        standard = person.household("dibao_standard", period)
        return (person("counted_income", period) < standard) & person.household(
            "assets_pass", period
        )


class tekun_no_supporter(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Third criterion: no legal supporter, or none able to support"

    def formula(person, period):
        return np.logical_not(person("has_capable_supporter", period))


class tekun_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Meets the three 特困 criteria"
    reference = "《社会救助暂行办法》(国务院令第649号) 第十四条"

    def formula(person, period):
        return (
            person("tekun_no_work_capacity", period)
            & person("tekun_no_livelihood", period)
            & person("tekun_no_supporter", period)
        )


class tekun_basic(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Basic living standard (基本生活标准): a multiple of the dibao standard, yuan per month"
    unit = "currency"

    def formula(person, period, parameters):
        multiplier = parameters(period).assistance.tekun.basic_multiplier
        return multiplier * person.household("dibao_standard", period)


class minimum_wage_previous_year_of_person(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Minimum monthly wage of the person's county in force at the end of the previous year"
    unit = "currency"

    def formula(person, period):
        return person.household("minimum_wage_previous_year", period)


class tekun_care(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Care standard (照料护理标准) by self-care class, raised for centralised care"
    unit = "currency"

    def formula(person, period, parameters):
        rule = parameters(period).assistance.tekun
        denominators = rule.care_denominator
        self_care = person("self_care", period)
        denominator = np.select(
            [self_care == SelfCare.full_loss, self_care == SelfCare.partial_loss],
            [denominators.full_loss, denominators.partial_loss],
            default=denominators.full,
        )
        care = person("minimum_wage_previous_year_of_person", period) / denominator
        uplift = np.where(person("centralised_care", period), 1 + rule.centralised_care_uplift, 1)
        return care * uplift


class tekun_entitlement(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "特困 support if eligible: basic living + care, yuan per month (before stacking)"
    unit = "currency"

    def formula(person, period):
        amount = person("tekun_basic", period) + person("tekun_care", period)
        return np.where(person("tekun_eligible", period), amount, 0)
