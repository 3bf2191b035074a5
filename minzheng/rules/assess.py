"""Assess one household given as JSON: every programme's eligibility, amount and explanation.

The pure half of ``POST /api/v1/assistance/assess`` and ``manage.py assistance_assess``: input
validated strictly (an ``AssessInputError`` names the field), then the same vectorised path as
the batch (``batch.build_simulation``) with one household. Amounts are yuan per month; the
input format is documented field by field in ``docs/rules/assess.md``.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import numpy as np
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from minzheng.rules.batch import build_simulation
from minzheng.rules.explain import explain

__all__ = [
    "AssessInput",
    "AssessInputError",
    "assess_household",
    "assess_households",
    "parse_assess_input",
    "to_columns",
]

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_AMOUNT = 1e10


class AssessInputError(ValueError):
    """The assess input is malformed; ``field`` names the first bad field (e.g. ``members[0].id``).

    ``errors`` lists every problem found, each as ``{"field": ..., "message": ...}``.
    """

    def __init__(
        self, field: str, message: str, errors: Sequence[Mapping[str, str]] | None = None
    ) -> None:
        self.field = field
        self.message = message
        self.errors = (
            [dict(error) for error in errors] if errors else [{"field": field, "message": message}]
        )
        super().__init__(f"{field}: {message}" if field else message)


def _iso_date(value: Any) -> Any:
    """Dates are ``YYYY-MM-DD`` strings (or ``date`` objects from Python callers), nothing else."""
    if isinstance(value, datetime.datetime):
        raise ValueError("expected a date YYYY-MM-DD, not a date and time")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and ISO_DATE.match(value):
        return value
    raise ValueError("expected a date as a string YYYY-MM-DD")


IsoDate = Annotated[datetime.date, BeforeValidator(_iso_date)]
Money = Annotated[float, Field(ge=0, le=MAX_AMOUNT, strict=True, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=1000, strict=True)]
Flag = Annotated[bool, Field(strict=True)]

CountyCode = Literal["330402", "330411", "330421", "330424", "330481", "330482", "330483"]
RelationName = Literal[
    "head", "spouse", "child", "parent", "grandchild", "grandparent", "sibling", "other"
]
CategoryName = Literal[
    "visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"
]
WorkAbilityName = Literal["full", "partial", "none"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IncomeInput(_Strict):
    """A member's income, yuan per month (monthly average over the look-back window)."""

    wage: Money = 0
    business: Money = 0
    property: Money = 0
    transfer: Money = 0
    pension_basic: Money = 0
    excluded: Money = 0


class MemberInput(_Strict):
    id: Annotated[str, Field(min_length=1, max_length=64, strict=True)]
    birth_date: IsoDate
    relation: RelationName = "other"
    disability_grade: Annotated[int, Field(ge=1, le=4, strict=True)] | None = None
    disability_category: CategoryName | None = None
    serious_illness: Flag = False
    self_care_failed: Annotated[int, Field(ge=0, le=6, strict=True)] = 0
    student: Flag = False
    work_ability: WorkAbilityName = "full"
    income: IncomeInput = IncomeInput()
    has_capable_supporter: Flag = True
    centralised_care: Flag = False
    parents_deceased: Annotated[int, Field(ge=0, le=2, strict=True)] = 0
    parents_incapacitated: Annotated[int, Field(ge=0, le=2, strict=True)] = 0
    work_injury_care_allowance: Flag = False

    @model_validator(mode="after")
    def _consistent(self) -> MemberInput:
        if (self.disability_grade is None) != (self.disability_category is None):
            missing = (
                "disability_category" if self.disability_category is None else ("disability_grade")
            )
            raise ValueError(
                f"{missing}: disability_grade and disability_category go together "
                "(both null, or both set)"
            )
        if self.parents_deceased + self.parents_incapacitated > 2:
            raise ValueError(
                "parents_incapacitated: parents_deceased + parents_incapacitated cannot exceed 2"
            )
        return self


class AssetsInput(_Strict):
    deposits: Money = 0
    houses: Count = 0
    vehicles: Count = 0
    business: Flag = False


class ExpenditureInput(_Strict):
    """Rigid spending, yuan per month (monthly average over the look-back window)."""

    medical: Money = 0
    education: Money = 0
    rehabilitation: Money = 0


