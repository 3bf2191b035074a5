"""What a domain tells the documents kernel: kinds, target policies and public case status.

The documents kernel never imports a domain. A domain registers, in its AppConfig.ready():

- `register_attachment_kind(AttachmentKindSpec(...))` for an attachment kind of its own;
- `register_document_kind(code, label)` for a notice kind beyond the five built in;
- `register_target_policy(Model, policy)` with a `TargetPolicy` subclass saying who may
  see, add and issue documents for its objects (the default policy below serves any
  object that has a `case_region()` method or a `region`, and households and persons);
- `register_case_status_resolver(resolver)`: a function from a case number to a
  `PublicCaseStatus` (or None), for the public "follow my case by number or QR" look-up.

A target's public status comes from `TargetPolicy.public_status()`, which by default calls
the target's own `public_status()` method when it has one. Whatever it returns is shown to
anyone holding the document's QR code: a status label only, never a name, an ID number or
an address.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from minzheng.kernel.accounts.models import Role, UserKind
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.regions.models import Region

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

# File formats an attachment may have, found from its bytes (see validation.py).
PDF, JPEG, PNG, XLSX, DOCX = "pdf", "jpeg", "png", "xlsx", "docx"
DOCUMENTS = frozenset({PDF, JPEG, PNG})
PHOTOS = frozenset({JPEG, PNG})
WITH_OFFICE = frozenset({PDF, JPEG, PNG, XLSX, DOCX})

# Staff roles that may add attachments and issue documents in their regions; auditors and
# system administrators read only.
WRITER_ROLES = frozenset(
    {
        Role.VILLAGE_WORKER,
        Role.GRID_WORKER,
        Role.TOWN_CLERK,
        Role.TOWN_REVIEWER,
        Role.COUNTY_APPROVER,
        Role.CITY_ADMIN,
    }
)
# Issuing a notice in the name of an authority is for the civil-affairs staff of the town and up.
ISSUER_ROLES = frozenset(
    {Role.TOWN_CLERK, Role.TOWN_REVIEWER, Role.COUNTY_APPROVER, Role.CITY_ADMIN}
)


# --- attachment kinds --------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentKindSpec:
    """An attachment kind: which formats it accepts and whether it holds personal data.

    Downloads of a personal kind are audited (who, when, from where).
    """

    code: str
    label: str | Promise
    formats: frozenset[str] = DOCUMENTS
    personal: bool = True


ATTACHMENT_KINDS: dict[str, AttachmentKindSpec] = {}


def register_attachment_kind(spec: AttachmentKindSpec) -> None:
    ATTACHMENT_KINDS[spec.code] = spec


for _spec in (
    AttachmentKindSpec("id_card_copy", _("Copy of the ID card")),
    AttachmentKindSpec("household_register_copy", _("Copy of the household register")),
    AttachmentKindSpec("income_proof", _("Proof of income"), WITH_OFFICE),
    AttachmentKindSpec("expense_proof", _("Proof of expenses (medical, education)"), WITH_OFFICE),
    AttachmentKindSpec("disability_certificate", _("Disability certificate")),
    AttachmentKindSpec("visit_photo", _("Photo of a household visit"), PHOTOS),
    AttachmentKindSpec("visit_record", _("Signed visit record")),
    AttachmentKindSpec("authorisation", _("Signed verification authorisation")),
    AttachmentKindSpec("other", _("Other document"), WITH_OFFICE),
):
    register_attachment_kind(_spec)


def attachment_kind_label(code: str) -> str:
    spec = ATTACHMENT_KINDS.get(code)
    return str(spec.label) if spec else code


# --- document kinds ----------------------------------------------------------------------


class DocumentKind(models.TextChoices):
    ACCEPTANCE = "acceptance", _("Notice of acceptance")
    REFUSAL = "refusal", _("Notice of refusal")
    APPROVAL = "approval", _("Notice of approval")
    CHANGE = "change", _("Notice of change")
    TERMINATION = "termination", _("Notice of termination")


DOCUMENT_KINDS: dict[str, str | Promise] = {kind.value: kind.label for kind in DocumentKind}


def register_document_kind(code: str, label: str | Promise) -> None:
    DOCUMENT_KINDS[code] = label


def document_kind_label(code: str) -> str:
    return str(DOCUMENT_KINDS.get(code, code))


# --- target policies ---------------------------------------------------------------------


class TargetPolicy:
    """Who may see, add to and issue documents for one model's objects. Subclass to change.

    The default reads the target's region from `case_region()` (workflow cases), a `region`
    field, or a `household`'s region; staff act within their role grants over that region.
    Residents see the documents of targets whose resident persons include their own record.
    """

    def region(self, target: models.Model) -> Region | None:
        case_region = getattr(target, "case_region", None)
        if callable(case_region):
            return case_region()  # type: ignore[no-any-return]
        region = getattr(target, "region", None)
        if isinstance(region, Region):
            return region
        household = getattr(target, "household", None)
        if household is not None and isinstance(getattr(household, "region", None), Region):
            return household.region  # type: ignore[no-any-return]
        if isinstance(target, Region):
            return target
        residence = getattr(target, "residence_region", None)
        return residence if isinstance(residence, Region) else None

    def resident_person_ids(self, target: models.Model) -> set[int]:
        """Register persons whose resident accounts may see the target's documents."""
        from minzheng.kernel.people.models import Household, Membership, Person

        if isinstance(target, Person):
            return {target.pk}
        household = target if isinstance(target, Household) else getattr(target, "household", None)
        ids: set[int] = set()
        if isinstance(household, Household):
            ids.update(
                Membership.objects.filter(household=household, end_date__isnull=True).values_list(
                    "person_id", flat=True
                )
            )
        for attribute in ("person_id", "applicant_id"):
            value = getattr(target, attribute, None)
            if isinstance(value, int):
                ids.add(value)
        return ids

    def case_number(self, target: models.Model) -> str:
        return str(getattr(target, "case_number", "") or "")

    def public_status(self, target: models.Model) -> str | None:
        """A status label anyone with the case number may read, or None to show none."""
        method = getattr(target, "public_status", None)
        if callable(method):
            value = method()
            return str(value) if value else None
        return None

    def _staff_in(self, actor: User, target: models.Model, roles: frozenset[str]) -> bool:
        region = self.region(target)
        if region is None:
            return False
        return actor.grants.filter(
            role__in=roles, region__path__in=_ancestor_paths(region)
        ).exists()

    def _is_staff(self, actor: User) -> bool:
        return bool(actor.is_authenticated and getattr(actor, "kind", None) == UserKind.STAFF)

    def _is_owner(self, actor: User, target: models.Model) -> bool:
        return bool(
            actor.is_authenticated
            and getattr(actor, "kind", None) == UserKind.RESIDENT
            and actor.person_id is not None
            and actor.person_id in self.resident_person_ids(target)
        )

    def may_view(self, actor: User, target: models.Model) -> bool:
        if self._is_staff(actor):
            region = self.region(target)
            return region is not None and has_perm(actor, Perm.PEOPLE_VIEW, region)
        return self._is_owner(actor, target)

    def may_add_attachment(self, actor: User, target: models.Model) -> bool:
        if self._is_staff(actor):
            return self._staff_in(actor, target, WRITER_ROLES)
        return self._is_owner(actor, target)

    def may_issue(self, actor: User, target: models.Model) -> bool:
        return self._is_staff(actor) and self._staff_in(actor, target, ISSUER_ROLES)


