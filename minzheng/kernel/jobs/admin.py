"""Jobs in the admin: read only; jobs start and resume through jobs.services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from minzheng.kernel.jobs.models import JobChunk, JobRun


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class JobChunkInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = JobChunk
    extra = 0
    fields = ("key", "status", "items", "attempts", "started_at", "finished_at", "error")
    readonly_fields = fields


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "status", "done", "total", "items", "created_by", "created_at")
    list_filter = ("kind", "status")
    list_select_related = ("created_by",)
    ordering = ("-created_at", "-id")
    fields = (
        "kind",
        "params",
        "status",
        "done",
        "total",
        "items",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "error",
    )
    readonly_fields = fields
    inlines = (JobChunkInline,)