class EnrolmentInput(_Strict):
    """Where the household stands before this month, for the graduated exit."""

    dibao: Flag = False
    marginal: Flag = False
    dibao_monthly_amount: Money | None = None
    exit_since: IsoDate | None = None

    @model_validator(mode="after")
    def _consistent(self) -> EnrolmentInput:
        if self.dibao and self.marginal:
            raise ValueError("marginal: a household is on dibao or marginal, not both")
        if self.dibao and self.dibao_monthly_amount is None:
            raise ValueError(
                "dibao_monthly_amount: required when dibao is true (the amount paid before the "
                "exit, continued during the graduated exit)"
            )
        return self


class TemporaryInput(_Strict):
    emergency: Flag = False
    need: Money = 0
    received_12m: Money = 0


class AssessInput(_Strict):
    county: CountyCode
    date: IsoDate
    members: Annotated[list[MemberInput], Field(min_length=1, max_length=50)]
    assets: AssetsInput
    expenditure: ExpenditureInput = ExpenditureInput()
    rural: Flag = False
    enrolment: EnrolmentInput = EnrolmentInput()
    temporary: TemporaryInput = TemporaryInput()

    @model_validator(mode="after")
    def _consistent(self) -> AssessInput:
        if not 2000 <= self.date.year <= 2100:
            raise ValueError("date: expected a year between 2000 and 2100")
        return self


def _field_name(location: Sequence[Any]) -> str:
    name = ""
    for part in location:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name


def _errors_from(error: ValidationError) -> list[dict[str, str]]:
    result = []
    for item in error.errors(include_url=False):
        location = [part for part in item["loc"] if part not in ("function-after",)]
        message = str(item["msg"])
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        # Errors raised by a model check name their field first: "field: message".
        head, separator, rest = message.partition(": ")
        if separator and re.fullmatch(r"[a-z_0-9]+", head):
            location = [*location, head]
            message = rest
        result.append({"field": _field_name(location), "message": message})
    return result


def _check_members(request: AssessInput) -> list[dict[str, str]]:
    errors = []
    seen: set[str] = set()
    for index, member in enumerate(request.members):
        if member.id in seen:
            errors.append({"field": f"members[{index}].id", "message": "duplicate member id"})
        seen.add(member.id)
        if member.birth_date > request.date:
            errors.append(
                {
                    "field": f"members[{index}].birth_date",
                    "message": "after the assessment date",
                }
            )
    heads = [member for member in request.members if member.relation == "head"]
    if len(heads) != 1:
        errors.append(
            {
                "field": "members",
                "message": f"exactly one member must have relation 'head' (found {len(heads)})",
            }
        )
    exit_since = request.enrolment.exit_since
    if exit_since is not None and exit_since > request.date:
        errors.append({"field": "enrolment.exit_since", "message": "after the assessment date"})
    return errors


def parse_assess_input(data: Any) -> AssessInput:
    """Validate the assess JSON; raise ``AssessInputError`` naming the field on any problem."""
    if not isinstance(data, Mapping):
        raise AssessInputError("", "expected a JSON object")
    try:
        request = AssessInput.model_validate(dict(data))
    except ValidationError as error:
        errors = _errors_from(error)
        raise AssessInputError(errors[0]["field"], errors[0]["message"], errors) from None
    errors = _check_members(request)
    if errors:
        raise AssessInputError(errors[0]["field"], errors[0]["message"], errors)
    return request


