"""Forms of the review pages: the worklist filter, the outcome proposal and the decision.

Forms only parse input; the checks (reason fits the outcome, state, permission,
maker-checker) are the services'.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from minzheng.domains.assistance.models.review import ReviewKind, ReviewOutcome, ReviewReason
from minzheng.kernel.regions.models import Region

_SELECT = {"class": "form-select"}


class ReviewFilterForm(forms.Form):
    town = forms.ModelChoiceField(
        label=_("Town"),
        queryset=Region.objects.none(),
        required=False,
        empty_label=_("All my towns"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("All kinds")), *ReviewKind.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args: object, towns: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if towns is not None:
            self.fields["town"].queryset = towns  # type: ignore[attr-defined]


class ProposeOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=ReviewOutcome.choices, widget=forms.Select(attrs=_SELECT)
    )
    reason_code = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", "—"), *ReviewReason.choices],
        widget=forms.Select(attrs=_SELECT),
    )
    new_amount = forms.DecimalField(
        label=_("New monthly amount (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("For an adjustment or a restoration; empty: the amount the rules give."),
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
    )
    graduated_exit = forms.BooleanField(
        label=_("Graduated exit (渐退期) when stopping for income above the standard"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )


class DecideForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )
