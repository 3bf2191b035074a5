"""Writes of the documents kernel: adding attachments, issuing and revoking notices, downloads.

Each write is one transaction with one audit event. Who may act on a target is decided by
the target's policy (hooks.TargetPolicy, registered by the domain). A download of a
personal document is a write too: it leaves an audit event saying who opened what.

A file is written to storage before its row; if the row cannot be written the file is
removed again, so a refused upload leaves nothing behind.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.documents import rendering, validation
from minzheng.kernel.documents.hooks import (
    ATTACHMENT_KINDS,
    DOCUMENT_KINDS,
    TargetPolicy,
    document_kind_label,
    policy_for,
)
from minzheng.kernel.documents.models import Attachment, IssuedDocument, new_verification_code

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

MAX_UPLOAD_MB = 10
DEFAULT_AUTHORITY = "嘉兴市民政局"
DEFAULT_NUMBER_PREFIX = "嘉民"
MAX_REASON = 500


def max_upload_bytes() -> int:
    return int(getattr(settings, "DOCUMENTS_MAX_UPLOAD_MB", MAX_UPLOAD_MB)) * 2**20


def _region_code(policy: TargetPolicy, target: models.Model) -> str:
    region = policy.region(target)
    return region.code if region is not None else ""


def _not_found() -> NotFound:
    return NotFound(
        _("The record does not exist or lies outside the regions you serve."),
        code="target_not_found",
    )


def _check_view(actor: User, target: models.Model, policy: TargetPolicy) -> None:
    if not policy.may_view(actor, target):
        raise _not_found()


def attachment_add(
    *,
    actor: User,
    target: models.Model,
    kind: str,
    file: IO[bytes],
    file_name: str | None = None,
) -> Attachment:
    """Store an uploaded file as an attachment of `target`.

    The file's format is read from its bytes and must be one the kind accepts; it must fit
    the size limit (DOCUMENTS_MAX_UPLOAD_MB) and not already be attached to the target.
    """
    policy = policy_for(target)
    if not policy.may_add_attachment(actor, target):
        if policy.may_view(actor, target):
            raise PermissionRefused(
                _("You may not add documents to this record."), code="attachment_add_denied"
            )
        raise _not_found()
    spec = ATTACHMENT_KINDS.get(kind)
    if spec is None:
        raise ValidationFailed(
            _("Choose the kind of document."), code="attachment_kind_unknown", field="kind"
        )
    name = PurePath(str(file_name or getattr(file, "name", "") or "")).name[:200] or "upload"
    facts = validation.inspect(file, max_bytes=max_upload_bytes())
    if facts.too_large:
        raise ValidationFailed(
            _("The file %(name)s is larger than %(size)d MB: scan it at a lower resolution.")
            % {"name": name, "size": max_upload_bytes() // 2**20},
            code="file_too_large",
            field="file",
        )
    if facts.size == 0:
        raise ValidationFailed(
            _("The file %(name)s is empty.") % {"name": name}, code="file_empty", field="file"
        )
    if facts.format is None or facts.format not in spec.formats:
        raise ValidationFailed(
            _(
                "The file %(name)s is not a file this document takes: upload %(formats)s. "
                "The platform reads what the file really contains, whatever its name says."
            )
            % {
                "name": name,
                "formats": "、".join(
                    validation.FORMAT_NAMES[f] for f in sorted(spec.formats, key=_format_order)
                ),
            },
            code="file_type_refused",
            field="file",
        )
    content_type = ContentType.objects.get_for_model(target)
    with transaction.atomic():
        earlier = Attachment.objects.filter(
            content_type=content_type, object_id=target.pk, sha256=facts.sha256
        ).first()
        if earlier is not None:
            raise _same_file(earlier)
        attachment = Attachment(
            content_type=content_type,
            object_id=target.pk,
            case_number=policy.case_number(target),
            kind=kind,
            original_name=name,
            file_format=facts.format,
            media_type=validation.MEDIA_TYPES[facts.format],
            size=facts.size,
            sha256=facts.sha256,
            uploaded_by=actor if actor.is_authenticated else None,
            uploaded_at=timezone.now(),
        )
        attachment.file.save(name, File(file), save=False)
        try:
            with transaction.atomic():
                attachment.save()
        except IntegrityError:
            attachment.file.delete(save=False)
            earlier = Attachment.objects.filter(
                content_type=content_type, object_id=target.pk, sha256=facts.sha256
            ).first()
            if earlier is None:
                raise
            raise _same_file(earlier) from None
        try:
            audit_record(
                actor=actor,
                action="documents.attachment.add",
                obj=attachment,
                region_code=_region_code(policy, target),
                changes={
                    "target": f"{content_type.app_label}.{content_type.model}:{target.pk}",
                    "case_number": attachment.case_number,
                    "kind": kind,
                    "file_name": name,
                    "format": facts.format,
                    "size": facts.size,
                    "sha256": facts.sha256,
                },
            )
        except Exception:
            attachment.file.delete(save=False)
            raise
    return attachment


def _format_order(file_format: str) -> int:
    return list(validation.MEDIA_TYPES).index(file_format)


def _same_file(earlier: Attachment) -> Conflict:
    return Conflict(
        _("This file is already attached (%(name)s, added on %(date)s).")
        % {
            "name": earlier.original_name,
            "date": timezone.localtime(earlier.uploaded_at).strftime("%Y-%m-%d %H:%M"),
        },
        code="same_file",
        field="file",
        extra={"attachment": earlier.pk},
    )


def attachment_download(*, actor: User, attachment_id: int) -> Attachment:
    """The attachment if the actor may see its target; a personal kind's download is audited."""
    attachment = Attachment.objects.select_related("content_type").filter(pk=attachment_id).first()
    target = attachment.target if attachment is not None else None
    if attachment is None or target is None:
        raise _not_found()
    policy = policy_for(target)
    _check_view(actor, target, policy)
    spec = ATTACHMENT_KINDS.get(attachment.kind)
    if spec is None or spec.personal:
        audit_record(
            actor=actor,
            action="documents.attachment.download",
            obj=attachment,
            region_code=_region_code(policy, target),
            changes={"case_number": attachment.case_number, "kind": attachment.kind},
        )
    return attachment


