"""Assess one household with the rules in force: from JSON, or from the register.

The bridge between the database and the pure rules (`minzheng.rules.assess`): the rules are
always those in force (`system_in_force()`: the YAML baseline with the city administrator's
confirmed parameter changes), and a register household is turned into the same JSON the
API takes (`docs/rules/assess.md`).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, get_args

from django.utils.translation import gettext as _
from openfisca_core.errors import ParameterNotFoundError

from minzheng.common.errors import ValidationFailed
from minzheng.kernel.accounts.models import User
from minzheng.kernel.parameters.overlay import leaves
from minzheng.kernel.parameters.selectors import system_in_force
from minzheng.kernel.people.models import Household, Membership, Relation
from minzheng.kernel.people.selectors import household_get
from minzheng.kernel.verification.models import VerificationReport
from minzheng.rules import tax_benefit_system
from minzheng.rules.assess import AssessInputError, CountyCode, assess_household

__all__ = [
    "AssessInputInvalid",
    "assess_json",
    "first_assessable_date",
    "household_assess",
    "household_assess_unscoped",
    "household_assessment_input",
]

COUNTIES = frozenset(get_args(CountyCode))
INCOME_ITEMS = ("wage", "business", "property", "transfer", "pension_basic", "excluded")
# The register's relations that the rules name differently.
RELATIONS: dict[str, str] = {Relation.CHILD_IN_LAW: "child", Relation.PARENT_IN_LAW: "parent"}
DISABILITY_GRADES = range(1, 5)


class AssessInputInvalid(ValidationFailed):
    """The assess input is malformed; `errors` names every bad field (`members[0].birth_date`)."""

    code = "assess_input_invalid"

    def __init__(self, error: AssessInputError) -> None:
        errors = [
            {"field": item["field"] or "body", "message": item["message"], "location": "body"}
            for item in error.errors
        ]
        super().__init__(
            _("The household data is not valid: see `errors`."),
            field=errors[0]["field"],
            extra={"errors": errors},
        )
        self.errors = errors


def assess_json(*, data: Any) -> dict[str, Any]:
    """Assess one household given as the assess JSON, with the parameters in force.

    Raises `AssessInputInvalid` (a 422) naming each bad field when `data` is malformed.
    """
    try:
        return assess_household(data, system=system_in_force())
    except AssessInputError as error:
        raise AssessInputInvalid(error) from None
    except ParameterNotFoundError:
        message = f"no parameters in force on this date (from {first_assessable_date()})"
        raise AssessInputInvalid(AssessInputError("date", message)) from None


@functools.cache
def first_assessable_date() -> dt.date:
    """The first day every baseline parameter has a value: assessments start there."""
    starts = [
        min(value.instant_str for value in parameter.values_list)
        for parameter in leaves(tax_benefit_system().parameters)
    ]
    return dt.date.fromisoformat(max(starts))


def _members_on(household: Household, on: dt.date) -> list[Membership]:
    """Members living together on `on`: membership covering the day, born and alive then."""
    memberships = getattr(household, "all_memberships", None)
    if memberships is None:
        memberships = list(household.memberships.select_related("person").order_by("id"))
    return sorted(
        (
            m
            for m in memberships
            if m.start_date <= on
            and (m.end_date is None or m.end_date >= on)
            and m.person.birth_date <= on
            and (m.person.death_date is None or m.person.death_date > on)
        ),
        key=lambda m: (m.start_date, m.pk),
    )


def _latest_report(household: Household, on: dt.date) -> VerificationReport | None:
    return (
        VerificationReport.objects.filter(household=household, as_of__lte=on)
        .order_by("-as_of", "-id")
        .first()
    )


def _money(value: Any) -> float:
    try:
        number = float(value or 0)
    except (TypeError, ValueError):
        return 0.0
    return round(number, 2) if number > 0 else 0.0


def _count(value: Any) -> int:
    try:
        return max(int(value or 0), 0)
    except (TypeError, ValueError):
        return 0


def _build(household: Household, on: dt.date) -> tuple[dict[str, Any], dict[str, Any]]:
    """The assess JSON of `household` on `on`, and where its figures come from."""
    notes: list[str] = []
    county = household.region.county_code
    if county not in COUNTIES:
        raise ValidationFailed(
            _("The household's region lies in no county with a dibao standard."),
            code="household_county_unknown",
            field="household_id",
        )
    memberships = _members_on(household, on)
    if not memberships:
        raise ValidationFailed(
            _("The household has no members on %(date)s.") % {"date": on.isoformat()},
            code="household_empty",
            field="date",
        )
    report = _latest_report(household, on)
    summary = report.summary if report is not None else {}
    income_by_person = {
        row.get("person_id"): row.get("income_monthly") or {}
        for row in summary.get("members", [])
        if isinstance(row, dict)
    }
    if report is None:
        notes.append("no_verification_report: incomes and assets taken as zero")

    heads = [m for m in memberships if m.relation == Relation.HEAD]
    # One head is required: the latest to take the role, or the longest-standing member.
    head = max(heads, key=lambda m: (m.start_date, m.pk)) if heads else memberships[0]
    if not heads:
        notes.append(f"no_head_on_date: member {head.person_id} assessed as the head")

    members = []
    for membership in memberships:
        person = membership.person
        grade = person.disability_grade
        category = person.disability_category or None
        if grade not in DISABILITY_GRADES or category is None:
            if grade or category:
                notes.append(f"incomplete_disability: member {person.pk} assessed as not disabled")
            grade, category = None, None
        if membership is head:
            relation = "head"
        elif membership.relation == Relation.HEAD:
            relation = "other"
        else:
            relation = RELATIONS.get(membership.relation, str(membership.relation))
        income = income_by_person.get(person.pk, {})
        members.append(
            {
                "id": str(person.pk),
                "birth_date": person.birth_date.isoformat(),
                "relation": relation,
                "disability_grade": grade,
                "disability_category": category,
                "serious_illness": bool(person.serious_illness),
                "self_care_failed": 0,
                "student": bool(person.is_student),
                "work_ability": str(person.work_ability or "full"),
                "income": {item: _money(income.get(item)) for item in INCOME_ITEMS},
            }
        )
    assets = (summary.get("household") or {}).get("assets") or {}
    data = {
        "county": county,
        "date": on.isoformat(),
        "members": members,
        "assets": {
            "deposits": _money(assets.get("deposits")),
            "houses": _count(assets.get("houses")),
            "vehicles": _count(assets.get("vehicles")),
            "business": bool(assets.get("business")),
        },
        "expenditure": {"medical": 0.0, "education": 0.0, "rehabilitation": 0.0},
        "rural": household.region.is_rural,
    }
    basis = {
        "verification_report_id": report.pk if report is not None else None,
        "verification_as_of": report.as_of.isoformat() if report is not None else None,
        "notes": notes,
    }
    return data, basis


def household_assessment_input(*, actor: User, household_id: int, on: dt.date) -> dict[str, Any]:
    """The assess JSON of a register household on `on` (404 outside the actor's regions).

    Members are those living together on that day with their register facts; incomes (monthly
    averages by item) and assets come from the household's latest verification report as of
    that day, or are zero when it has none.
    """
    household = household_get(actor=actor, household_id=household_id)
    return _build(household, on)[0]


def household_assess(*, actor: User, household_id: int, on: dt.date) -> dict[str, Any]:
    """Assess a register household on `on`: the assessment plus the input and its basis."""
    household = household_get(actor=actor, household_id=household_id)
    data, basis = _build(household, on)
    result = assess_json(data=data)
    return {"household_id": household.pk, **result, "input": data, "basis": basis}


def household_assess_unscoped(*, household_id: int, on: dt.date) -> dict[str, Any]:
    """`household_assess` without a region scope: for operators' commands on the server only."""
    household = Household.objects.select_related("region").get(pk=household_id)
    data, basis = _build(household, on)
    result = assess_json(data=data)
    return {"household_id": household.pk, **result, "input": data, "basis": basis}
