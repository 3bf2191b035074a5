"""Writes to the register. Each is one transaction with one audit event."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common import crypto
from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.common.masking import mask_id_number
from minzheng.common.pinyin import name_initials, name_pinyin
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.people import hooks
from minzheng.kernel.people.id_numbers import parse_id_number
from minzheng.kernel.people.models import (
    ID_NUMBER_PURPOSE,
    Household,
    Membership,
    Person,
    Relation,
    WorkAbility,
)
from minzheng.kernel.regions.models import Region

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

EDITABLE_FIELDS = {
    "name",
    "phone",
    "registered_region",
    "residence_region",
    "disability_grade",
    "disability_category",
    "serious_illness",
    "work_ability",
    "is_student",
    "death_date",
}


def _require(actor: User | None, perm: Perm, region: Region) -> None:
    """Refuse unless the actor holds `perm` over `region`; None is the system itself."""
    if actor is not None and not has_perm(actor, perm, region):
        raise PermissionRefused(
            _("You may not change records of %(region)s.") % {"region": region.name}
        )


def _validate_facts(facts: dict[str, Any]) -> None:
    grade = facts.get("disability_grade")
    category = facts.get("disability_category") or ""
    if grade is not None and grade not in (1, 2, 3, 4):
        raise ValidationFailed(_("The disability grade must be 1 to 4."), field="disability_grade")
    if (grade is None) != (category == ""):
        raise ValidationFailed(
            _("Record the disability grade and category together, or neither."),
            field="disability_category",
        )
    if facts.get("work_ability", WorkAbility.FULL) not in WorkAbility.values:
        raise ValidationFailed(_("Unknown work ability."), field="work_ability")
    phone = facts.get("phone") or ""
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 20):
        raise ValidationFailed(_("The phone number may contain digits only."), field="phone")
    name = (facts.get("name") or "").strip()
    if "name" in facts and not name:
        raise ValidationFailed(_("Enter the name."), field="name")


def id_number_digest(id_number: str) -> str:
    return crypto.blind_index(id_number, purpose=ID_NUMBER_PURPOSE)


def person_create(
    *,
    actor: User | None,
    name: str,
    id_number: str,
    registered_region: Region,
    residence_region: Region | None = None,
    sex: str | None = None,
    birth_date: dt.date | None = None,
    **facts: Any,
) -> Person:
    """Add a person to the register.

    Sex and birth date come from the ID number; if the caller also gives them they must agree.
    """
    parsed = parse_id_number(id_number)
    if sex is not None and sex != parsed.sex:
        raise ValidationFailed(_("The sex does not match the ID number."), field="sex")
    if birth_date is not None and birth_date != parsed.birth_date:
        raise ValidationFailed(
            _("The birth date does not match the ID number."), field="birth_date"
        )
    unknown = set(facts) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(f"Unknown fields: {', '.join(sorted(unknown))}")
    residence_region = residence_region or registered_region
    _require(actor, Perm.PEOPLE_CHANGE, residence_region)
    _validate_facts({"name": name, **facts})
    name = name.strip()
    person = Person(
        name=name,
        name_pinyin=name_pinyin(name),
        name_initials=name_initials(name),
        id_number_ciphertext=crypto.encrypt(parsed.value, purpose=ID_NUMBER_PURPOSE),
        id_number_digest=id_number_digest(parsed.value),
        id_number_masked=mask_id_number(parsed.value),
        sex=parsed.sex,
        birth_date=parsed.birth_date,
        registered_region=registered_region,
        residence_region=residence_region,
        **facts,
    )
    try:
        with transaction.atomic():
            person.save()
            audit_record(
                actor=actor,
                action="people.person.create",
                obj=person,
                region_code=residence_region.code,
                changes={"name": name, "id_number": person.id_number_masked},
            )
    except IntegrityError:
        if Person.objects.filter(id_number_digest=person.id_number_digest).exists():
            raise Conflict(
                _("A person with this ID number is already in the register."),
                code="id_number_taken",
                field="id_number",
            ) from None
        raise
    return person


def person_update(*, actor: User | None, person: Person, **changes: Any) -> Person:
    """Change a person's editable facts; the ID number itself never changes here."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(f"Fields that cannot be changed: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = (
            Person.objects.select_for_update().select_related("residence_region").get(pk=person.pk)
        )
        _require(actor, Perm.PEOPLE_CHANGE, locked.residence_region)
        target_region = changes.get("residence_region", locked.residence_region)
        _require(actor, Perm.PEOPLE_CHANGE, target_region)
        merged = {field: getattr(locked, field) for field in EDITABLE_FIELDS} | changes
        _validate_facts(merged)
        summary: dict[str, Any] = {}
        for field, value in changes.items():
            old = getattr(locked, field)
            if old != value:
                summary[field] = [
                    str(old) if old is not None else None,
                    str(value) if value is not None else None,
                ]
                setattr(locked, field, value)
        if "name" in changes:
            locked.name = locked.name.strip()
            locked.name_pinyin = name_pinyin(locked.name)
            locked.name_initials = name_initials(locked.name)
        if summary:
            locked.save()
            audit_record(
                actor=actor,
                action="people.person.update",
                obj=locked,
                region_code=locked.residence_region.code,
                changes=summary,
            )
            if "death_date" in summary and summary["death_date"][0] is None:
                hooks.person_died(locked.pk)
    return locked


