"""Tables of the documents kernel: attachments and issued documents, linked to any object.

Both link to their target generically (content type + object id) and keep the target's
case number as text, so a document is found by case number without knowing the domain.
Files live in Django's default storage under MEDIA_ROOT with random names; the name a
user gave a file is kept only as data.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minzheng.kernel.documents.hooks import attachment_kind_label, document_kind_label

EXTENSIONS = {"pdf": ".pdf", "jpeg": ".jpg", "png": ".png", "xlsx": ".xlsx", "docx": ".docx"}


def _random_name(folder: str, extension: str) -> str:
    today = timezone.localdate()
    return f"{folder}/{today:%Y/%m}/{secrets.token_hex(16)}{extension}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    return _random_name("attachments", EXTENSIONS.get(instance.file_format, ".bin"))


def document_upload_to(instance: IssuedDocument, filename: str) -> str:
    return _random_name("documents", ".pdf")


class Attachment(models.Model):
    """A file a resident or a staff member added to an object (an application, a visit …)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    case_number = models.CharField(_("case number"), max_length=40, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=40)
    original_name = models.CharField(_("file name"), max_length=200)
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=200)
    file_format = models.CharField(_("format"), max_length=8)
    media_type = models.CharField(_("media type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "sha256"],
                name="attachment_one_copy_per_target",
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id", "uploaded_at"])]

    def __str__(self) -> str:
        return f"{self.kind_label}: {self.original_name}"

    @property
    def kind_label(self) -> str:
        return attachment_kind_label(self.kind)


class IssuedDocument(models.Model):
    """A notice generated as PDF, with a verification code its QR code carries.

    The rendering context (which holds names and ID numbers) is never stored: the PDF is
    the record, fixed by its SHA-256. Revoking keeps the row and the file.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    case_number = models.CharField(_("case number"), max_length=40, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=100)
    number = models.CharField(_("document number"), max_length=60, blank=True)
    authority = models.CharField(_("issuing authority"), max_length=100)
    verification_code = models.CharField(
        _("verification code"), max_length=64, unique=True, editable=False
    )
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    revoked = models.BooleanField(_("revoked"), default=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revocation_reason = models.CharField(_("reason for revoking"), max_length=500, blank=True)

    class Meta:
        ordering = ["issued_at", "id"]
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(revoked=False, revoked_at__isnull=True)
                | models.Q(revoked=True, revoked_at__isnull=False),
                name="issued_document_revoked_with_time",
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id", "issued_at"])]

    def __str__(self) -> str:
        return f"{self.title} {self.number}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.verification_code:
            self.verification_code = new_verification_code()
        super().save(*args, **kwargs)

    @property
    def kind_label(self) -> str:
        return document_kind_label(self.kind)

    @property
    def issued_on(self) -> dt.date:
        return timezone.localdate(self.issued_at)


def new_verification_code() -> str:
    """32 URL-safe characters from 24 random bytes: 192 bits, never guessed."""
    return secrets.token_urlsafe(24)
