"""Forms of the resident portal's login: phone number, then the one-time code."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

PHONE_SEPARATORS_RE = re.compile(r"[\s\-()]")


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
