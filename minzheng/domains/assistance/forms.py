"""Back-office forms of the policy parameters: proposing a value and withdrawing a change."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minzheng.common.widgets import IsoDateInput


def first_of_next_month(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


class ProposeForm(forms.Form):
    """A new dated value of one parameter, with the document that sets it.

    The value is checked and typed by the service (number, yes/no or text, as the baseline).
    """

    start = forms.DateField(
        label=_("Effective from"),
        widget=IsoDateInput(attrs={"class": "form-control"}),
        help_text=_("The value holds from this date until the next dated value."),
    )
    value = forms.CharField(
        label=_("New value"),
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    source_document = forms.CharField(
        label=_("Source document"),
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        help_text=_(
            "The official notice that sets this figure, with its number, e.g. 嘉政发〔2026〕12号."
        ),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )

    def __init__(self, *args: Any, value_help: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"start": first_of_next_month()})
        super().__init__(*args, **kwargs)
        if value_help:
            self.fields["value"].help_text = value_help

    def clean_source_document(self) -> str:
        text = self.cleaned_data["source_document"].strip()
        if not text:
            raise forms.ValidationError(_("Name the document that sets this value."))
        return text


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawing"),
        max_length=500,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class AffectedFilterForm(forms.Form):
    """Which households affected by a previewed change to list: county, programme, direction.

    Every field is optional (all); the choices are the counties the change touches and the
    programmes of the preview.
    """

    county = forms.ChoiceField(
        label=_("County"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    programme = forms.ChoiceField(
        label=_("Programme"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[
            ("", _("Entering and leaving")),
            ("entering", _("Entering")),
            ("leaving", _("Leaving")),
        ],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(
        self,
        *args: Any,
        counties: list[tuple[str, str]],
        programmes: list[tuple[str, Any]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        county_field = cast(forms.ChoiceField, self.fields["county"])
        programme_field = cast(forms.ChoiceField, self.fields["programme"])
        county_field.choices = [("", _("All counties")), *counties]
        programme_field.choices = [("", _("All programmes")), *programmes]
