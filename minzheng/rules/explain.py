"""Machine-readable explanations: for each household and programme, which tests passed or
failed, with which numbers.

Pure: reads a computed (or computable) simulation, returns plain dicts in stable English codes.
Every programme gives::

    {"eligible": bool, "monthly_amount": float, "explanation": {
        "tests": [{"test": "income_below_standard", "passed": False,
                   "reason_code": "income_at_or_above_standard",
                   "per_capita_income": 900.0, "standard": 880.0}, ...],
        "reason_codes": [...the reason_code of every failed test...],
        ...numbers of the computation...}}

Programmes paid to persons (特困, separate enrolment, child allowances, disability subsidies)
explain each relevant member under ``explanation.members``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from openfisca_core.indexed_enums import EnumArray
from openfisca_core.periods import DateUnit, Period
from openfisca_core.periods import period as make_period
from openfisca_core.simulations import Simulation

from minzheng.rules.batch import decode_enum

PROGRAMMES: tuple[str, ...] = (
    "dibao",
    "graduated_exit",
    "marginal",
    "low_income_rural",
    "separate_enrolment",
    "tekun",
    "orphan",
    "unsupported",
    "disability_living",
    "disability_nursing",
    "temporary",
    "expenditure_poverty",
    "price_subsidy",
)
"""Every programme the assessment reports, in a stable order."""


def _plain(value: Any) -> Any:
    """numpy scalars to JSON-friendly Python values; money rounded to the fen."""
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return round(number, 2) if abs(number) < 1e8 else number
    if isinstance(value, np.str_):
        return str(value)
    return value


class _Arrays:
    """Cached arrays of a simulation for one month; enums decoded to names."""

    def __init__(self, simulation: Simulation, period: Period) -> None:
        self.simulation = simulation
        self.period = period
        self._cache: dict[str, np.ndarray] = {}
        self.parameters = simulation.tax_benefit_system.parameters(period)
        households = simulation.populations["household"]
        self.person_household = np.asarray(households.members_entity_id, dtype=np.int64)
        self.person_ids = np.asarray(simulation.populations["person"].ids)
        self._order: np.ndarray | None = None
        self._starts = np.zeros(0, dtype=np.int64)

    def __call__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            array = self.simulation.calculate(name, self.period)
            if isinstance(array, EnumArray):
                array = decode_enum(array)
            self._cache[name] = np.asarray(array)
        return self._cache[name]

    def members(self, household: int) -> np.ndarray:
        """Indices of the household's members, in person order (grouped once, then sliced)."""
        if self._order is None:
            self._order = np.argsort(self.person_household, kind="stable")
            self._starts = np.searchsorted(
                self.person_household[self._order],
                np.arange(self.simulation.populations["household"].count + 1),
            )
        start, stop = self._starts[household], self._starts[household + 1]
        return self._order[start:stop]


def _test(test: str, passed: Any, reason_code: str, **numbers: Any) -> dict[str, Any]:
    entry = {"test": test, "passed": bool(passed), "reason_code": reason_code}
    entry.update({key: _plain(value) for key, value in numbers.items()})
    return entry


def _result(
    eligible: Any, amount: Any, tests: list[dict[str, Any]], **details: Any
) -> dict[str, Any]:
    explanation: dict[str, Any] = {
        "tests": tests,
        "reason_codes": [test["reason_code"] for test in tests if not test["passed"]],
    }
    explanation.update({key: _plain(value) for key, value in details.items()})
    return {
        "eligible": bool(eligible),
        "monthly_amount": _plain(float(amount)),
        "explanation": explanation,
    }


# ---------------------------------------------------------------- shared tests


