"""Forms of the resident portal: the login (phone number, then the one-time code) and the
steps of an online application."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from minzheng.domains.assistance.models import TemporaryReason

PHONE_SEPARATORS_RE = re.compile(r"[\s\-()]")
# What the file picker offers; the documents kernel checks what a file really contains.
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def normalise_phone(raw: str) -> str:
    """What residents type ("139 0000 0011", "+86 139-0000-0011") as 11 digits.

    The service validates the result; this only removes separators and the country code.
    """
    phone = PHONE_SEPARATORS_RE.sub("", raw or "")
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix) :]
    return phone


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=24,
        error_messages={"required": _("Enter your mobile phone number.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "tel",
                "autocomplete": "tel",
                "placeholder": _("11-digit mobile number"),
            }
        ),
    )

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])


class CodeForm(PhoneForm):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=12,
        error_messages={"required": _("Enter the 6-digit code from the text message.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": r"\d{6}",
                "maxlength": "6",
                "placeholder": "······",
            }
        ),
    )

    def clean_code(self) -> str:
        code = re.sub(r"\s", "", self.cleaned_data["code"])
        if not re.fullmatch(r"\d{6}", code):
            raise forms.ValidationError(_("The code has 6 digits."), code="code_format")
        return code


# --- the online application (码上办) --------------------------------------------------------


class CircumstancesForm(forms.Form):
    """The household's situation; what is required depends on the programme (the service
    checks it again)."""

    circumstances = forms.CharField(
        label=_("Your household's situation"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
        help_text=_("Why your household needs help: work, health, housing, special expenses."),
        error_messages={"required": _("Describe your household's situation in a few sentences.")},
    )
    monthly_income = forms.DecimalField(
        label=_("Total household income per month (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(
            attrs={"inputmode": "decimal", "step": "0.01", "min": "0", "class": "form-control"}
        ),
        help_text=_("Wages, pensions, business and other income of all members; 0 if none."),
    )
    income_note = forms.CharField(
        label=_("Where the income comes from"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    temporary_reason = forms.ChoiceField(
        label=_("Why do you need temporary assistance?"),
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, programme_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programme_code = programme_code
        if programme_code == "temporary":
            reason = cast(forms.ChoiceField, self.fields["temporary_reason"])
            reason.choices = TemporaryReason.choices
            reason.required = True
            reason.error_messages["required"] = _(
                "Choose why your household needs temporary assistance."
            )
        else:
            del self.fields["temporary_reason"]
        if programme_code == "dibao":
            self.fields["monthly_income"].required = True
            self.fields["monthly_income"].error_messages["required"] = _(
                "Give your household's total income per month (0 if none)."
            )


class UploadForm(forms.Form):
    """One file for one of the programme's documents."""

    document = forms.ChoiceField(
        label=_("Which document is it?"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    file = forms.FileField(
        label=_("File"),
        error_messages={"required": _("Choose a file: a photo or a scan (PDF, JPG or PNG).")},
        widget=forms.FileInput(attrs={"accept": ACCEPT, "class": "form-control"}),
    )

    def __init__(self, *args: Any, documents: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["document"]).choices = [
            *((name, name) for name in documents),
            ("", _("Other document")),
        ]


class AuthorisationForm(forms.Form):
    """The applicant ticks the consent of each adult member."""

    members = forms.TypedMultipleChoiceField(
        label=_("Members who agree"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, adults: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["members"]).choices = adults


class ResubmitForm(forms.Form):
    """One file field per document the office listed as missing."""

    def __init__(self, *args: Any, missing: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.documents: dict[str, str] = {}
        for index, name in enumerate(missing):
            field_name = f"document_{index}"
            self.documents[field_name] = name
            self.fields[field_name] = forms.FileField(
                label=name,
                required=False,
                widget=forms.FileInput(attrs={"accept": ACCEPT, "class": "form-control"}),
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not any(cleaned.get(field) for field in self.documents):
            raise forms.ValidationError(_("Choose at least one file to send."), code="no_file")
        return cleaned

    def files_to_send(self) -> list[tuple[str, Any, str]]:
        """(document, file, file name) for every file chosen."""
        return [
            (name, self.cleaned_data[field], self.cleaned_data[field].name)
            for field, name in self.documents.items()
            if self.cleaned_data.get(field)
        ]


class LinkForm(forms.Form):
    """Link the account to the register: the ID number only when the phone is shared."""

    id_number = forms.CharField(
        label=_("Your ID number"),
        max_length=24,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "class": "form-control"}
        ),
    )


class WithdrawForm(forms.Form):
    """Confirm withdrawing an application, with an optional reason."""

    reason = forms.CharField(
        label=_("Why do you withdraw it? (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text=_("For example: the household's income has risen, or you applied by mistake."),
    )
