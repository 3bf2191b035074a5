"""Regions in the admin: browse and search only; the tree changes through regions.services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from minzheng.kernel.regions.models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