def _asset_tests(a: _Arrays, h: int) -> list[dict[str, Any]]:
    rule = a.parameters.assistance.assets
    return [
        _test(
            "deposits_per_capita",
            a("asset_deposits_pass")[h],
            "asset_deposits",
            value=a("deposits_per_capita")[h],
            limit=a("deposits_limit")[h],
            multiple_of_standard=rule.deposits_multiple,
            deposits=a("deposits")[h],
            members=a("household_size")[h],
        ),
        _test(
            "houses",
            a("asset_houses_pass")[h],
            "asset_houses",
            value=a("houses")[h],
            limit=rule.max_houses,
        ),
        _test(
            "vehicles",
            a("asset_vehicles_pass")[h],
            "asset_vehicles",
            value=a("vehicles")[h],
            limit=rule.max_vehicles,
        ),
        _test(
            "business_registration",
            a("asset_business_pass")[h],
            "asset_business",
            value=a("business")[h],
            allowed=bool(rule.business_allowed),
        ),
    ]


def _income_numbers(a: _Arrays, h: int) -> dict[str, Any]:
    return {
        "per_capita_income": a("per_capita_income")[h],
        "household_income": a("household_income")[h],
        "members": a("household_size")[h],
        "lookback_months": int(a.parameters.assistance.income.lookback_months),
    }


def _member_income(a: _Arrays, p: int) -> dict[str, Any]:
    return {
        "counted_income": _plain(a("counted_income")[p]),
        "wage_average": _plain(a("income_wage_average")[p]),
        "employment_cost_deduction": _plain(a("employment_cost_deduction")[p]),
        "other_counted_average": _plain(a("income_other_counted_average")[p]),
        "not_counted": _plain(a("income_not_counted")[p]),
    }


# ---------------------------------------------------------------- programmes


def _dibao(a: _Arrays, h: int) -> dict[str, Any]:
    standard = a("dibao_standard")[h]
    tests = [
        _test(
            "income_below_standard",
            a("dibao_income_test")[h],
            "income_at_or_above_standard",
            standard=standard,
            **_income_numbers(a, h),
        ),
        *_asset_tests(a, h),
    ]
    excluded = []
    for p in a.members(h):
        if a("tekun_paid")[p]:
            excluded.append({"member": _plain(a.person_ids[p]), "reason": "paid_as_tekun"})
        elif a("child_allowance_paid")[p]:
            excluded.append({"member": _plain(a.person_ids[p]), "reason": "paid_child_allowance"})
    if a("dibao_household_qualifies")[h]:
        tests.append(
            _test(
                "covered_members",
                a("dibao_covered_members")[h] > 0,
                "no_covered_member",
                value=a("dibao_covered_members")[h],
                excluded=excluded,
            )
        )
    members = [{"member": _plain(a.person_ids[p]), **_member_income(a, p)} for p in a.members(h)]
    return _result(
        a("dibao_eligible")[h],
        a("dibao_top_up")[h],
        tests,
        standard=standard,
        gap_per_person=a("dibao_gap_per_person")[h],
        floor_applied=a("dibao_floor_applied")[h],
        covered_members=a("dibao_covered_members")[h],
        formula="(standard - per_capita_income) x covered_members",
        members=members,
    )


def _graduated_exit(a: _Arrays, h: int) -> dict[str, Any]:
    rule = a.parameters.assistance.graduated_exit
    enrolled_dibao = a("dibao_enrolled")[h]
    enrolled_marginal = a("marginal_enrolled")[h]
    if enrolled_dibao:
        above_line = not a("dibao_income_test")[h]
        line = a("dibao_standard")[h]
    else:
        above_line = not a("marginal_income_test")[h]
        line = a("marginal_income_line")[h]
    tests = [
        _test(
            "enrolled",
            enrolled_dibao or enrolled_marginal,
            "not_enrolled",
            dibao=enrolled_dibao,
            marginal=enrolled_marginal,
        ),
        _test(
            "income_above_line",
            above_line,
            "income_below_line",
            per_capita_income=a("per_capita_income")[h],
            line=line,
        ),
        _test("assets_pass", a("assets_pass")[h], "assets_fail"),
        _test(
            "within_grace_months",
            a("graduated_exit_within_grace")[h],
            "grace_months_over",
            month=a("graduated_exit_month")[h],
            grace_months=int(rule.exit_grace_months),
        ),
    ]
    in_exit = a("dibao_graduated_exit")[h] or a("marginal_graduated_exit")[h]
    return _result(
        in_exit,
        a("dibao_graduated_exit_amount")[h],
        tests,
        programme=a("graduated_exit_programme")[h],
        mode=str(rule.exit_grace_mode),
        reduced_share=float(rule.reduced_share),
        amount_before_exit=a("dibao_amount_before_exit")[h],
    )


