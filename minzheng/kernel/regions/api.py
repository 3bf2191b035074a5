"""API: the region tree inside the caller's scope."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.params.functions import Path as PathParam

from minzheng.common.api import Page, PageParams, paginate
from minzheng.kernel.accounts.api import request_actor
from minzheng.kernel.regions.models import Region, RegionLevel
from minzheng.kernel.regions.selectors import ancestors, region_get, region_list

router = Router(tags=["regions"])

# Statistical codes: 6 digits (city, county), 9 (town), 12 (village), 15 (grid).
CODE_PATTERN = r"^[0-9]{6,15}$"
RegionCode = Annotated[
    str, PathParam(..., pattern=CODE_PATTERN, description="The region's statistical code.")
]


class RegionRef(Schema):
    code: str
    name: str
    level: RegionLevel


class RegionOut(Schema):
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None = Field(
        description="Code of the region directly above; null for the city."
    )
    registered_population: int
    resident_population: int

    @staticmethod
    def resolve_parent_code(obj: Region) -> str | None:
        codes = obj.path.strip("/").split("/")
        return codes[-2] if len(codes) > 1 else None


class RegionDetailOut(RegionOut):
    ancestors: list[RegionRef] = Field(description="The chain from the city down to the parent.")

    @staticmethod
    def resolve_ancestors(obj: Region) -> list[Region]:
        return ancestors(region=obj)[:-1]


class RegionPage(Page[RegionOut]):
    pass


class RegionFilters(Schema):
    parent: str | None = Field(
        None, pattern=CODE_PATTERN, description="Only regions directly under this region code."
    )
    level: RegionLevel | None = Field(None, description="Only regions of this level.")


@router.get("/regions", response=RegionPage, summary="List regions")
def list_regions(
    request: HttpRequest, filters: Query[RegionFilters], page: Query[PageParams]
) -> dict:
    """Regions inside your scope, by code; filter by parent code and level."""
    actor = request_actor(request)
    parent = region_get(actor=actor, code=filters.parent) if filters.parent else None
    return paginate(region_list(actor=actor, parent=parent, level=filters.level), page)


@router.get("/regions/{code}", response=RegionDetailOut, summary="Get a region")
def get_region(request: HttpRequest, code: RegionCode) -> Region:
    """One region inside your scope, with its ancestors."""
    return region_get(actor=request_actor(request), code=code)
