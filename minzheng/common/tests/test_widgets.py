"""Date and month inputs render ISO values whatever the page's language."""

import datetime as dt

import pytest
from django.utils import translation

from minzheng.common.widgets import IsoDateInput, IsoMonthInput


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_date_and_month_inputs_render_iso_values(language):
    day = dt.date(2026, 11, 29)
    with translation.override(language):
        date_html = IsoDateInput(attrs={"class": "form-control"}).render("on", day)
        month_html = IsoMonthInput().render("month", day)
    assert 'type="date"' in date_html and 'value="2026-11-29"' in date_html
    assert 'class="form-control"' in date_html
    assert 'type="month"' in month_html and 'value="2026-11"' in month_html