def _marginal(a: _Arrays, h: int) -> dict[str, Any]:
    tests = [
        _test(
            "not_dibao",
            not a("dibao_income_test")[h],
            "income_below_standard",
            per_capita_income=a("per_capita_income")[h],
            standard=a("dibao_standard")[h],
        ),
        _test(
            "income_below_marginal_line",
            a("marginal_income_test")[h],
            "income_at_or_above_marginal_line",
            per_capita_income=a("per_capita_income")[h],
            line=a("marginal_income_line")[h],
            multiple=float(a.parameters.assistance.marginal.income_multiple),
        ),
        *_asset_tests(a, h),
        _test("not_in_dibao_exit", not a("dibao_graduated_exit")[h], "in_dibao_exit"),
    ]
    return _result(
        a("marginal_eligible")[h],
        0,
        tests,
        cash_benefit=False,
        note="special assistance (medical, education, housing, employment), no monthly cash",
    )


def _low_income_rural(a: _Arrays, h: int) -> dict[str, Any]:
    rule = a.parameters.assistance.low_income_rural
    tests = [
        _test("rural_household", a("rural")[h], "not_rural"),
        _test(
            "income_below_line",
            a("per_capita_income")[h] < a("low_income_rural_line")[h],
            "income_at_or_above_line",
            per_capita_income=a("per_capita_income")[h],
            line=a("low_income_rural_line")[h],
            same_line_as_marginal=bool(rule.same_line_as_marginal),
        ),
        *_asset_tests(a, h),
    ]
    return _result(a("low_income_rural")[h], 0, tests, cash_benefit=False)


def _members_result(
    a: _Arrays,
    h: int,
    members: Iterable[int],
    eligible: np.ndarray,
    amount: np.ndarray,
    explain_member: Callable[[int], dict[str, Any]],
    none_reason: str,
) -> dict[str, Any]:
    entries = []
    total = 0.0
    any_eligible = False
    for p in members:
        entry = explain_member(p)
        tests = entry.pop("tests")
        member_eligible = bool(eligible[p])
        member_amount = float(amount[p])
        entries.append(
            {
                "member": _plain(a.person_ids[p]),
                "eligible": member_eligible,
                "monthly_amount": _plain(member_amount),
                "tests": tests,
                "reason_codes": [t["reason_code"] for t in tests if not t["passed"]],
                **entry,
            }
        )
        total += member_amount
        any_eligible = any_eligible or member_eligible
    tests = [] if entries else [_test("relevant_member", False, none_reason)]
    result = _result(any_eligible, total, tests, members=entries)
    if entries and not any_eligible:
        # Why nobody qualifies: every member's failed tests, each code once, in order.
        codes = [code for entry in entries for code in entry["reason_codes"]]
        result["explanation"]["reason_codes"] = list(dict.fromkeys(codes))
    return result