def document_issue(
    *,
    actor: User,
    target: models.Model,
    kind: str,
    template: str,
    context: dict[str, Any],
    title: str | None = None,
    authority: str | None = None,
    number: str | None = None,
    case_number: str | None = None,
) -> IssuedDocument:
    """Render a notice for `target` to PDF, with a QR code of its public verification page.

    `template` extends documents/notice_base.html; `context` may hold personal data for the
    PDF (names, ID numbers): it is used for rendering only and never stored. The PDF is
    stored under MEDIA_ROOT and fixed by its SHA-256.
    """
    policy = policy_for(target)
    if not policy.may_issue(actor, target):
        if policy.may_view(actor, target):
            raise PermissionRefused(
                _("You may not issue documents for this record."), code="document_issue_denied"
            )
        raise _not_found()
    if kind not in DOCUMENT_KINDS:
        raise ValidationFailed(
            _("Unknown kind of document: %(kind)s.") % {"kind": kind},
            code="document_kind_unknown",
            field="kind",
        )
    content_type = ContentType.objects.get_for_model(target)
    now = timezone.now()
    with transaction.atomic():
        document = IssuedDocument(
            content_type=content_type,
            object_id=target.pk,
            case_number=(case_number if case_number is not None else policy.case_number(target))[
                :40
            ],
            kind=kind,
            title=(title or document_kind_label(kind))[:100],
            authority=str(authority or getattr(settings, "DOCUMENTS_AUTHORITY", DEFAULT_AUTHORITY))[
                :100
            ],
            verification_code=new_verification_code(),
            issued_by=actor if actor.is_authenticated else None,
            issued_at=now,
        )
        document.save()
        if number is None:
            prefix = getattr(settings, "DOCUMENTS_NUMBER_PREFIX", DEFAULT_NUMBER_PREFIX)
            number = f"{prefix}〔{timezone.localdate(now).year}〕{document.pk}号"
        document.number = number[:60]
        url = rendering.verification_url(document.verification_code)
        pdf = rendering.render_notice(
            template=template,
            context={
                **context,
                "document": document,
                "verification_url": url,
                "qr_data_uri": rendering.qr_png_data_uri(url),
            },
        )
        document.sha256 = hashlib.sha256(pdf).hexdigest()
        document.size = len(pdf)
        document.file.save("notice.pdf", ContentFile(pdf), save=False)
        try:
            document.save(update_fields=["number", "sha256", "size", "file"])
            audit_record(
                actor=actor,
                action="documents.document.issue",
                obj=document,
                region_code=_region_code(policy, target),
                changes={
                    "target": f"{content_type.app_label}.{content_type.model}:{target.pk}",
                    "case_number": document.case_number,
                    "kind": kind,
                    "number": document.number,
                    "sha256": document.sha256,
                },
            )
        except Exception:
            document.file.delete(save=False)
            raise
    return document


def document_revoke(*, actor: User, document: IssuedDocument, reason: str) -> IssuedDocument:
    """Mark an issued document revoked: its verification page then says so. Needs a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Give the reason for revoking the document."), code="reason_required", field="reason"
        )
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            _("Keep the reason under %(count)d characters.") % {"count": MAX_REASON},
            code="reason_too_long",
            field="reason",
        )
    target = document.target
    if target is None:
        raise _not_found()
    policy = policy_for(target)
    if not policy.may_issue(actor, target):
        if policy.may_view(actor, target):
            raise PermissionRefused(
                _("You may not revoke documents of this record."), code="document_revoke_denied"
            )
        raise _not_found()
    with transaction.atomic():
        now = timezone.now()
        updated = IssuedDocument.objects.filter(pk=document.pk, revoked=False).update(
            revoked=True, revoked_at=now, revoked_by=actor, revocation_reason=reason
        )
        if not updated:
            raise Conflict(_("The document was already revoked."), code="already_revoked")
        document.refresh_from_db()
        audit_record(
            actor=actor,
            action="documents.document.revoke",
            obj=document,
            region_code=_region_code(policy, target),
            changes={"case_number": document.case_number, "number": document.number},
            reason=reason,
        )
    return document


def document_download(*, actor: User, document_id: int) -> IssuedDocument:
    """The issued PDF if the actor may see its target; audited, as a notice holds personal data."""
    document = IssuedDocument.objects.select_related("content_type").filter(pk=document_id).first()
    target = document.target if document is not None else None
    if document is None or target is None or not document.file:
        raise _not_found()
    policy = policy_for(target)
    _check_view(actor, target, policy)
    audit_record(
        actor=actor,
        action="documents.document.download",
        obj=document,
        region_code=_region_code(policy, target),
        changes={"case_number": document.case_number, "number": document.number},
    )
    return document
