"""Reads of the documents kernel.

Lists are scoped through their target: an actor who may not see the target sees none of
its documents (NotFound, so the target's existence is not revealed). The public reads
(`document_verify`, `case_status_lookup`) return dataclasses holding only what anyone may
read: never a name, an ID number or an address.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common.errors import NotFound
from minzheng.kernel.documents.hooks import (
    CASE_STATUS_RESOLVERS,
    PublicCaseStatus,
    policy_for,
)
from minzheng.kernel.documents.models import Attachment, IssuedDocument

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

CASE_NUMBER_MAX = 40


def _visible(actor: User, target: models.Model) -> ContentType:
    if not policy_for(target).may_view(actor, target):
        raise NotFound(
            _("The record does not exist or lies outside the regions you serve."),
            code="target_not_found",
        )
    return ContentType.objects.get_for_model(target)


def attachment_list(
    *, actor: User, target: models.Model, kind: str | None = None
) -> QuerySet[Attachment]:
    """The attachments of `target`, oldest first, if the actor may see the target."""
    content_type = _visible(actor, target)
    qs = Attachment.objects.filter(content_type=content_type, object_id=target.pk)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("uploaded_by").order_by("uploaded_at", "id")


def document_list(*, actor: User, target: models.Model) -> QuerySet[IssuedDocument]:
    """The documents issued for `target`, oldest first, if the actor may see the target."""
    content_type = _visible(actor, target)
    return (
        IssuedDocument.objects.filter(content_type=content_type, object_id=target.pk)
        .select_related("issued_by")
        .order_by("issued_at", "id")
    )


def may_add_attachment(*, actor: User, target: models.Model) -> bool:
    return policy_for(target).may_add_attachment(actor, target)


def may_issue(*, actor: User, target: models.Model) -> bool:
    return policy_for(target).may_issue(actor, target)


@dataclass(frozen=True)
class PublicDocument:
    """An issued document as its public verification page shows it."""

    title: str
    kind_label: str
    number: str
    case_number: str
    authority: str
    issued_on: dt.date
    revoked: bool
    revoked_on: dt.date | None
    sha256: str
    case_status: str | None


def document_verify(*, code: str) -> PublicDocument | None:
    """What the QR code of an issued document shows to anyone, or None for an unknown code."""
    if not code or len(code) > 64:
        return None
    document = IssuedDocument.objects.filter(verification_code=code).first()
    if document is None:
        return None
    target = document.target
    case_status = policy_for(target).public_status(target) if target is not None else None
    return PublicDocument(
        title=document.title,
        kind_label=document.kind_label,
        number=document.number,
        case_number=document.case_number,
        authority=document.authority,
        issued_on=document.issued_on,
        revoked=document.revoked,
        revoked_on=timezone.localdate(document.revoked_at) if document.revoked_at else None,
        sha256=document.sha256,
        case_status=case_status,
    )


def case_status_lookup(*, case_number: str) -> PublicCaseStatus | None:
    """The public status of a case from its number: the domains' resolvers first.

    When no resolver knows the number, the newest document issued under it answers (a valid
    one before a revoked one): its target's public status if it exposes one, else the
    document itself ("受理通知书 issued" or "… revoked").
    """
    number = (case_number or "").strip()
    if not number or len(number) > CASE_NUMBER_MAX:
        return None
    for resolver in CASE_STATUS_RESOLVERS:
        found = resolver(number)
        if found is not None:
            return found
    documents = IssuedDocument.objects.filter(case_number=number).order_by("-issued_at", "-id")
    document = documents.filter(revoked=False).first() or documents.first()
    if document is None:
        return None
    target = document.target
    status = policy_for(target).public_status(target) if target is not None else None
    since: dt.date | None = None
    if status is None:
        if document.revoked and document.revoked_at is not None:
            status = _("%(title)s revoked") % {"title": document.title}
            since = timezone.localdate(document.revoked_at)
        else:
            status = _("%(title)s issued") % {"title": document.title}
            since = document.issued_on
    return PublicCaseStatus(
        case_number=number, status=status, since=since, authority=document.authority
    )