def _separate_enrolment(a: _Arrays, h: int) -> dict[str, Any]:
    def member(p: int) -> dict[str, Any]:
        standard = a("dibao_standard")[h]
        return {
            "tests": [
                _test("marginal_household", a("marginal_eligible")[h], "household_not_marginal"),
                _test(
                    "qualifying_condition",
                    a("separate_enrolment_condition")[p],
                    "no_qualifying_condition",
                    disability_grade=a("disability_grade")[p],
                    disability_category=a("disability_category")[p],
                    serious_illness=a("serious_illness")[p],
                ),
                _test(
                    "own_income_below_standard",
                    a("counted_income")[p] < standard,
                    "own_income_at_or_above_standard",
                    counted_income=a("counted_income")[p],
                    standard=standard,
                ),
                _test(
                    "not_paid_otherwise",
                    not (a("tekun_paid")[p] or a("child_allowance_paid")[p]),
                    "paid_as_tekun" if a("tekun_paid")[p] else "paid_child_allowance",
                ),
            ],
            "entitlement": _plain(a("separate_enrolment_entitlement")[p]),
            "formula": "standard - own counted income",
        }

    relevant = [p for p in a.members(h) if a("separate_enrolment_condition")[p]]
    return _members_result(
        a,
        h,
        relevant,
        a("separate_enrolment_paid"),
        a("separate_enrolment_amount"),
        member,
        "no_qualifying_member",
    )


def _tekun(a: _Arrays, h: int) -> dict[str, Any]:
    rule = a.parameters.assistance.tekun

    def member(p: int) -> dict[str, Any]:
        self_care = str(a("self_care")[p])
        return {
            "tests": [
                _test(
                    "no_work_capacity",
                    a("tekun_no_work_capacity")[p],
                    "work_capacity",
                    age=a("age")[p],
                    elderly_age=int(rule.elderly_age),
                    minor_age=int(rule.minor_age),
                    disability_grade=a("disability_grade")[p],
                    disability_category=a("disability_category")[p],
                ),
                _test(
                    "no_livelihood",
                    a("tekun_no_livelihood")[p],
                    "has_livelihood",
                    counted_income=a("counted_income")[p],
                    standard=a("dibao_standard")[h],
                    assets_pass=a("assets_pass")[h],
                ),
                _test(
                    "no_capable_supporter",
                    a("tekun_no_supporter")[p],
                    "has_capable_supporter",
                ),
                _test(
                    "not_paid_child_allowance",
                    not a("child_allowance_paid")[p],
                    "paid_child_allowance",
                ),
            ],
            "self_care": {
                "failed_indicators": _plain(a("self_care_failed")[p]),
                "class": self_care,
            },
            "basic": _plain(a("tekun_basic")[p]),
            "basic_multiplier": float(rule.basic_multiplier),
            "care": _plain(a("tekun_care")[p]),
            "care_denominator": int(rule.care_denominator[self_care]),
            "minimum_wage_previous_year": _plain(a("minimum_wage_previous_year")[h]),
            "centralised_care": _plain(a("centralised_care")[p]),
            "formula": "basic_multiplier x standard + minimum_wage / care_denominator",
        }

    return _members_result(
        a, h, a.members(h), a("tekun_paid"), a("tekun_amount"), member, "no_member"
    )


def _child_programme(name: str) -> Callable[[_Arrays, int], dict[str, Any]]:
    def explain(a: _Arrays, h: int) -> dict[str, Any]:
        rule = a.parameters.child_welfare

        def member(p: int) -> dict[str, Any]:
            status = a(name)[p]
            alternative = (
                a("tekun_entitlement")[p] if a("tekun_eligible")[p] else a("dibao_person_share")[p]
            )
            return {
                "tests": [
                    _test(
                        "child",
                        a("child")[p],
                        "not_child",
                        age=a("age")[p],
                        adult_age=int(rule.adult_age),
                    ),
                    _test(
                        f"{name}_status",
                        status,
                        f"not_{name}",
                        parents_deceased=a("parents_deceased")[p],
                        parents_incapacitated=a("parents_incapacitated")[p],
                    ),
                    _test(
                        "higher_than_dibao_or_tekun",
                        a(f"{name}_amount")[p] > 0 or not status,
                        "dibao_or_tekun_higher",
                        entitlement=a(f"{name}_entitlement")[p],
                        alternative=alternative,
                    ),
                ],
                "standard": _plain(a("orphan_standard")[p]),
                "centralised_care": _plain(a("centralised_care")[p]),
            }

        children = [p for p in a.members(h) if a("child")[p]]
        amount = a(f"{name}_amount")
        return _members_result(a, h, children, amount > 0, amount, member, "no_child")

    return explain