def _ancestor_paths(region: Region) -> list[str]:
    """ "330400/", "330400/330402/", … down to the region's own path."""
    parts = region.path.strip("/").split("/")
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


DEFAULT_POLICY = TargetPolicy()
TARGET_POLICIES: dict[type[models.Model], TargetPolicy] = {}


def register_target_policy(model: type[models.Model], policy: TargetPolicy) -> None:
    TARGET_POLICIES[model] = policy


def policy_for(target: models.Model) -> TargetPolicy:
    for klass in type(target).__mro__:
        if klass in TARGET_POLICIES:
            return TARGET_POLICIES[klass]
    return DEFAULT_POLICY


# --- public case status ------------------------------------------------------------------


@dataclass(frozen=True)
class PublicCaseStatus:
    """What anyone holding a case number may read. Never a name, an ID number or an address."""

    case_number: str
    status: str
    title: str = ""  # what the case is, e.g. "最低生活保障申请"
    since: dt.date | None = None
    authority: str = ""


CaseStatusResolver = Callable[[str], PublicCaseStatus | None]
CASE_STATUS_RESOLVERS: list[CaseStatusResolver] = []


def register_case_status_resolver(resolver: CaseStatusResolver) -> None:
    if resolver not in CASE_STATUS_RESOLVERS:
        CASE_STATUS_RESOLVERS.append(resolver)


def unregister_case_status_resolver(resolver: CaseStatusResolver) -> None:
    if resolver in CASE_STATUS_RESOLVERS:
        CASE_STATUS_RESOLVERS.remove(resolver)
