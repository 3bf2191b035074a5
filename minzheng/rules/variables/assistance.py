"""Dibao (最低生活保障), the marginal family, low-income rural households, separate enrolment
and the graduated exit.

Sources: 《社会救助暂行办法》(国务院令第649号) Arts. 9-13; 《最低生活保障审核确认办法》
(民发〔2021〕57号); 民发〔2022〕83号; the seed, clause (四).
"""

import numpy as np
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from minzheng.rules.entities import Household, Person
from minzheng.rules.enums import DisabilityCategory, ExitProgramme
from minzheng.rules.formulas import months_between, per_county

NOT_SET = np.datetime64("0001-01-01")


def apply_floor(gap, standard, parameters, period):
    """The optional minimum-payment floor: a positive gap below the floor is raised to it."""
    floor = parameters(period).assistance.dibao.floor
    if not floor.enabled:
        return gap
    minimum = standard * floor.share_of_standard
    return np.where((gap > 0) & (gap < minimum), minimum, gap)


# ---------------------------------------------------------------- the standard


class dibao_standard(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Dibao standard of the household's county, yuan per person per month"
    unit = "currency"
    reference = "《社会救助暂行办法》(国务院令第649号) 第十条"

    def formula(household, period, parameters):
        node = parameters(period).assistance.dibao.standard
        return per_county(node, household("county", period))


# ---------------------------------------------------------------- property tests


class deposits_per_capita(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Financial assets per member, yuan"
    unit = "currency"

    def formula(household, period):
        return household("deposits", period) / np.maximum(household("household_size", period), 1)


class deposits_limit(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Largest financial assets per member allowed: a multiple of the monthly standard"
    unit = "currency"

    def formula(household, period, parameters):
        multiple = parameters(period).assistance.assets.deposits_multiple
        return multiple * household("dibao_standard", period)


class asset_deposits_pass(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Deposits test passed (reason code asset_deposits when not): at the limit passes"

    def formula(household, period):
        return household("deposits_per_capita", period) <= household("deposits_limit", period)


class asset_houses_pass(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Housing test passed (reason code asset_houses when not)"

    def formula(household, period, parameters):
        return household("houses", period) <= parameters(period).assistance.assets.max_houses


class asset_vehicles_pass(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Vehicle test passed (reason code asset_vehicles when not)"

    def formula(household, period, parameters):
        return household("vehicles", period) <= parameters(period).assistance.assets.max_vehicles


class asset_business_pass(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Business-registration test passed (reason code asset_business when not)"

    def formula(household, period, parameters):
        allowed = parameters(period).assistance.assets.business_allowed
        return np.logical_or(np.logical_not(household("business", period)), allowed)


class assets_pass(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Every property test passed"

    def formula(household, period):
        return (
            household("asset_deposits_pass", period)
            & household("asset_houses_pass", period)
            & household("asset_vehicles_pass", period)
            & household("asset_business_pass", period)
        )


# ---------------------------------------------------------------- dibao


class dibao_income_test(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Per-capita income below the dibao standard (at the standard fails)"
    reference = "《社会救助暂行办法》(国务院令第649号) 第九条"

    def formula(household, period):
        return household("per_capita_income", period) < household("dibao_standard", period)


class dibao_household_qualifies(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = (
        "Income and property tests of dibao passed (before members paid by 特困 or child allowance)"
    )

    def formula(household, period):
        return household("dibao_income_test", period) & household("assets_pass", period)


class dibao_gap_per_person(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Standard minus per-capita income, with the optional floor, yuan per covered member"
    unit = "currency"

    def formula(household, period, parameters):
        standard = household("dibao_standard", period)
        gap = np.maximum(standard - household("per_capita_income", period), 0)
        return apply_floor(gap, standard, parameters, period)


class dibao_floor_applied(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "The minimum-payment floor raised the gap"

    def formula(household, period):
        standard = household("dibao_standard", period)
        raw_gap = np.maximum(standard - household("per_capita_income", period), 0)
        return household("dibao_gap_per_person", period) > raw_gap + 1e-9


class dibao_covered(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Member covered by the household's dibao (not paid as 特困 or by a child allowance)"

    def formula(person, period):
        qualifies = person.household("dibao_household_qualifies", period)
        return (
            qualifies
            & np.logical_not(person("tekun_paid", period))
            & np.logical_not(person("child_allowance_paid", period))
        )


class dibao_covered_members(Variable):
    value_type = int
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Members covered by the dibao top-up"

    def formula(household, period):
        return household.sum(household.members("dibao_covered", period))


class dibao_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Household eligible for dibao this month by its income and property"

    def formula(household, period):
        return household("dibao_household_qualifies", period) & (
            household("dibao_covered_members", period) > 0
        )


class dibao_top_up(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Dibao top-up (补差) = (standard - per-capita income) x covered members, yuan per month"
    unit = "currency"
    reference = "《最低生活保障审核确认办法》(民发〔2021〕57号)"

    def formula(household, period):
        amount = household("dibao_gap_per_person", period) * household(
            "dibao_covered_members", period
        )
        return np.where(household("dibao_eligible", period), amount, 0)


class dibao_person_share(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Dibao this person would bring (household gap, or own separate enrolment), yuan"
    unit = "currency"

    def formula(person, period):
        qualifies = person.household("dibao_household_qualifies", period)
        gap = person.household("dibao_gap_per_person", period)
        return np.where(qualifies, gap, person("separate_enrolment_entitlement", period))


# ---------------------------------------------------------------- graduated exit


class graduated_exit_month(Variable):
    value_type = int
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Month of the graduated exit: 1 is the first month with income above the line"

    def formula(household, period):
        start = household("graduated_exit_start", period)
        elapsed = months_between(start, period.start) + 1
        return np.where(start == NOT_SET, 1, elapsed)


class graduated_exit_within_grace(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "The exit month is within the grace months"

    def formula(household, period, parameters):
        grace = parameters(period).assistance.graduated_exit.exit_grace_months
        month = household("graduated_exit_month", period)
        return (month >= 1) & (month <= grace)


class dibao_graduated_exit(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Dibao household whose income rose above the standard, still in its grace months"
    reference = "嘉兴市《实施意见》(征求意见稿) 三(四); 民发〔2022〕83号"

    def formula(household, period):
        return (
            household("dibao_enrolled", period)
            & np.logical_not(household("dibao_income_test", period))
            & household("assets_pass", period)
            & household("graduated_exit_within_grace", period)
        )


class dibao_graduated_exit_amount(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Dibao paid during the graduated exit: the pre-exit amount, full or reduced"
    unit = "currency"

    def formula(household, period, parameters):
        rule = parameters(period).assistance.graduated_exit
        share = 1.0 if rule.exit_grace_mode == "full" else float(rule.reduced_share)
        amount = household("dibao_amount_before_exit", period) * share
        return np.where(household("dibao_graduated_exit", period), amount, 0)


class marginal_graduated_exit(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Marginal family whose income rose above the marginal line, still in its grace months"
    reference = "嘉兴市《实施意见》(征求意见稿) 三(四)"

    def formula(household, period):
        return (
            household("marginal_enrolled", period)
            & np.logical_not(household("marginal_income_test", period))
            & household("assets_pass", period)
            & household("graduated_exit_within_grace", period)
            & np.logical_not(household("dibao_graduated_exit", period))
        )


class graduated_exit_programme(Variable):
    value_type = Enum
    possible_values = ExitProgramme
    default_value = ExitProgramme.none
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Programme the household keeps during its graduated exit"

    def formula(household, period):
        return np.select(
            [
                household("dibao_graduated_exit", period),
                household("marginal_graduated_exit", period),
            ],
            [ExitProgramme.dibao.index, ExitProgramme.marginal.index],
            default=ExitProgramme.none.index,
        )


class on_dibao(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "On the dibao roll this month: eligible, or in the graduated exit"

    def formula(household, period):
        return household("dibao_eligible", period) | household("dibao_graduated_exit", period)


class dibao_amount(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Dibao paid to the household this month: top-up or graduated-exit amount"
    unit = "currency"

    def formula(household, period):
        return household("dibao_top_up", period) + household("dibao_graduated_exit_amount", period)


class dibao_member(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Person on the dibao roll: a covered member, or a member of a household in its exit"

    def formula(person, period):
        in_exit = person.household("dibao_graduated_exit", period) & np.logical_not(
            person("tekun_paid", period) | person("child_allowance_paid", period)
        )
        return person("dibao_covered", period) | in_exit | person("separate_enrolment_paid", period)


# ---------------------------------------------------------------- marginal and low-income rural


class marginal_income_line(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Marginal line: the multiple of the dibao standard, yuan per person per month"
    unit = "currency"

    def formula(household, period, parameters):
        multiple = parameters(period).assistance.marginal.income_multiple
        return multiple * household("dibao_standard", period)


class marginal_income_test(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Per-capita income below the marginal line"

    def formula(household, period):
        return household("per_capita_income", period) < household("marginal_income_line", period)


class marginal_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Dibao-marginal family: not dibao, income below the line, property within the rules"
    reference = "《最低生活保障审核确认办法》(民发〔2021〕57号)"

    def formula(household, period):
        return (
            np.logical_not(household("dibao_income_test", period))
            & household("marginal_income_test", period)
            & household("assets_pass", period)
            & np.logical_not(household("dibao_graduated_exit", period))
        )


class on_marginal(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Recognised as marginal this month: eligible, or in the graduated exit"

    def formula(household, period):
        return household("marginal_eligible", period) | household("marginal_graduated_exit", period)


class low_income_rural_line(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Income line of low-income rural households (the marginal line under 两线合一)"
    unit = "currency"

    def formula(household, period, parameters):
        rule = parameters(period).assistance.low_income_rural
        if rule.same_line_as_marginal:
            return household("marginal_income_line", period)
        return rule.own_income_multiple * household("dibao_standard", period)


class low_income_rural(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = (
        "Low-income rural household (低收入农户): rural, below the line, property within the rules"
    )
    reference = "嘉兴市《实施意见》(征求意见稿) 三(四): 两线合一"

    def formula(household, period):
        return (
            household("rural", period)
            & (household("per_capita_income", period) < household("low_income_rural_line", period))
            & household("assets_pass", period)
        )


# ---------------------------------------------------------------- separate enrolment


class separate_enrolment_condition(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Severe disability or serious illness that allows separate enrolment"

    def formula(person, period, parameters):
        rule = parameters(period).assistance.separate_enrolment
        grade = person("disability_grade", period)
        category = person("disability_category", period)
        certified = grade >= 1
        intellectual_or_mental = (category == DisabilityCategory.intellectual) | (
            category == DisabilityCategory.mental
        )
        return (
            (certified & (grade <= rule.max_grade_any_category))
            | (certified & intellectual_or_mental & (grade <= rule.max_grade_intellectual_mental))
            | (person("serious_illness", period) & rule.serious_illness_qualifies)
        )


class separate_enrolment_entitlement(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Own dibao as a one-person household (standard - own income), before exclusions"
    unit = "currency"
    reference = (
        "《最低生活保障审核确认办法》(民发〔2021〕57号); 嘉兴市《实施意见》(征求意见稿) 三(四)"
    )

    def formula(person, period, parameters):
        standard = person.household("dibao_standard", period)
        gap = np.maximum(standard - person("counted_income", period), 0)
        gap = apply_floor(gap, standard, parameters, period)
        allowed = person.household("marginal_eligible", period) & person(
            "separate_enrolment_condition", period
        )
        return np.where(allowed, gap, 0)
