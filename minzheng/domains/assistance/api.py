"""API: assess a household for every assistance programme, from JSON or from the register.

The request body is the assess JSON of `docs/rules/assess.md`; it is read and validated by the
rules themselves so that every problem is a 422 naming the field (`members[0].birth_date`).
"""

from __future__ import annotations

import datetime as dt
import json
from copy import deepcopy
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from pydantic import BaseModel, ConfigDict

from minzheng.common.api import ObjectId
from minzheng.common.errors import ValidationFailed
from minzheng.domains.assistance.assess import (
    assess_json,
    first_assessable_date,
    household_assess,
)
from minzheng.kernel.accounts.api import request_actor
from minzheng.rules.assess import AssessInput

router = Router(tags=["assistance"])


def _assess_date_pattern(first: dt.date) -> str:
    """A day from the first whole year with every parameter in force up to 2100 (the rules'
    limit); format "date" rules out days such as 02-30."""
    year = first.year if (first.month, first.day) == (1, 1) else first.year + 1
    decade, digit = divmod(year - 2000, 10)
    later = f"|[{decade + 1}-9][0-9]" if decade < 9 else ""
    years = f"20({decade}[{digit}-9]{later})|2100"
    return rf"^({years})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


FIRST_ASSESSABLE_DATE = first_assessable_date()
ASSESS_DATE_PATTERN = _assess_date_pattern(FIRST_ASSESSABLE_DATE)
BIRTH_DATE_PATTERN = (
    r"^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-"
    r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
)
MAX_BODY_DEPTH = 64