def to_columns(
    requests: Sequence[AssessInput],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Validated households to the batch's columns: households, persons, household index, head."""
    members = [(h, member) for h, request in enumerate(requests) for member in request.members]

    def person(getter: Any, dtype: Any = None) -> np.ndarray:
        return np.array([getter(member) for _, member in members], dtype=dtype)

    def household(getter: Any, dtype: Any = None) -> np.ndarray:
        return np.array([getter(request) for request in requests], dtype=dtype)

    persons = {
        "birth_date": person(lambda m: m.birth_date.isoformat(), "datetime64[D]"),
        "relation": person(lambda m: m.relation),
        "disability_grade": person(lambda m: m.disability_grade or 0, np.int32),
        "disability_category": person(lambda m: m.disability_category or "none"),
        "serious_illness": person(lambda m: m.serious_illness, bool),
        "self_care_failed": person(lambda m: m.self_care_failed, np.int32),
        "student": person(lambda m: m.student, bool),
        "work_ability": person(lambda m: m.work_ability),
        "has_capable_supporter": person(lambda m: m.has_capable_supporter, bool),
        "centralised_care": person(lambda m: m.centralised_care, bool),
        "parents_deceased": person(lambda m: m.parents_deceased, np.int32),
        "parents_incapacitated": person(lambda m: m.parents_incapacitated, np.int32),
        "work_injury_care_allowance": person(lambda m: m.work_injury_care_allowance, bool),
    }
    for item in ("wage", "business", "property", "transfer", "pension_basic", "excluded"):
        persons[f"income_{item}"] = person(lambda m, item=item: getattr(m.income, item), float)

    not_set = "0001-01-01"
    households = {
        "county": household(lambda r: r.county),
        "rural": household(lambda r: r.rural, bool),
        "deposits": household(lambda r: r.assets.deposits, float),
        "houses": household(lambda r: r.assets.houses, np.int32),
        "vehicles": household(lambda r: r.assets.vehicles, np.int32),
        "business": household(lambda r: r.assets.business, bool),
        "expenditure_medical": household(lambda r: r.expenditure.medical, float),
        "expenditure_education": household(lambda r: r.expenditure.education, float),
        "expenditure_rehabilitation": household(lambda r: r.expenditure.rehabilitation, float),
        "dibao_enrolled": household(lambda r: r.enrolment.dibao, bool),
        "marginal_enrolled": household(lambda r: r.enrolment.marginal, bool),
        "dibao_amount_before_exit": household(
            lambda r: r.enrolment.dibao_monthly_amount or 0.0, float
        ),
        "graduated_exit_start": household(
            lambda r: r.enrolment.exit_since.isoformat() if r.enrolment.exit_since else not_set,
            "datetime64[D]",
        ),
        "emergency_event": household(lambda r: r.temporary.emergency, bool),
        "temporary_need": household(lambda r: r.temporary.need, float),
        "temporary_received_12m": household(lambda r: r.temporary.received_12m, float),
    }
    person_household = np.array([h for h, _ in members], dtype=np.int64)
    person_is_head = np.array([member.relation == "head" for _, member in members], dtype=bool)
    return households, persons, person_household, person_is_head


def assess_households(
    data: Sequence[Any], *, system: TaxBenefitSystem | None = None
) -> list[dict[str, Any]]:
    """Assess several households of the same month in one simulation (same result as one by one)."""
    requests = []
    for index, item in enumerate(data):
        try:
            requests.append(parse_assess_input(item))
        except AssessInputError as error:
            prefix = f"[{index}]"
            errors = [
                {
                    "field": prefix + ("." + e["field"] if e["field"] else ""),
                    "message": e["message"],
                }
                for e in error.errors
            ]
            raise AssessInputError(errors[0]["field"], errors[0]["message"], errors) from None
    return _assess(requests, system=system)


def _assess(
    requests: Sequence[AssessInput], *, system: TaxBenefitSystem | None
) -> list[dict[str, Any]]:
    if not requests:
        return []
    months = {request.date.strftime("%Y-%m") for request in requests}
    if len(months) > 1:
        raise AssessInputError(
            "date", f"households of one call share a month, got {sorted(months)}"
        )
    period = months.pop()
    households, persons, person_household, person_is_head = to_columns(requests)
    simulation = build_simulation(
        period,
        households=households,
        persons=persons,
        person_household=person_household,
        person_is_head=person_is_head,
        system=system,
    )
    simulation.populations["person"].ids = np.array(
        [member.id for request in requests for member in request.members], dtype=object
    )
    explained = explain(simulation, period)
    standards = simulation.calculate("dibao_standard", period)
    results = []
    for index, (request, programmes) in enumerate(zip(requests, explained, strict=True)):
        total = sum(programme["monthly_amount"] for programme in programmes.values())
        results.append(
            {
                "county": request.county,
                "date": request.date.isoformat(),
                "period": period,
                "dibao_standard": round(float(standards[index]), 2),
                "programmes": programmes,
                "total_monthly_amount": round(float(total), 2),
            }
        )
    return results


def assess_household(data: Any, *, system: TaxBenefitSystem | None = None) -> dict[str, Any]:
    """Assess one household: for every programme, ``eligible``, ``monthly_amount``, ``explanation``.

    ``data`` is the assess JSON (a dict); raises ``AssessInputError`` naming the field when it is
    malformed. The month is the month of ``date``; parameters are those in force on its first day.
    """
    return _assess([parse_assess_input(data)], system=system)[0]
