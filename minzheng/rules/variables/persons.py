"""Facts derived for each person: age and self-care class."""

import numpy as np
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from minzheng.rules.entities import Person
from minzheng.rules.enums import SelfCare
from minzheng.rules.formulas import age_on


class age(Variable):
    value_type = int
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Age in whole years on the first day of the month"

    def formula(person, period):
        return age_on(person("birth_date", period), period.start)


class self_care(Variable):
    value_type = Enum
    possible_values = SelfCare
    default_value = SelfCare.full
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Self-care class from the six indicators: 0 full, 1-3 partial loss, 4+ full loss"
    reference = "《特困人员认定办法》(民发〔2016〕178号, revised 2021)"

    def formula(person, period, parameters):
        rule = parameters(period).assistance.self_care
        failed = person("self_care_failed", period)
        return np.select(
            [failed >= rule.full_loss_from, failed >= rule.partial_loss_from],
            [SelfCare.full_loss.index, SelfCare.partial_loss.index],
            default=SelfCare.full.index,
        )
