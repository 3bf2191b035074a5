"""Audit events in the admin: read only (the chain is append-only)."""

from __future__ import annotations

from django.contrib import admin

from minzheng.common.admin import ReadOnlyAdminMixin
from minzheng.kernel.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "seq",
        "occurred_at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "region_code",
        "ip_address",
    )
    list_filter = ("action", "object_type")
    search_fields = ("action", "actor_label", "object_id", "region_code", "reason")
    date_hierarchy = "occurred_at"
    ordering = ("-seq",)
    show_full_result_count = False
    fields = (
        "seq",
        "occurred_at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "region_code",
        "changes",
        "ip_address",
        "reason",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields
