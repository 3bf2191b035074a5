"""Regions in the admin: browse and search only; the tree changes through regions.services."""

from __future__ import annotations

from django.contrib import admin

from minzheng.common.admin import ReadOnlyAdminMixin
from minzheng.kernel.regions.models import Region


@admin.register(Region)
class RegionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "level",
        "parent",
        "registered_population",
        "resident_population",
        "code_set_version",
    )
    list_filter = ("level", "code_set_version")
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    ordering = ("code",)
    readonly_fields = (
        "code",
        "name",
        "level",
        "parent",
        "path",
        "registered_population",
        "resident_population",
        "code_set_version",
        "created_at",
        "updated_at",
    )
