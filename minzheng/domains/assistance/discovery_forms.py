"""Forms of the discovery and visit pages: the list filter, a task's outcome, a visit's record.

Forms parse input and say what is missing in the user's language; the rules (state,
permission, same household and programme) are the services'.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minzheng.common.widgets import IsoDateInput
from minzheng.domains.assistance.models.casework import AssistanceApplication
from minzheng.domains.assistance.models.discovery import DiscoveryStatus, VisitFinding
from minzheng.kernel.regions.models import Region

_SMALL = {"class": "form-select form-select-sm"}

OUTCOMES = [
    (DiscoveryStatus.APPLIED, _("Applied")),
    (DiscoveryStatus.DECLINED, _("Declined")),
    (DiscoveryStatus.NOT_ELIGIBLE, _("Not eligible after the visit")),
    (DiscoveryStatus.UNREACHABLE, _("Unreachable")),
]


class ListFilterForm(forms.Form):
    town = forms.ModelChoiceField(
        label=_("Town"),
        queryset=Region.objects.none(),
        required=False,
        empty_label=_("All my towns"),
        widget=forms.Select(attrs=_SMALL),
    )
    mine = forms.BooleanField(
        label=_("Only mine"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, towns: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if towns is not None:
            self.fields["town"].queryset = towns  # type: ignore[attr-defined]


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=OUTCOMES, widget=forms.Select(attrs={"class": "form-select"})
    )
    application = forms.ModelChoiceField(
        label=_("Application"),
        queryset=AssistanceApplication.objects.none(),
        required=False,
        empty_label="—",
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text=_("For “Applied”: the household's application."),
    )
    reason = forms.CharField(
        label=_("Reason or findings"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
        help_text=_("Required when the household declines or is not eligible."),
    )

    def __init__(self, *args: Any, applications: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if applications is not None:
            field = self.fields["application"]
            field.queryset = applications  # type: ignore[attr-defined]
            field.label_from_instance = lambda a: (  # type: ignore[attr-defined]
                f"{a.case_number} · {a.programme.name} · {a.get_state_display()}"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        outcome = data.get("outcome")
        if outcome == DiscoveryStatus.APPLIED and not data.get("application"):
            self.add_error("application", _("Choose the household's application."))
        if (
            outcome in (DiscoveryStatus.DECLINED, DiscoveryStatus.NOT_ELIGIBLE)
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Give the reason."))
        return data


class VisitRecordForm(forms.Form):
    visited_on = forms.DateField(
        label=_("Date of the visit"),
        widget=IsoDateInput(attrs={"class": "form-control"}),
    )
    findings = forms.MultipleChoiceField(
        label=_("Findings"),
        choices=VisitFinding.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    follow_up = forms.BooleanField(
        label=_("Follow-up needed"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def clean_visited_on(self) -> Any:
        visited_on = self.cleaned_data["visited_on"]
        if visited_on > timezone.localdate():
            raise forms.ValidationError(_("The visit date cannot be in the future."))
        return visited_on
