"""Forms of the casework pages: worklist filters, the step forms of the application page and
counter filing.

Forms only parse input; every business check (state, permission, reason required,
maker-checker) is the service's, whose refusal the page shows as a message.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minzheng.common.widgets import IsoDateInput
from minzheng.domains.assistance.models.casework import ApplicationState, Programme


def _text(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", "autocomplete": "off", **attrs})


def _area(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "form-control", "rows": rows})


class WorklistFilterForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
        empty_label=_("All programmes"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("All states")), *ApplicationState.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


class ApplicationSearchForm(WorklistFilterForm):
    case_number = forms.CharField(
        label=_("Case number"),
        required=False,
        max_length=40,
        widget=_text(placeholder="JX-330402-…"),
    )


class ReasonForm(forms.Form):
    """A step with a written reason (the service says whether the reason is required)."""

    reason = forms.CharField(label=_("Reason"), required=False, max_length=500, widget=_area())


class PayeeForm(forms.Form):
    """The enrolment's payee account: one of the household's members' active accounts."""

    account = forms.TypedChoiceField(
        label=_("Payee account"),
        coerce=int,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=_area())

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = choices  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=_area())


class ReturnForm(ReasonForm):
    missing = forms.CharField(
        label=_("Missing documents"),
        required=False,
        widget=_area(),
        help_text=_("One document a line: the applicant is told all of them at once."),
    )

    def missing_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["missing"].splitlines() if line.strip()]


class InvestigateForm(NoteForm):
    visited_on = forms.DateField(
        label=_("Visited on"),
        widget=IsoDateInput(attrs={"class": "form-control"}),
    )
    findings = forms.CharField(label=_("Findings"), widget=_area(3))
    second_signer = forms.CharField(
        label=_("Second signer (user name)"),
        max_length=150,
        widget=_text(),
        help_text=_(
            "The visit is signed by two staff: you and the colleague or the household's village "
            "(or grid) worker who went with you."
        ),
    )


class AppraiseForm(forms.Form):
    minutes = forms.CharField(label=_("Minutes of the appraisal"), widget=_area(3))
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("agree", _("Agreed")), ("disagree", _("Not agreed"))],
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class TownReviewForm(NoteForm):
    recommendation = forms.ChoiceField(
        label=_("Recommendation"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    proposed_amount = forms.DecimalField(
        label=_("Proposed amount (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
    )


class CounterFilingForm(forms.Form):
    """Counter filing by a town clerk: the household is picked from the actor's regions."""

    household_query = forms.CharField(
        label=_("Household id or head's name"),
        required=False,
        max_length=50,
        widget=_text(),
    )
    household = forms.IntegerField(label=_("Household"), widget=forms.HiddenInput, required=False)
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.filter(is_active=True),
        to_field_name="code",
        empty_label=_("Choose a programme"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    applicant = forms.IntegerField(label=_("Applicant"), required=False, widget=forms.HiddenInput)
    description = forms.CharField(label=_("Circumstances"), required=False, widget=_area(3))
