"""Building blocks every app's API router shares: pagination and the problem-details schema.

The routers live in each app's `api.py`; the NinjaAPI that mounts them is in minzheng/web/api.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Generic, TypeVar

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.params.functions import Path as PathParam
from pydantic import BeforeValidator

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
# Deep offsets are slow and, past 2**63, overflow the database: bound them well below.
MAX_OFFSET = 1_000_000_000
MAX_DATABASE_ID = 2**63 - 1

# Free text sent to the database must not hold NUL characters: PostgreSQL refuses them.
TEXT_PATTERN = r"^[^\x00]*$"
# A name or a reason: one line without control characters and with at least one visible
# character, so that what the schema accepts is exactly what the services accept after
# strip() (Python and the JSON Schema regex engines agree on whitespace outside C0 controls).
LINE_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"

T = TypeVar("T")


def _whole_number_text(value: Any) -> Any:
    """Query and path values arrive as text: accept "12" but not "12.0", " 12" or "1_2"."""
    if isinstance(value, str) and not re.fullmatch(r"-?[0-9]+", value):
        raise ValueError(_("Enter a whole number in digits, such as 20."))
    return value


# An integer read from the query string or the path, with its text checked strictly.
WholeNumber = Annotated[int, BeforeValidator(_whole_number_text)]


class PageParams(Schema):
    """limit/offset pagination; `count` in the answer is the total number of matches."""

    limit: WholeNumber = Field(
        DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page (1–100)."
    )
    offset: WholeNumber = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")


class Page(Schema, Generic[T]):
    count: int = Field(description="Total number of matching items.")
    limit: int
    offset: int
    items: list[T]


def paginate(queryset: QuerySet[Any], page: PageParams) -> dict[str, Any]:
    """One page of `queryset` and its total count (two queries plus any prefetches)."""
    return {
        "count": queryset.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": list(queryset[page.offset : page.offset + page.limit]),
    }


# A path parameter holding a database id: positive and within a 64-bit integer, so a huge
# number is a 422 instead of an overflow in the database driver.
ObjectId = Annotated[
    WholeNumber, PathParam(..., ge=1, le=MAX_DATABASE_ID, description="The object's id.")
]


class FieldError(Schema):
    field: str = Field(description="The request field at fault, e.g. `limit` or `reason`.")
    message: str
    location: str | None = Field(None, description="Where the field was sent: query, path, body.")


class Problem(Schema):
    """An error as RFC 9457 problem details (`application/problem+json`)."""

    type: str = Field(description="A stable URI naming the kind of problem.")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable machine-readable code, e.g. `person_not_found`.")
    instance: str = Field(description="The path of the request that failed.")
    errors: list[FieldError] | None = Field(None, description="Field errors of a 422.")
