"""The month filter keeps its value on a Chinese page: a month input takes only YYYY-MM."""

import datetime as dt

from django.utils import translation

from minzheng.kernel.payments.forms import MonthField


def test_a_month_renders_as_year_and_month_in_every_language():
    field = MonthField()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            html = field.widget.render("month", dt.date(2026, 11, 1))
        assert 'value="2026-11"' in html
        assert 'type="month"' in html
    assert field.clean("2026-11") == dt.date(2026, 11, 1)
