"""Forms of the verification pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minzheng.common.widgets import IsoDateInput
from minzheng.kernel.verification.models import DataSource, ReportPurpose


class UploadForm(forms.Form):
    source = forms.ModelChoiceField(
        label=_("Data source"),
        queryset=DataSource.objects.none(),
        to_field_name="code",
        empty_label=_("Choose the data source"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    file = forms.FileField(
        label=_("File (CSV or Excel .xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": ".csv,.xlsx,text/csv"}
        ),
    )

    def __init__(self, *args: Any, sources: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources  # type: ignore[attr-defined]
        self.fields["source"].label_from_instance = lambda s: f"{s.name}（{s.department}）"  # type: ignore[attr-defined]


class ReportForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("Purpose of the check"),
        choices=ReportPurpose.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        help_text=_("Leave empty for today. Income is counted over the 12 months before."),
        widget=IsoDateInput(attrs={"class": "form-control"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class HouseholdLookupForm(forms.Form):
    household = forms.IntegerField(
        label=_("Household no."),
        min_value=1,
        max_value=2**63 - 1,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
