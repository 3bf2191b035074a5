"""The two disability subsidies (残疾人两项补贴), which stack with each other.

Source: 国发〔2015〕52号. Living subsidy: disabled people on dibao (optionally marginal families
and 特困 persons). Care subsidy: grade 1-2 certificate holders, optionally grade 3-4
intellectual or mental disability; not with the work-injury insurance care allowance.
"""

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from minzheng.rules.entities import Person
from minzheng.rules.enums import DisabilityCategory
from minzheng.rules.formulas import by_grade


class disability_certified(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Holds a disability certificate of grade 1 to 4"

    def formula(person, period):
        grade = person("disability_grade", period)
        return (grade >= 1) & (grade <= 4)


class disability_living_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Living subsidy for poor disabled people (困难残疾人生活补贴): eligible"
    reference = "国发〔2015〕52号"

    def formula(person, period, parameters):
        rule = parameters(period).disability.living
        poor = person("dibao_member", period)
        poor = poor | (person.household("on_marginal", period) & rule.include_marginal)
        poor = poor | (person("tekun_paid", period) & rule.include_tekun)
        return person("disability_certified", period) & poor


class disability_living(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Living subsidy for poor disabled people, yuan per month"
    unit = "currency"

    def formula(person, period, parameters):
        rate = by_grade(
            parameters(period).disability.living.rate, person("disability_grade", period)
        )
        amount = rate * person.household("dibao_standard", period)
        return np.where(person("disability_living_eligible", period), amount, 0)


class disability_nursing_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Care subsidy for severely disabled people (重度残疾人护理补贴): eligible"
    reference = "国发〔2015〕52号"

    def formula(person, period, parameters):
        rule = parameters(period).disability.nursing
        grade = person("disability_grade", period)
        category = person("disability_category", period)
        severe = (grade >= 1) & (grade <= 2)
        intellectual_or_mental = (category == DisabilityCategory.intellectual) | (
            category == DisabilityCategory.mental
        )
        extended = (
            (grade >= 3) & (grade <= 4) & intellectual_or_mental & rule.extend_intellectual_mental
        )
        return (severe | extended) & np.logical_not(person("work_injury_care_allowance", period))


class disability_nursing(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Care subsidy for severely disabled people, yuan per month"
    unit = "currency"

    def formula(person, period, parameters):
        rate = by_grade(
            parameters(period).disability.nursing.rate, person("disability_grade", period)
        )
        amount = rate * person.household("dibao_standard", period)
        return np.where(person("disability_nursing_eligible", period), amount, 0)
