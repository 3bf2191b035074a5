"""Input variables: the facts of persons and households that every programme reads.

Amounts are yuan per month. The register (or the assess JSON) supplies these; every other
variable is computed from them and the dated parameters.

Income and expenditure items may be given for the assessed month only (read as the monthly
average over the look-back window) or for each month of the window, or as one total over a
multi-month period (spread evenly over its months): see ``income.py``.
"""

from datetime import date

from openfisca_core.holders import set_input_divide_by_period
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from minzheng.rules.entities import Household, Person
from minzheng.rules.enums import County, DisabilityCategory, Relation, WorkAbility

NOT_SET_DATE = date(1, 1, 1)
"""Default of optional date inputs: the fact is not recorded."""

__all__ = ["NOT_SET_DATE", "County", "DisabilityCategory", "Relation", "WorkAbility"]


# ---------------------------------------------------------------- household: place


class county(Variable):
    value_type = Enum
    possible_values = County
    default_value = County.c330402
    entity = Household
    definition_period = DateUnit.ETERNITY
    label = "County-level division the household lives in (keys per-county parameters)"


class rural(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.ETERNITY
    label = "Rural household (农户): counted for the low-income rural household line"


# ---------------------------------------------------------------- person: facts


class birth_date(Variable):
    value_type = date
    default_value = date(1970, 1, 1)
    entity = Person
    definition_period = DateUnit.ETERNITY
    label = "Birth date"


class relation(Variable):
    value_type = Enum
    possible_values = Relation
    default_value = Relation.other
    entity = Person
    definition_period = DateUnit.ETERNITY
    label = "Relation to the head of the assistance household"


class disability_grade(Variable):
    value_type = int
    default_value = 0
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Disability certificate grade, 1 (most severe) to 4; 0 for none"


class disability_category(Variable):
    value_type = Enum
    possible_values = DisabilityCategory
    default_value = DisabilityCategory.none
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Disability category"


class serious_illness(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Has a locally recognised serious illness (重特大疾病)"


class self_care_failed(Variable):
    value_type = int
    entity = Person
    definition_period = DateUnit.MONTH
    label = "How many of the six self-care indicators the person cannot do (0-6)"


class student(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "In full-time education"


class work_ability(Variable):
    value_type = Enum
    possible_values = WorkAbility
    default_value = WorkAbility.full
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Capacity to work"


class has_capable_supporter(Variable):
    value_type = bool
    default_value = True
    entity = Person
    definition_period = DateUnit.MONTH
    label = (
        "Has a legal supporter (赡养/抚养/扶养义务人) able to support: the third 特困 criterion "
        "fails while this is true"
    )


class centralised_care(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Lives in an institution (集中供养 / 机构养育) rather than at home"


class parents_deceased(Variable):
    value_type = int
    entity = Person
    definition_period = DateUnit.MONTH
    label = "How many parents are dead, declared dead or cannot be found (0-2)"


class parents_incapacitated(Variable):
    value_type = int
    entity = Person
    definition_period = DateUnit.MONTH
    label = (
        "How many living parents are severely disabled, seriously ill, imprisoned, in compulsory "
        "drug rehabilitation, out of contact for 6 months or more, or stripped of guardianship "
        "(0-2)"
    )


class work_injury_care_allowance(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Receives the work-injury insurance care allowance (工伤保险生活护理费)"


# ---------------------------------------------------------------- person: income


class income_wage(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    set_input = set_input_divide_by_period
    label = "Wages (工资性收入), yuan per month"
    unit = "currency"


class income_business(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    set_input = set_input_divide_by_period
    label = "Net business income (经营净收入), yuan per month"
    unit = "currency"


class income_property(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    set_input = set_input_divide_by_period
    label = "Net property income (财产净收入), yuan per month"
    unit = "currency"


class income_transfer(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    set_input = set_input_divide_by_period
    label = "Net transfer income (转移净收入), yuan per month"
    unit = "currency"


class income_pension_basic(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    set_input = set_input_divide_by_period
    label = "Basic pension of the urban-rural residents' scheme, yuan per month"
    unit = "currency"


class income_excluded(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    set_input = set_input_divide_by_period
    label = "Income items the rules exclude (优待抚恤金, rewards…), yuan per month"
    unit = "currency"


# ---------------------------------------------------------------- household: assets


class deposits(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Deposits, securities and other financial assets of the household, yuan"
    unit = "currency"


class houses(Variable):
    value_type = int
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Number of houses the household owns"


class vehicles(Variable):
    value_type = int
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Number of motor vehicles the household owns (exempt ones not counted)"


class business(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "A member owns or legally represents a registered business"


# ---------------------------------------------------------------- household: expenditure


class expenditure_medical(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    set_input = set_input_divide_by_period
    label = "Medical spending net of insurance payouts, yuan per month"
    unit = "currency"


class expenditure_education(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    set_input = set_input_divide_by_period
    label = "Education spending, yuan per month"
    unit = "currency"


class expenditure_rehabilitation(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    set_input = set_input_divide_by_period
    label = "Disability rehabilitation spending, yuan per month"
    unit = "currency"


# ---------------------------------------------------------------- household: enrolment


class dibao_enrolled(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "On the dibao roll before this month (for the graduated exit)"


class marginal_enrolled(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Recognised as a dibao-marginal family before this month (for the graduated exit)"


class dibao_amount_before_exit(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Monthly dibao amount paid before income rose above the line, yuan"
    unit = "currency"


class graduated_exit_start(Variable):
    value_type = date
    default_value = NOT_SET_DATE
    entity = Household
    definition_period = DateUnit.ETERNITY
    label = (
        "First month in which income was above the line while enrolled (any day of the month); "
        "not set: the assessed month is the first"
    )


# ---------------------------------------------------------------- household: temporary assistance


class emergency_event(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Fire, accident, sudden serious illness or other emergency this month (急难)"


class temporary_need(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Assessed one-off need: the loss, or the rigid spending the household cannot bear"
    unit = "currency"


class temporary_received_12m(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Temporary assistance already received in the last 12 months, yuan"
    unit = "currency"
