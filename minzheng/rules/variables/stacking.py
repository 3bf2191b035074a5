"""Exclusion and stacking between programmes, and what is paid in the end.

1. 特困 excludes dibao: a 特困 person is not a covered dibao member.
2. A child's allowance (orphan or de-facto unsupported) is not stacked with dibao or 特困:
   the higher benefit is paid (a tie goes to the child allowance). Orphan and unsupported are
   exclusive by definition; if both applied, the higher is paid.
3. Separate enrolment is dibao for one person: excluded by 特困 and by a child allowance.
4. The two disability subsidies stack with each other and with dibao or 特困 (disability.py).
"""

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from minzheng.rules.entities import Household, Person


class child_allowance_paid(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "The child allowance is paid instead of dibao or 特困 (it is at least as high)"

    def formula(person, period):
        allowance = person("child_allowance_entitlement", period)
        tekun = person("tekun_entitlement", period)
        alternative = np.where(
            person("tekun_eligible", period), tekun, person("dibao_person_share", period)
        )
        return (allowance > 0) & (allowance >= alternative)


class tekun_paid(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "特困 support is paid (eligible, and no higher child allowance)"

    def formula(person, period):
        return person("tekun_eligible", period) & np.logical_not(
            person("child_allowance_paid", period)
        )


class tekun_amount(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "特困 support paid, yuan per month"
    unit = "currency"

    def formula(person, period):
        return np.where(person("tekun_paid", period), person("tekun_entitlement", period), 0)


class separate_enrolment_paid(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Separately enrolled (单独列户) and paid as a one-person dibao household"

    def formula(person, period):
        return (
            (person("separate_enrolment_entitlement", period) > 0)
            & np.logical_not(person("tekun_paid", period))
            & np.logical_not(person("child_allowance_paid", period))
        )


class separate_enrolment_amount(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Dibao of the separately enrolled member, yuan per month"
    unit = "currency"

    def formula(person, period):
        return np.where(
            person("separate_enrolment_paid", period),
            person("separate_enrolment_entitlement", period),
            0,
        )


class orphan_amount(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Orphan allowance paid, yuan per month"
    unit = "currency"

    def formula(person, period):
        orphan = person("orphan_entitlement", period)
        paid = person("child_allowance_paid", period) & (
            orphan >= person("unsupported_entitlement", period)
        )
        return np.where(paid, orphan, 0)


class unsupported_amount(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "De-facto unsupported child allowance paid, yuan per month"
    unit = "currency"

    def formula(person, period):
        unsupported = person("unsupported_entitlement", period)
        paid = person("child_allowance_paid", period) & (
            unsupported > person("orphan_entitlement", period)
        )
        return np.where(paid, unsupported, 0)


class assistance_monthly_total(Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "Every monthly cash benefit of the household this month (one-off amounts excluded)"
    unit = "currency"

    def formula(household, period):
        person_amounts = (
            household.members("separate_enrolment_amount", period)
            + household.members("tekun_amount", period)
            + household.members("orphan_amount", period)
            + household.members("unsupported_amount", period)
            + household.members("disability_living", period)
            + household.members("disability_nursing", period)
        )
        return (
            household("dibao_amount", period)
            + household.sum(person_amounts)
            + household("price_subsidy", period)
        )