def person_reveal_id_number(*, actor: User, person: Person, reason: str) -> str:
    """The full ID number, for an actor allowed to see it; every reveal is audited."""
    if not reason.strip():
        raise ValidationFailed(_("Give the reason for viewing the full ID number."), field="reason")
    region = person.residence_region
    if not (
        has_perm(actor, Perm.PEOPLE_REVEAL, region)
        or has_perm(actor, Perm.PEOPLE_REVEAL, person.registered_region)
    ):
        raise PermissionRefused(
            _("You may not view full ID numbers of this person."), code="reveal_denied"
        )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="people.person.reveal_id_number",
            obj=person,
            region_code=region.code,
            reason=reason.strip(),
        )
    return crypto.decrypt(person.id_number_ciphertext, purpose=ID_NUMBER_PURPOSE)


def household_create(
    *,
    actor: User | None,
    region: Region,
    address: str,
    head: Person,
    start_date: dt.date | None = None,
) -> Household:
    """Create a household with `head` as its first member."""
    if not address.strip():
        raise ValidationFailed(_("Enter the address."), field="address")
    _require(actor, Perm.PEOPLE_CHANGE, region)
    with transaction.atomic():
        household = Household.objects.create(region=region, address=address.strip())
        audit_record(
            actor=actor,
            action="people.household.create",
            obj=household,
            region_code=region.code,
            changes={"address": household.address},
        )
        household_add_member(
            actor=actor,
            household=household,
            person=head,
            relation=Relation.HEAD,
            start_date=start_date,
        )
    return household


def household_add_member(
    *,
    actor: User | None,
    household: Household,
    person: Person,
    relation: str,
    start_date: dt.date | None = None,
) -> Membership:
    """Add a person who lives in no other household; use person_move_household otherwise."""
    if relation not in Relation.values:
        raise ValidationFailed(_("Unknown relation to the head of household."), field="relation")
    start_date = start_date or timezone.localdate()
    _require(actor, Perm.PEOPLE_CHANGE, household.region)
    with transaction.atomic():
        Person.objects.select_for_update().get(pk=person.pk)
        if Membership.objects.filter(person=person, end_date__isnull=True).exists():
            raise Conflict(
                _("%(name)s already belongs to a household: move the person instead.")
                % {"name": person.name},
                code="already_member",
                field="person",
            )
        if (
            relation == Relation.HEAD
            and Membership.objects.filter(
                household=household, end_date__isnull=True, relation=Relation.HEAD
            ).exists()
        ):
            raise Conflict(
                _("The household already has a head."), code="head_taken", field="relation"
            )
        membership = Membership.objects.create(
            household=household, person=person, relation=relation, start_date=start_date
        )
        audit_record(
            actor=actor,
            action="people.membership.add",
            obj=household,
            region_code=household.region.code,
            changes={"person": person.pk, "relation": relation, "start_date": start_date},
        )
    return membership


def household_end_membership(
    *,
    actor: User | None,
    membership: Membership,
    end_date: dt.date | None = None,
    reason: str,
) -> Membership:
    """End a membership (moved away, died, married out…); the record stays as history."""
    if not reason.strip():
        raise ValidationFailed(
            _("Give the reason the person leaves the household."), field="reason"
        )
    end_date = end_date or timezone.localdate()
    with transaction.atomic():
        locked = (
            Membership.objects.select_for_update()
            .select_related("household__region")
            .get(pk=membership.pk)
        )
        _require(actor, Perm.PEOPLE_CHANGE, locked.household.region)
        if locked.end_date is not None:
            raise Conflict(_("This membership has already ended."), code="already_ended")
        if end_date < locked.start_date:
            raise ValidationFailed(_("The end date is before the start date."), field="end_date")
        locked.end_date = end_date
        locked.end_reason = reason.strip()
        locked.save(update_fields=["end_date", "end_reason", "updated_at"])
        audit_record(
            actor=actor,
            action="people.membership.end",
            obj=locked.household,
            region_code=locked.household.region.code,
            changes={"person": locked.person_id, "end_date": end_date},
            reason=reason,
        )
        hooks.member_left(locked.household_id, locked.person_id)
    return locked


def person_move_household(
    *,
    actor: User | None,
    person: Person,
    household: Household,
    relation: str,
    move_date: dt.date | None = None,
    reason: str,
) -> Membership:
    """End the person's current membership and start one in `household`, atomically."""
    move_date = move_date or timezone.localdate()
    with transaction.atomic():
        current = Membership.objects.filter(person=person, end_date__isnull=True).first()
        if current is not None:
            if current.household_id == household.pk:
                raise Conflict(
                    _("The person already lives in this household."), code="same_household"
                )
            household_end_membership(
                actor=actor, membership=current, end_date=move_date, reason=reason
            )
        return household_add_member(
            actor=actor, household=household, person=person, relation=relation, start_date=move_date
        )
