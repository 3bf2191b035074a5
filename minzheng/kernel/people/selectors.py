"""Reads of the register, always inside the actor's regions."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Collate

from minzheng.common import crypto
from minzheng.common.db import is_postgresql
from minzheng.common.errors import NotFound, PermissionRefused
from minzheng.kernel.accounts.models import UserKind
from minzheng.kernel.accounts.permissions import Perm, scope_paths
from minzheng.kernel.people.id_numbers import IdNumberError, parse_id_number
from minzheng.kernel.people.models import ID_NUMBER_PURPOSE, Household, Membership, Person
from minzheng.kernel.regions.selectors import path_filter

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

PHONE_RE = re.compile(r"^1\d{10}$")
ID_LIKE_RE = re.compile(r"^(\d{15}|\d{17}[\dXx])$")
PINYIN_RE = re.compile(r"^[a-zA-Z]+$")


def _view_paths(actor: User, perm: Perm = Perm.PEOPLE_VIEW) -> list[str]:
    paths = scope_paths(actor, perm)
    if not paths:
        raise PermissionRefused("You may not view the people register.", code="people_view_denied")
    return paths


def person_scope(actor: User) -> Q:
    """Persons living or registered (户籍) in the actor's regions."""
    paths = _view_paths(actor)
    return path_filter(paths, field="residence_region") | path_filter(
        paths, field="registered_region"
    )


def household_scope(actor: User, perm: Perm = Perm.PEOPLE_VIEW) -> Q:
    return path_filter(_view_paths(actor, perm), field="region")


def person_list(*, actor: User, query: str = "") -> QuerySet[Person]:
    """Persons in scope, optionally matching `query` (see person_search_filter)."""
    qs = Person.objects.filter(person_scope(actor)).select_related(
        "residence_region", "registered_region"
    )
    if not query:
        return qs.order_by("name_pinyin", "id")
    qs = qs.filter(person_search_filter(query))
    if is_postgresql():
        # Sorting the matches in byte order (the same order for pinyin) stops PostgreSQL from
        # walking the whole name_pinyin index when a common prefix matches tens of thousands.
        return qs.order_by(Collate("name_pinyin", "C"), "id")
    return qs.order_by("name_pinyin", "id")


def person_search_filter(query: str) -> Q:
    """What a clerk types: an ID number, a phone number, a name, or pinyin (full or initials).

    Names and pinyin match by prefix so the indexes serve the search at city scale.
    """
    text = query.strip()
    if ID_LIKE_RE.match(text):
        try:
            number = parse_id_number(text).value
        except IdNumberError:
            return Q(pk__in=[])
        return Q(id_number_digest=crypto.blind_index(number, purpose=ID_NUMBER_PURPOSE))
    if PHONE_RE.match(text):
        return Q(phone=text)
    if PINYIN_RE.match(text):
        lowered = text.lower()
        return Q(name_initials__startswith=lowered) | Q(name_pinyin__startswith=lowered)
    return Q(name__startswith=text)


def person_candidates(*, actor: User, query: str, limit: int = 8) -> list[Person]:
    """The first persons in scope matching `query`, each with `current_memberships` (0 or 1).

    For pickers that choose a person to add to a household: a person may live in one
    household at a time, so the picker shows where each candidate lives now.
    """
    if not query.strip():
        return []
    current = Prefetch(
        "memberships",
        queryset=Membership.objects.filter(end_date__isnull=True).select_related("household"),
        to_attr="current_memberships",
    )
    return list(person_list(actor=actor, query=query).prefetch_related(current)[:limit])


def id_number_taken(*, id_number: str) -> bool:
    """Whether a valid ID number is already in the register, in any region.

    Registering the number would be refused anyway; this lets a form say so before saving.
    """
    try:
        number = parse_id_number(id_number).value
    except IdNumberError:
        return False
    digest = crypto.blind_index(number, purpose=ID_NUMBER_PURPOSE)
    return Person.objects.filter(id_number_digest=digest).exists()


def person_get(*, actor: User, person_id: int) -> Person:
    """One person in scope; NotFound for persons outside it, so their existence is not leaked."""
    try:
        return (
            Person.objects.filter(person_scope(actor))
            .select_related("residence_region", "registered_region")
            .get(pk=person_id)
        )
    except Person.DoesNotExist:
        raise NotFound("No such person in your regions.", code="person_not_found") from None


def person_memberships(*, person: Person) -> list[Membership]:
    """The person's household history, current first."""
    return list(
        Membership.objects.filter(person=person)
        .select_related("household__region")
        # NULL (current) sorts first on every database, not only on SQLite.
        .order_by(F("end_date").asc(nulls_first=True), "-start_date")
    )


def household_list(
    *, actor: User, query: str = "", perm: Perm = Perm.PEOPLE_VIEW
) -> QuerySet[Household]:
    """Households in scope; `query` matches the address or any current member (by search rules).

    `perm` narrows the scope, e.g. to the households the actor may change (Perm.PEOPLE_CHANGE).
    """
    qs = Household.objects.filter(household_scope(actor, perm))
    if query:
        member_ids = Membership.objects.filter(end_date__isnull=True).filter(
            **{"person__in": Person.objects.filter(person_search_filter(query))}
        )
        qs = qs.filter(
            Q(address__contains=query.strip()) | Q(pk__in=member_ids.values("household"))
        )
    return qs.select_related("region").prefetch_related(_current_members()).order_by("id")


def _current_members() -> Prefetch:
    return Prefetch(
        "memberships",
        queryset=Membership.objects.filter(end_date__isnull=True)
        .select_related("person")
        .order_by("start_date", "id"),
        to_attr="current_memberships",
    )


def household_get(*, actor: User, household_id: int) -> Household:
    """One household in scope with all memberships (current and past) prefetched."""
    try:
        return (
            Household.objects.filter(household_scope(actor))
            .select_related("region")
            .prefetch_related(
                Prefetch(
                    "memberships",
                    queryset=Membership.objects.select_related("person").order_by(
                        "end_date", "start_date", "id"
                    ),
                    to_attr="all_memberships",
                )
            )
            .get(pk=household_id)
        )
    except Household.DoesNotExist:
        raise NotFound("No such household in your regions.", code="household_not_found") from None


def current_household(*, person: Person) -> Household | None:
    membership = (
        Membership.objects.filter(person=person, end_date__isnull=True)
        .select_related("household")
        .first()
    )
    return membership.household if membership else None


def resident_person(*, resident: User) -> Person | None:
    """The register person linked to a resident account; None while the account is unlinked.

    A resident's scope is their own record: staff accounts get None here.
    """
    if getattr(resident, "kind", None) != UserKind.RESIDENT or resident.person_id is None:
        return None
    return (
        Person.objects.select_related("residence_region", "registered_region")
        .filter(pk=resident.person_id)
        .first()
    )


def resident_household(*, resident: User) -> Household | None:
    """The current household of the resident's linked person, with its current members.

    None for an unlinked account, a person in no household, or a staff account.
    """
    if getattr(resident, "kind", None) != UserKind.RESIDENT or resident.person_id is None:
        return None
    return (
        Household.objects.filter(
            memberships__person_id=resident.person_id, memberships__end_date__isnull=True
        )
        .select_related("region")
        .prefetch_related(_current_members())
        .first()
    )


def person_history_count(*, person: Person) -> int:
    """How many recorded versions of the person's facts there are (creation and every change)."""
    return person.history.count()
