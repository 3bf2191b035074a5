from django.contrib import admin

from minzheng.common.admin import ReadOnlyAdminMixin
from minzheng.kernel.documents.models import Attachment, IssuedDocument


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "case_number", "kind", "original_name", "size", "uploaded_at"]
    list_filter = ["kind"]
    search_fields = ["case_number", "sha256"]
    exclude = ["file"]


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "case_number", "kind", "number", "authority", "issued_at", "revoked"]
    list_filter = ["kind", "revoked"]
    search_fields = ["case_number", "number"]
    exclude = ["file", "verification_code"]
