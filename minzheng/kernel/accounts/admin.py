"""Accounts in the admin.

Accounts, API tokens and one-time codes are shown read only. Role grants are added and
revoked through accounts.services, so each change is checked against the administrator's
own scope and written to the audit trail.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from minzheng.common.admin import ReadOnlyAdminMixin
from minzheng.common.masking import mask_phone
from minzheng.kernel.accounts.models import ApiToken, RoleGrant, User, UserKind
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.accounts.services import role_grant, role_revoke


class RoleGrantInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RoleGrant
    extra = 0
    fields = ("role", "region", "created_at")
    readonly_fields = fields


@admin.register(User)
class UserAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("username", "full_name", "kind", "masked_phone", "is_active", "last_login")
    list_filter = ("kind", "is_active", "grants__role")
    search_fields = ("username", "full_name")
    ordering = ("username",)
    fields = (
        "username",
        "full_name",
        "kind",
        "masked_phone",
        "person",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
    )
    readonly_fields = fields
    inlines = (RoleGrantInline,)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)


class RoleGrantForm(forms.ModelForm):
    """Checks the grant before the service makes it, so refusals show on the form."""

    request: HttpRequest | None = None

    class Meta:
        model = RoleGrant
        fields = ("user", "role", "region")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        user, region = cleaned.get("user"), cleaned.get("region")
        if user is not None and user.kind != UserKind.STAFF:
            self.add_error("user", _("Only staff accounts hold roles."))
        actor = self.request.user if self.request is not None else None
        if region is not None and not (actor and has_perm(actor, Perm.ACCOUNTS_MANAGE, region)):  # type: ignore[arg-type]
            self.add_error("region", _("You may not manage accounts in this region."))
        return cleaned


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    form = RoleGrantForm
    list_display = ("user", "role", "region", "created_at")
    list_filter = ("role", "region__level")
    search_fields = ("user__username", "user__full_name", "region__name", "region__code")
    list_select_related = ("user", "region")
    autocomplete_fields = ("user", "region")
    actions = None  # no bulk delete: each revocation goes through the service

    def get_form(  # type: ignore[override]
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_perm(request.user, Perm.ACCOUNTS_MANAGE)  # type: ignore[arg-type]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a grant is revoked and granted anew, never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_perm(request.user, Perm.ACCOUNTS_MANAGE, obj.region if obj else None)  # type: ignore[arg-type]

    def save_model(self, request: HttpRequest, obj: RoleGrant, form: Any, change: bool) -> None:
        grant = role_grant(actor=request.user, user=obj.user, role=obj.role, region=obj.region)  # type: ignore[arg-type]
        obj.pk, obj.created_at, obj.updated_at = grant.pk, grant.created_at, grant.updated_at

    def delete_model(self, request: HttpRequest, obj: RoleGrant) -> None:
        role_revoke(actor=request.user, grant=obj, reason=str(_("Revoked in the admin")))  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoleGrant]) -> None:
        for grant in queryset.select_related("user", "region"):
            self.delete_model(request, grant)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    list_select_related = ("user",)
    fields = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
