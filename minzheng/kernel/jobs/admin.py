"""Jobs in the admin: read only; jobs start and resume through jobs.services."""

from __future__ import annotations

from django.contrib import admin

from minzheng.common.admin import ReadOnlyAdminMixin
from minzheng.kernel.jobs.models import JobChunk, JobRun


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
