"""API: the register of persons and households, inside the caller's regions.

ID numbers and phone numbers are masked everywhere; the full ID number comes only from the
reveal operation, which needs a permission and a reason and is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from minzheng.common.api import LINE_PATTERN, TEXT_PATTERN, ObjectId, Page, PageParams, paginate
from minzheng.common.masking import mask_phone
from minzheng.kernel.accounts.api import request_actor
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.people.models import (
    DisabilityCategory,
    Household,
    Membership,
    Person,
    Relation,
    Sex,
    WorkAbility,
)
from minzheng.kernel.people.selectors import (
    household_get,
    household_list,
    person_get,
    person_list,
    person_memberships,
)
from minzheng.kernel.people.services import person_reveal_id_number
from minzheng.kernel.regions.api import RegionRef

router = Router(tags=["people"])


class SearchFilters(Schema):
    q: str = Field(
        "",
        max_length=100,
        pattern=TEXT_PATTERN,
        description=(
            "What a clerk types: an ID number (exact), a mobile number (exact), a name "
            "(prefix) or pinyin, full or initials (prefix)."
        ),
    )


class PersonRef(Schema):
    id: int
    name: str
    sex: Sex
    birth_date: dt.date
    id_number_masked: str = Field(examples=["330402********123X"])


class PersonListOut(PersonRef):
    phone_masked: str = Field(examples=["139****0011"])
    residence_region: RegionRef
    registered_region: RegionRef = Field(description="Household registration (户籍) region.")
    death_date: dt.date | None

    @staticmethod
    def resolve_phone_masked(obj: Person) -> str:
        return mask_phone(obj.phone)


class HouseholdRef(Schema):
    id: int
    address: str
    region: RegionRef


class PersonMembershipOut(Schema):
    relation: Relation
    start_date: dt.date
    end_date: dt.date | None
    end_reason: str
    region: RegionRef = Field(description="The household's region.")
    household: HouseholdRef | None = Field(
        description="The household; null when it lies outside your regions."
    )

    @staticmethod
    def resolve_region(obj: Membership) -> Any:
        return obj.household.region

    @staticmethod
    def resolve_household(obj: Membership, context: dict[str, Any]) -> Household | None:
        actor = request_actor(context["request"])
        return obj.household if has_perm(actor, Perm.PEOPLE_VIEW, obj.household.region) else None


class PersonOut(PersonListOut):
    disability_grade: int | None
    disability_category: DisabilityCategory | None
    serious_illness: bool
    work_ability: WorkAbility
    is_student: bool
    memberships: list[PersonMembershipOut] = Field(description="Current household first.")

    @staticmethod
    def resolve_disability_category(obj: Person) -> str | None:
        return obj.disability_category or None

    @staticmethod
    def resolve_memberships(obj: Person) -> list[Membership]:
        return person_memberships(person=obj)


class PersonPage(Page[PersonListOut]):
    pass


class RevealIn(Schema):
    reason: str = Field(
        ...,
        min_length=1,
        max_length=500,
        pattern=LINE_PATTERN,
        description="Why you need the full number; kept in the audit trail.",
        examples=["核对低保申请材料"],
    )


class RevealOut(Schema):
    person_id: int
    id_number: str = Field(description="The full citizen ID number.")


class HouseholdMemberOut(Schema):
    person: PersonRef
    relation: Relation
    start_date: dt.date
    end_date: dt.date | None
    end_reason: str


def _prefetched(household: Household, attribute: str) -> list[Membership]:
    """The memberships a household selector prefetched into `attribute` (its to_attr)."""
    return list(getattr(household, attribute))


class HouseholdListOut(HouseholdRef):
    head: PersonRef | None = Field(description="The current head of household.")
    member_count: int = Field(description="Current members.")

    @staticmethod
    def resolve_head(obj: Household) -> Person | None:
        members = _prefetched(obj, "current_memberships")
        return next((m.person for m in members if m.relation == Relation.HEAD), None)

    @staticmethod
    def resolve_member_count(obj: Household) -> int:
        return len(_prefetched(obj, "current_memberships"))


class HouseholdOut(HouseholdRef):
    members: list[HouseholdMemberOut] = Field(description="Current members.")
    past_members: list[HouseholdMemberOut] = Field(description="Memberships that have ended.")

    @staticmethod
    def resolve_members(obj: Household) -> list[Membership]:
        return [m for m in _prefetched(obj, "all_memberships") if m.end_date is None]

    @staticmethod
    def resolve_past_members(obj: Household) -> list[Membership]:
        return [m for m in _prefetched(obj, "all_memberships") if m.end_date is not None]


class HouseholdPage(Page[HouseholdListOut]):
    pass


@router.get("/persons", response=PersonPage, summary="Search persons")
def list_persons(
    request: HttpRequest, filters: Query[SearchFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Persons living or registered in your regions, ordered by pinyin."""
    return paginate(person_list(actor=request_actor(request), query=filters.q), page)


@router.get("/persons/{person_id}", response=PersonOut, summary="Get a person")
def get_person(request: HttpRequest, person_id: ObjectId) -> Person:
    """One person in your regions with their household history; 404 outside them."""
    return person_get(actor=request_actor(request), person_id=person_id)


@router.post(
    "/persons/{person_id}/reveal-id-number",
    response=RevealOut,
    summary="Reveal a full ID number",
)
def reveal_person_id_number(
    request: HttpRequest, person_id: ObjectId, payload: RevealIn
) -> dict[str, Any]:
    """The full ID number, for holders of the reveal permission; each reveal is audited."""
    actor = request_actor(request)
    person = person_get(actor=actor, person_id=person_id)
    id_number = person_reveal_id_number(actor=actor, person=person, reason=payload.reason)
    return {"person_id": person.pk, "id_number": id_number}


@router.get("/households", response=HouseholdPage, summary="Search households")
def list_households(
    request: HttpRequest, filters: Query[SearchFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Households in your regions; `q` matches the address or any current member."""
    return paginate(household_list(actor=request_actor(request), query=filters.q), page)


@router.get("/households/{household_id}", response=HouseholdOut, summary="Get a household")
def get_household(request: HttpRequest, household_id: ObjectId) -> Household:
    """One household in your regions with current and past members; 404 outside them."""
    return household_get(actor=request_actor(request), household_id=household_id)
