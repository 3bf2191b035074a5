"""Form widgets shared by every app.

A browser's date and month inputs take only ISO values (2026-11-29, 2026-11); Django would
render a date in the active language's format (2026/11/29 in zh-hans), which the input
rejects: the field comes up empty and the form refuses the next submit.
"""

from __future__ import annotations

from typing import Any

from django import forms


class IsoDateInput(forms.DateInput):
    """An HTML date input that renders its value as YYYY-MM-DD in every language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class IsoMonthInput(forms.DateInput):
    """An HTML month input that renders its value as YYYY-MM in every language."""

    input_type = "month"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m")
