"""The report form's "as of" date renders as an ISO date in Chinese: an `<input type="date">`
takes only YYYY-MM-DD, while zh-hans formats dates as 2026/11/29 unless the widget names its
format."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import translation

from minzheng.kernel.verification.forms import ReportForm
from minzheng.kernel.verification.models import ReportPurpose


def test_the_as_of_date_renders_and_reads_back_an_iso_date_in_chinese() -> None:
    with translation.override("zh-hans"):
        html = str(ReportForm(initial={"as_of": dt.date(2026, 11, 29)})["as_of"])
        bound = ReportForm(data={"purpose": ReportPurpose.values[0], "as_of": "2026-11-29"})
        assert bound.is_valid(), bound.errors

    value = re.search(r'value="([^"]*)"', html)
    assert 'type="date"' in html and value and value.group(1) == "2026-11-29"
    assert bound.cleaned_data["as_of"] == dt.date(2026, 11, 29)