# --- request body: the rules' own input model, documented as JSON Schema -------------------


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    """Replace every local `$ref` by the definition it names (the body schema stands alone)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = deepcopy(definitions[node["$ref"].rsplit("/", 1)[1]])
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return _inline({**target, **rest}, definitions)
        return {k: _inline(v, definitions) for k, v in node.items() if k != "title"}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node


def _date(pattern: str, description: str) -> dict[str, Any]:
    return {"type": "string", "format": "date", "pattern": pattern, "description": description}


def assess_request_schema() -> dict[str, Any]:
    """JSON Schema of the assess body, with the rules' cross-field checks where JSON Schema can
    say them (one head; disability grade and category together; at most two parents; enrolment).
    """
    schema = AssessInput.model_json_schema()
    body: dict[str, Any] = _inline(schema, schema.pop("$defs", {}))
    body["description"] = "One household; field by field in docs/rules/assess.md."
    properties = body["properties"]
    properties["county"]["description"] = "County-level division code."
    properties["date"] = _date(
        ASSESS_DATE_PATTERN,
        f"Day assessed (YYYY-MM-DD), from {FIRST_ASSESSABLE_DATE.year} to 2100.",
    )

    members = properties["members"]
    members["description"] = (
        "Members living together: exactly one with relation `head`; ids unique; no birth date "
        "after `date`."
    )
    members["contains"] = {
        "type": "object",
        "required": ["relation"],
        "properties": {"relation": {"const": "head"}},
    }
    members["minContains"] = 1
    members["maxContains"] = 1
    member = members["items"]
    member["properties"]["birth_date"] = _date(BIRTH_DATE_PATTERN, "Birth date (YYYY-MM-DD).")
    member["allOf"] = [
        {
            "anyOf": [
                {
                    "properties": {
                        "disability_grade": {"type": "null"},
                        "disability_category": {"type": "null"},
                    }
                },
                {
                    "required": ["disability_grade", "disability_category"],
                    "properties": {
                        "disability_grade": {"type": "integer"},
                        "disability_category": {"type": "string"},
                    },
                },
            ]
        },
        {
            "anyOf": [
                {"properties": {"parents_deceased": {"const": 0}}},
                {
                    "properties": {
                        "parents_deceased": {"const": 1},
                        "parents_incapacitated": {"maximum": 1},
                    }
                },
                {
                    "properties": {
                        "parents_deceased": {"const": 2},
                        "parents_incapacitated": {"const": 0},
                    }
                },
            ]
        },
    ]
    enrolment = properties["enrolment"]
    enrolment["properties"]["exit_since"] = {
        "anyOf": [_date(BIRTH_DATE_PATTERN, "Not after `date`."), {"type": "null"}],
        "default": None,
    }
    enrolment["anyOf"] = [
        {"properties": {"dibao": {"const": False}}},
        {
            "required": ["dibao", "dibao_monthly_amount"],
            "properties": {
                "dibao": {"const": True},
                "marginal": {"const": False},
                "dibao_monthly_amount": {"type": "number"},
            },
        },
    ]
    return body


ASSESS_EXAMPLE = {
    "county": "330402",
    "date": "2026-07-01",
    "members": [
        {
            "id": "a",
            "birth_date": "1950-03-01",
            "relation": "head",
            "income": {"transfer": 300},
        }
    ],
    "assets": {"deposits": 0, "houses": 1, "vehicles": 0, "business": False},
}


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value, counted no further than `limit`."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > limit:
            return depth
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _json_body(request: HttpRequest) -> Any:
    try:
        data = json.loads(request.body)
    except (ValueError, RecursionError):
        raise HttpError(400, "The request body is not valid JSON.") from None
    if _depth(data, MAX_BODY_DEPTH) > MAX_BODY_DEPTH:
        raise HttpError(400, "The request body is nested too deeply.")
    return data


# --- responses ----------------------------------------------------------------------------


class TestOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    test: str = Field(description="The test, e.g. `income_below_standard`.")
    passed: bool
    reason_code: str = Field(description="Reported in `reason_codes` when the test fails.")


class ExplanationOut(BaseModel):
    """The tests with the numbers they compared; more numbers of the computation alongside."""

    model_config = ConfigDict(extra="allow")

    tests: list[TestOut]
    reason_codes: list[str] = Field(description="The reason code of every failed test.")


class ProgrammeOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    eligible: bool
    monthly_amount: float = Field(description="Yuan per month (0 for statuses).")
    explanation: ExplanationOut


class ProgrammesOut(Schema):
    """Every programme, in this order."""

    dibao: ProgrammeOut
    graduated_exit: ProgrammeOut
    marginal: ProgrammeOut
    low_income_rural: ProgrammeOut
    separate_enrolment: ProgrammeOut
    tekun: ProgrammeOut
    orphan: ProgrammeOut
    unsupported: ProgrammeOut
    disability_living: ProgrammeOut
    disability_nursing: ProgrammeOut
    temporary: ProgrammeOut
    expenditure_poverty: ProgrammeOut
    price_subsidy: ProgrammeOut


class AssessOut(Schema):
    county: str
    date: dt.date
    period: str = Field(description="The month assessed, YYYY-MM.", examples=["2026-07"])
    dibao_standard: float = Field(description="The county's dibao standard in force, yuan/month.")
    programmes: ProgrammesOut
    total_monthly_amount: float = Field(description="dibao + graduated_exit, yuan per month.")


class BasisOut(Schema):
    verification_report_id: int | None = Field(
        description="The verification report whose incomes and assets were used, if any."
    )
    verification_as_of: dt.date | None
    notes: list[str] = Field(description="Where the register data had to be completed.")


class HouseholdAssessmentOut(AssessOut):
    household_id: int
    input: dict[str, Any] = Field(description="The assess JSON built from the register.")
    basis: BasisOut


class AssessmentQuery(Schema):
    date: str | None = Field(
        None,
        pattern=ASSESS_DATE_PATTERN,
        json_schema_extra={"format": "date"},
        description=(
            f"Day assessed, YYYY-MM-DD, from {FIRST_ASSESSABLE_DATE.year} to 2100; "
            "today when left out."
        ),
        examples=["2026-07-01"],
    )


# --- operations ---------------------------------------------------------------------------


@router.post(
    "/assistance/assess",
    response=AssessOut,
    summary="Assess a household given as JSON",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": assess_request_schema(),
                    "example": ASSESS_EXAMPLE,
                }
            },
        }
    },
)
def assess(request: HttpRequest) -> dict[str, Any]:
    """For every programme: `eligible`, `monthly_amount` and the explanation, with the
    parameters in force. A malformed household is a 422 whose `errors` name each field."""
    return assess_json(data=_json_body(request))


@router.get(
    "/assistance/households/{household_id}/assessment",
    response=HouseholdAssessmentOut,
    summary="Assess a household of the register",
)
def household_assessment(
    request: HttpRequest, household_id: ObjectId, query: Query[AssessmentQuery]
) -> dict[str, Any]:
    """A household in your regions assessed on `date` from the register and its latest
    verification report; 404 outside your regions."""
    try:
        on = dt.date.fromisoformat(query.date) if query.date else timezone.localdate()
    except ValueError:
        raise ValidationFailed("Enter a real calendar date.", field="date") from None
    return household_assess(actor=request_actor(request), household_id=household_id, on=on)
