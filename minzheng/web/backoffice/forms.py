"""Forms of the back office."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from minzheng.kernel.accounts.models import UserKind


class StaffLoginForm(AuthenticationForm):
    """Password login for staff accounts; residents use the portal."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The user name or password is wrong. Both are case-sensitive."),
        "not_staff": _("This is a resident account: please log in on the residents' portal."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["password"].label = _("Password")
        self.fields["username"].widget.attrs.update(
            {"class": "form-control form-control-lg", "autocomplete": "username"}
        )
        self.fields["password"].widget.attrs.update(
            {"class": "form-control form-control-lg", "autocomplete": "current-password"}
        )

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if getattr(user, "kind", None) != UserKind.STAFF:
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")


class SearchKind:
    PERSONS = "persons"
    HOUSEHOLDS = "households"


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, pinyin, ID number or phone"),
        required=False,
        max_length=50,
        strip=True,
    )
    kind = forms.ChoiceField(
        choices=[(SearchKind.PERSONS, _("Persons")), (SearchKind.HOUSEHOLDS, _("Households"))],
        required=False,
    )

    def cleaned_kind(self) -> str:
        return (self.cleaned_data.get("kind") if self.is_valid() else "") or SearchKind.PERSONS

    def cleaned_query(self) -> str:
        return (self.cleaned_data.get("q") if self.is_valid() else "") or ""


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for viewing"),
        max_length=200,
        strip=True,
        error_messages={"required": _("Give the reason for viewing the full ID number.")},
    )


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action"), required=False, max_length=80, strip=True)
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=80)
    object_id = forms.CharField(label=_("Object ID"), required=False, max_length=64, strip=True)

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}
