"""Forms of the payments pages: batch filters, the batch steps, payee accounts, generation.

Forms only parse input; every business check (state, permission, reason required,
maker-checker, account format) is the service's, whose refusal the page shows as a message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minzheng.common.widgets import IsoMonthInput
from minzheng.kernel.payments.bankfile import FORMATS
from minzheng.kernel.payments.models import BatchState
from minzheng.kernel.payments.services import ReturnedPayment
from minzheng.kernel.regions.models import Region

_SELECT = {"class": "form-select form-select-sm"}


def _text(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", "autocomplete": "off", **attrs})


def _area(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "form-control", "rows": rows})


class MonthField(forms.DateField):
    """A month entered as YYYY-MM (HTML month input); the first day of the month."""

    widget = IsoMonthInput(attrs={"class": "form-control form-control-sm"})
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def to_python(self, value: Any) -> dt.date | None:
        day = super().to_python(value)
        return day.replace(day=1) if day else None


class BatchFilterForm(forms.Form):
    county = forms.ModelChoiceField(
        label=_("County"),
        queryset=Region.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("All counties"),
        widget=forms.Select(attrs=_SELECT),
    )
    programme = forms.ChoiceField(
        label=_("Programme"), required=False, widget=forms.Select(attrs=_SELECT)
    )
    month = MonthField(label=_("Month"), required=False)
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("All states")), *BatchState.choices],
        required=False,
        widget=forms.Select(attrs=_SELECT),
    )

    def __init__(
        self, *args: Any, counties: Any, programmes: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = counties  # type: ignore[attr-defined]
        self.fields["programme"].choices = [("", _("All programmes")), *programmes]  # type: ignore[attr-defined]


class GenerateForm(forms.Form):
    """This month's batch of one county and programme (the payroll job, one chunk)."""

    county = forms.ModelChoiceField(
        label=_("County"),
        queryset=Region.objects.none(),
        to_field_name="code",
        widget=forms.Select(attrs=_SELECT),
    )
    programme = forms.ChoiceField(label=_("Programme"), widget=forms.Select(attrs=_SELECT))
    month = MonthField(label=_("Month paid"))

    def __init__(
        self, *args: Any, counties: Any, programmes: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = counties  # type: ignore[attr-defined]
        self.fields["programme"].choices = programmes  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=_area())


class ReasonForm(forms.Form):
    """A step with a written reason (the workflow kernel says whether it is required)."""

    reason = forms.CharField(label=_("Reason"), required=False, max_length=500, widget=_area())


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(
        label=_("File format"),
        choices=[(f, {"csv": "CSV", "xlsx": "Excel (.xlsx)"}.get(f, f)) for f in FORMATS],
        widget=forms.Select(attrs=_SELECT),
    )


class ReturnsForm(forms.Form):
    """The bank's return list, one line each: line reference, reason[, account number]."""

    returns = forms.CharField(
        label=_("Returned payments"),
        help_text=_(
            "One per line: the line reference (业务参考号), a comma, the bank's reason and "
            "optionally a comma and the account number the bank reports."
        ),
        widget=_area(4),
    )

    def clean_returns(self) -> list[ReturnedPayment]:
        parsed = []
        for number, raw in enumerate(self.cleaned_data["returns"].splitlines(), start=1):
            if not raw.strip():
                continue
            parts = [p.strip() for p in raw.replace("，", ",").split(",")]
            if len(parts) < 2 or not parts[0].isdigit():
                raise forms.ValidationError(
                    _("Line %(n)d: write the line reference, a comma and the reason.")
                    % {"n": number}
                )
            parsed.append(
                ReturnedPayment(
                    line_id=int(parts[0]),
                    reason=parts[1],
                    account_number=parts[2] if len(parts) > 2 else "",
                )
            )
        if not parsed:
            raise forms.ValidationError(_("List at least one returned payment."))
        return parsed


class PayeeAccountForm(forms.Form):
    bank_name = forms.CharField(label=_("Bank name"), max_length=80, widget=_text())
    bank_code = forms.CharField(
        label=_("Bank code (行号)"), max_length=12, widget=_text(inputmode="numeric")
    )
    account_number = forms.CharField(
        label=_("Account number"), max_length=40, widget=_text(inputmode="numeric")
    )


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("Reason for viewing"), max_length=200, widget=_text())


class CloseAccountForm(forms.Form):
    reason = forms.CharField(label=_("Reason for closing"), max_length=200, widget=_text())
