"""Forms of the public documents pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from minzheng.kernel.documents.selectors import CASE_NUMBER_MAX


class CaseNumberForm(forms.Form):
    case_number = forms.RegexField(
        label=_("Case number"),
        max_length=CASE_NUMBER_MAX,
        regex=r"^[0-9A-Za-z][0-9A-Za-z\-_/]*$",
        error_messages={"invalid": _("Enter the case number as printed on your receipt.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
