"""Audit events in the admin: read only (the chain is append-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from minzheng.kernel.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
