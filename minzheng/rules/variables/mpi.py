"""Multidimensional poverty index (多维度贫困指标测算体系): Alkire–Foster with local indicators.

嘉兴市《实施意见》(征求意见稿) 三(四): 探索建立多维度贫困指标测算体系，推进救助关口前移 — find
the families deprived in several ways before their income falls below the dibao line. A
measurement and early-warning tool: no programme's eligibility depends on it.

Dual cut-off identification (Alkire & Foster 2011; the global MPI of UNDP/OPHI):

1. each indicator has a deprivation cut-off (``parameters.mpi.deprivation_cutoffs``) and
   ``mpi_deprived_<indicator>`` says whether the household is deprived in it;
2. the weighted deprivation score ``mpi_score`` = Σ w_j × deprived_j, with the nested weights
   of ``parameters.mpi.weights`` (see ``mpi_aggregate.nested_weights``);
3. ``mpi_poor`` when the score reaches k, ``mpi_vulnerable`` in the band below k,
   ``mpi_severe`` from the severe cut-off (``parameters.mpi.poverty_cutoffs``).

The household is the unit of identification: an indicator about members ("a member who…") is
deprived when at least one member meets the condition, and every member shares the household's
score. The per-region aggregates (H, A, M0, contributions) are in ``mpi_aggregate``.
"""

import numpy as np
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from minzheng.rules.entities import Household, Person
from minzheng.rules.mpi_aggregate import INDICATORS, TOLERANCE, weights_from_parameters

REFERENCE = (
    "Alkire & Foster, Counting and Multidimensional Poverty Measurement, J. Public Econ. 95 "
    "(2011); UNDP/OPHI global MPI; 嘉兴市《实施意见》(征求意见稿) 三(四)"
)


class EducationLevel(Enum):
    """Highest level of schooling completed (最高学历/文化程度)."""

    unknown = "not recorded"
    none = "no schooling completed (未上学/小学未毕业)"
    primary = "primary school (小学)"
    junior_secondary = "junior secondary (初中)"
    senior_secondary = "senior secondary or secondary vocational (高中/中专)"
    tertiary = "college or university (大专及以上)"


#: Years of schooling of each EducationLevel, in the enum's order (-1: not recorded).
EDUCATION_YEARS = np.array([-1, 0, 6, 9, 12, 15], dtype=np.int16)


class MpiStatus(Enum):
    """Class of a household on the multidimensional poverty index."""

    non_poor = "not poor (非贫困)"
    vulnerable = "vulnerable to poverty (多维贫困脆弱)"
    poor = "multidimensionally poor (多维贫困)"
    severe = "severely poor (深度多维贫困)"


# ---------------------------------------------------------------- inputs read only by the index


class education_level(Variable):
    value_type = Enum
    possible_values = EducationLevel
    default_value = EducationLevel.unknown
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Highest level of schooling completed; not recorded by default"


