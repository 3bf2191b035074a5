"""Input variables: the facts of persons and households that every programme reads.

Amounts are yuan per month. The register (or the assess JSON) supplies these; every other
variable is computed from them and the dated parameters.
"""

from datetime import date

from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from minzheng.rules.entities import Household, Person


class County(Enum):
    c330402 = "南湖区"
    c330411 = "秀洲区"
    c330421 = "嘉善县"
    c330424 = "海盐县"
    c330481 = "海宁市"
    c330482 = "平湖市"
    c330483 = "桐乡市"


class DisabilityCategory(Enum):
    none = "none"
    visual = "visual"
    hearing = "hearing"
    speech = "speech"
    physical = "physical"
    intellectual = "intellectual"
    mental = "mental"
    multiple = "multiple"


class WorkAbility(Enum):
    full = "full"
    partial = "partial"
    none = "none"


class county(Variable):
    value_type = Enum
    possible_values = County
    default_value = County.c330402
    entity = Household
    definition_period = DateUnit.ETERNITY
    label = "County-level division the household lives in (keys per-county parameters)"


class birth_date(Variable):
    value_type = date
    default_value = date(1970, 1, 1)
    entity = Person
    definition_period = DateUnit.ETERNITY
    label = "Birth date"


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


class income_wage(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Wages (工资性收入), yuan per month"
    unit = "currency"


class income_business(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Net business income (经营净收入), yuan per month"
    unit = "currency"


class income_property(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Net property income (财产净收入), yuan per month"
    unit = "currency"


class income_transfer(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Net transfer income (转移净收入), yuan per month"
    unit = "currency"


class income_pension_basic(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Basic pension of the urban-rural residents' scheme, yuan per month"
    unit = "currency"


class income_excluded(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Income items the rules exclude (优待抚恤金, rewards…), yuan per month"
    unit = "currency"


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


class expenditure_medical(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Medical spending net of insurance payouts, yuan per month"
    unit = "currency"


class expenditure_education(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Education spending, yuan per month"
    unit = "currency"


class expenditure_rehabilitation(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Disability rehabilitation spending, yuan per month"
    unit = "currency"
