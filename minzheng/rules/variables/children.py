"""Orphans (孤儿) and de-facto unsupported children (事实无人抚养儿童).

Sources: 国办发〔2010〕54号; 民发〔2019〕62号. The allowance follows the orphan standard (dispersed
or institutional); it is not stacked with dibao or 特困: the higher benefit is paid (stacking.py).
"""

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from minzheng.rules.entities import Person


class child(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Under the child age (18)"

    def formula(person, period, parameters):
        return person("age", period) < parameters(period).child_welfare.adult_age


class orphan(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Orphan: a child whose parents are both dead, declared dead or cannot be found"
    reference = "国办发〔2010〕54号"

    def formula(person, period):
        return person("child", period) & (person("parents_deceased", period) >= 2)


class unsupported(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = (
        "De-facto unsupported child: both parents incapacitated, or one dead or missing and the "
        "other incapacitated"
    )
    reference = "民发〔2019〕62号"

    def formula(person, period):
        deceased = person("parents_deceased", period)
        incapacitated = person("parents_incapacitated", period)
        parents_fail = (incapacitated >= 2) | ((deceased == 1) & (incapacitated >= 1))
        return person("child", period) & np.logical_not(person("orphan", period)) & parents_fail


class orphan_standard(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Orphan standard that applies to the child: institutional or dispersed, yuan per month"
    unit = "currency"

    def formula(person, period, parameters):
        rule = parameters(period).child_welfare.orphan
        return np.where(person("centralised_care", period), rule.institution, rule.dispersed)


class orphan_entitlement(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Orphan allowance if the child is an orphan, before stacking"
    unit = "currency"

    def formula(person, period):
        return np.where(person("orphan", period), person("orphan_standard", period), 0)


class unsupported_entitlement(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Unsupported-child allowance, by reference to the orphan standard, before stacking"
    unit = "currency"

    def formula(person, period, parameters):
        share = parameters(period).child_welfare.unsupported_share_of_orphan
        amount = share * person("orphan_standard", period)
        return np.where(person("unsupported", period), amount, 0)


class child_allowance_entitlement(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "The higher of the orphan and unsupported-child allowances"
    unit = "currency"

    def formula(person, period):
        return np.maximum(
            person("orphan_entitlement", period), person("unsupported_entitlement", period)
        )