class dwelling_unsafe(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "The dwelling is assessed unsafe (危房, safety grade C or D)"


# ---------------------------------------------------------------- numbers behind the indicators


class mpi_income_line(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = (
        "Income line of the index: the multiple of the dibao standard, yuan per person per month"
    )
    unit = "currency"
    reference = REFERENCE

    def formula(household, period, parameters):
        multiple = parameters(period).mpi.deprivation_cutoffs.income_line_multiple
        return household("dibao_standard", period) * multiple


class mpi_rigid_spending_limit(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = (
        "Rigid spending above this amount (the ratio × counted household income) is a deprivation"
    )
    unit = "currency"
    reference = REFERENCE

    def formula(household, period, parameters):
        ratio = parameters(period).mpi.deprivation_cutoffs.rigid_spending_ratio
        return np.maximum(household("household_income", period), 0) * ratio


# ---------------------------------------------------------------- indicators (first cut-off)


class mpi_deprived_income(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Income: per-capita counted income below the income line of the index"
    reference = REFERENCE

    def formula(household, period):
        return household("per_capita_income", period) < household("mpi_income_line", period)


class mpi_deprived_rigid_spending(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Rigid spending: above the ratio of counted household income (any, without income)"
    reference = REFERENCE

    def formula(household, period):
        spending = household("rigid_spending", period)
        return (spending > 0) & (spending > household("mpi_rigid_spending_limit", period))


class mpi_deprived_health(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = (
        "Health: a member with a serious illness or a severe disability (grade 1 to the cut-off)"
    )
    reference = REFERENCE

    def formula(household, period, parameters):
        max_grade = parameters(period).mpi.deprivation_cutoffs.disability_grade_max
        grade = household.members("disability_grade", period)
        ill = household.members("serious_illness", period)
        return household.any(ill | ((grade >= 1) & (grade <= max_grade)))


class mpi_deprived_school_attendance(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Education: a child of compulsory-school age not in full-time education"
    reference = "《中华人民共和国义务教育法》第十一条"

    def formula(household, period, parameters):
        cutoffs = parameters(period).mpi.deprivation_cutoffs
        age = household.members("age", period)
        school_age = (age >= cutoffs.school_age_min) & (age <= cutoffs.school_age_max)
        return household.any(school_age & ~household.members("student", period))


class mpi_deprived_schooling(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = (
        "Education: no member of eligible age has completed the minimum years of schooling "
        "(only when every eligible member's level is recorded)"
    )
    reference = REFERENCE

    def formula(household, period, parameters):
        cutoffs = parameters(period).mpi.deprivation_cutoffs
        eligible = household.members("age", period) >= cutoffs.schooling_age_min
        level = household.members("education_level", period)
        years = EDUCATION_YEARS[np.asarray(level, dtype=np.int16)]
        recorded = level != EducationLevel.unknown
        enough = eligible & (years >= cutoffs.schooling_years_min)
        all_recorded = household.all(recorded | ~eligible)
        return household.any(eligible) & all_recorded & ~household.any(enough)


class mpi_deprived_housing(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Housing: no owned house (when the cut-off counts it), or an unsafe dwelling"
    reference = REFERENCE

    def formula(household, period, parameters):
        no_house_counts = parameters(period).mpi.deprivation_cutoffs.no_owned_house
        no_house = household("houses", period) < 1
        return (no_house & bool(no_house_counts)) | household("dwelling_unsafe", period)


class mpi_deprived_care(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = (
        "Care: a member failing the cut-off number of self-care indicators, or a small household "
        "of elderly members only (default: an elderly person living alone)"
    )
    reference = "《特困人员认定办法》(民发〔2016〕178号, revised 2021); 《老年人权益保障法》第二条"

    def formula(household, period, parameters):
        cutoffs = parameters(period).mpi.deprivation_cutoffs
        dependent = household.members("self_care_failed", period) >= cutoffs.self_care_failed_min
        elderly = household.members("age", period) >= cutoffs.elderly_age
        small = household("household_size", period) <= cutoffs.elderly_household_max_size
        return household.any(dependent) | (small & household.all(elderly))


# ---------------------------------------------------------------- score, classes (second cut-off)


class mpi_score(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Weighted deprivation score c of the household, 0 to 1 (share of weighted indicators)"
    reference = REFERENCE

    def formula(household, period, parameters):
        weights = weights_from_parameters(parameters(period).mpi)
        score = np.zeros(household.count, dtype=np.float64)
        for (indicator, _dimension), weight in zip(INDICATORS, weights, strict=True):
            if weight > 0:  # a dropped indicator is not even computed
                score += weight * household(f"mpi_deprived_{indicator}", period)
        return score


class mpi_poor(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Multidimensionally poor: score c ≥ k"
    reference = REFERENCE

    def formula(household, period, parameters):
        k = parameters(period).mpi.poverty_cutoffs.k
        return household("mpi_score", period) >= k - TOLERANCE


class mpi_vulnerable(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Vulnerable to multidimensional poverty: vulnerable floor ≤ c < k"
    reference = REFERENCE

    def formula(household, period, parameters):
        floor = parameters(period).mpi.poverty_cutoffs.vulnerable_floor
        score = household("mpi_score", period)
        return (score >= floor - TOLERANCE) & ~household("mpi_poor", period)


class mpi_severe(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "In severe multidimensional poverty: c ≥ the severe cut-off"
    reference = REFERENCE

    def formula(household, period, parameters):
        cutoff = parameters(period).mpi.poverty_cutoffs.severe_cutoff
        return household("mpi_score", period) >= cutoff - TOLERANCE


class mpi_status(Variable):
    value_type = Enum
    possible_values = MpiStatus
    default_value = MpiStatus.non_poor
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Class on the index: not poor, vulnerable, poor, or severely poor"
    reference = REFERENCE

    def formula(household, period):
        return np.select(
            [
                household("mpi_severe", period) & household("mpi_poor", period),
                household("mpi_poor", period),
                household("mpi_vulnerable", period),
            ],
            [MpiStatus.severe, MpiStatus.poor, MpiStatus.vulnerable],
            default=MpiStatus.non_poor,
        )


class mpi_censored_score(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = (
        "Censored score c(k): the score of a poor household, 0 otherwise (mean over persons = M0)"
    )
    reference = REFERENCE

    def formula(household, period):
        return np.where(household("mpi_poor", period), household("mpi_score", period), 0.0)