def _disability(name: str) -> Callable[[_Arrays, int], dict[str, Any]]:
    def explain(a: _Arrays, h: int) -> dict[str, Any]:
        rule = getattr(a.parameters.disability, name.split("_")[1])

        def member(p: int) -> dict[str, Any]:
            grade = int(a("disability_grade")[p])
            rate = float(rule.rate[f"grade_{grade}"]) if 1 <= grade <= 4 else 0.0
            if name == "disability_living":
                tests = [
                    _test(
                        "poor_household",
                        a("disability_living_eligible")[p],
                        "not_dibao_member",
                        dibao_member=a("dibao_member")[p],
                        on_marginal=a("on_marginal")[h],
                        include_marginal=bool(rule.include_marginal),
                        tekun=a("tekun_paid")[p],
                        include_tekun=bool(rule.include_tekun),
                    )
                ]
            else:
                tests = [
                    _test(
                        "severe_disability",
                        grade in (1, 2)
                        or (
                            grade in (3, 4)
                            and str(a("disability_category")[p]) in ("intellectual", "mental")
                            and bool(rule.extend_intellectual_mental)
                        ),
                        "not_severe",
                        disability_grade=grade,
                        disability_category=a("disability_category")[p],
                        extend_intellectual_mental=bool(rule.extend_intellectual_mental),
                    ),
                    _test(
                        "no_work_injury_care_allowance",
                        not a("work_injury_care_allowance")[p],
                        "work_injury_care_allowance",
                    ),
                ]
            return {
                "tests": tests,
                "rate_of_standard": rate,
                "standard": _plain(a("dibao_standard")[h]),
                "stacks_with": "disability_nursing"
                if name == "disability_living"
                else "disability_living",
            }

        certified = [p for p in a.members(h) if a("disability_certified")[p]]
        return _members_result(
            a, h, certified, a(f"{name}_eligible"), a(name), member, "no_certified_member"
        )

    return explain


def _temporary(a: _Arrays, h: int) -> dict[str, Any]:
    rule = a.parameters.assistance.temporary
    standard = a("dibao_standard")[h]
    kind = str(a("temporary_type")[h])
    tests = [
        _test(
            "qualifying_hardship",
            kind != "none",
            "no_qualifying_hardship",
            emergency_event=a("emergency_event")[h],
            expenditure_poverty=a("expenditure_poverty")[h],
            on_dibao=a("on_dibao")[h],
            on_marginal=a("on_marginal")[h],
            rigid_spending=a("rigid_spending")[h],
        ),
        _test(
            "need_assessed",
            a("temporary_need")[h] > 0,
            "no_need_assessed",
            need=a("temporary_need")[h],
        ),
        _test(
            "within_yearly_cap",
            a("temporary_cap_remaining")[h] > 0,
            "yearly_cap_reached",
            yearly_cap=rule.annual_cap_multiple * standard,
            received_12m=a("temporary_received_12m")[h],
            remaining=a("temporary_cap_remaining")[h],
        ),
    ]
    amount = a("temporary_amount")[h]
    result = _result(
        kind != "none" and amount > 0,
        0,
        tests,
        type=kind,
        one_off_amount=amount,
        approval_level=a("temporary_approval_level")[h],
        town_cap=rule.town_cap_multiple * standard,
        county_cap=rule.county_cap_multiple * standard,
    )
    result["one_off_amount"] = _plain(float(amount))
    return result


def _expenditure_poverty(a: _Arrays, h: int) -> dict[str, Any]:
    members = a.members(h)
    tekun_member = bool(a("tekun_eligible")[members].any()) if len(members) else False
    tests = [
        _test(
            "not_dibao_marginal_or_tekun",
            not (a("on_dibao")[h] or a("on_marginal")[h] or tekun_member),
            "already_covered",
            on_dibao=a("on_dibao")[h],
            on_marginal=a("on_marginal")[h],
            tekun_member=tekun_member,
        ),
        _test(
            "income_below_disposable_income",
            a("per_capita_income")[h] < a("expenditure_poverty_income_line")[h],
            "income_at_or_above_disposable_income",
            per_capita_income=a("per_capita_income")[h],
            line=a("expenditure_poverty_income_line")[h],
        ),
        *_asset_tests(a, h),
        _test(
            "rigid_spending_ratio",
            a("rigid_spending_ratio")[h]
            > a.parameters.assistance.expenditure_poverty.rigid_spending_ratio,
            "rigid_spending_below_ratio",
            rigid_spending=a("rigid_spending")[h],
            household_income=a("household_income")[h],
            ratio=a("rigid_spending_ratio")[h],
            limit=float(a.parameters.assistance.expenditure_poverty.rigid_spending_ratio),
        ),
    ]
    return _result(a("expenditure_poverty")[h], 0, tests, cash_benefit=False)


def _price_subsidy(a: _Arrays, h: int) -> dict[str, Any]:
    rule = a.parameters.assistance.price_subsidy
    members = a.members(h)
    recipients = [_plain(a.person_ids[p]) for p in members if a("price_subsidy_recipient")[p]]
    rate = a("price_subsidy_rate")[h]
    tests = [
        _test(
            "triggered",
            rate > 0,
            "not_triggered",
            cpi_yoy=float(rule.cpi_yoy),
            cpi_trigger=float(rule.cpi_trigger),
            food_cpi_yoy=float(rule.food_cpi_yoy),
            food_cpi_trigger=float(rule.food_cpi_trigger),
        ),
        _test("recipient_member", bool(recipients), "no_recipient", recipients=recipients),
    ]
    return _result(
        a("price_subsidy")[h] > 0,
        a("price_subsidy")[h],
        tests,
        rate=rate,
        standard=a("dibao_standard")[h],
        formula="standard x rate per recipient",
    )


EXPLAINERS: dict[str, Callable[[_Arrays, int], dict[str, Any]]] = {
    "dibao": _dibao,
    "graduated_exit": _graduated_exit,
    "marginal": _marginal,
    "low_income_rural": _low_income_rural,
    "separate_enrolment": _separate_enrolment,
    "tekun": _tekun,
    "orphan": _child_programme("orphan"),
    "unsupported": _child_programme("unsupported"),
    "disability_living": _disability("disability_living"),
    "disability_nursing": _disability("disability_nursing"),
    "temporary": _temporary,
    "expenditure_poverty": _expenditure_poverty,
    "price_subsidy": _price_subsidy,
}


def explain(
    simulation: Simulation,
    period: str | Period,
    *,
    households: Sequence[int] | None = None,
    programmes: Sequence[str] = PROGRAMMES,
) -> list[dict[str, dict[str, Any]]]:
    """For each household (all, or those indexed): programme -> eligible, amount, explanation."""
    month = period if isinstance(period, Period) else make_period(str(period)[:7])
    if month.unit != DateUnit.MONTH:
        raise ValueError(f"period must be a month, got {period!r}")
    unknown = [name for name in programmes if name not in EXPLAINERS]
    if unknown:
        raise ValueError(f"unknown programmes: {unknown}")
    arrays = _Arrays(simulation, month)
    indices = range(simulation.populations["household"].count) if households is None else households
    return [{name: EXPLAINERS[name](arrays, int(h)) for name in programmes} for h in indices]
