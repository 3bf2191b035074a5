"""Date inputs render ISO dates in Chinese: an `<input type="date">` takes only YYYY-MM-DD,
while zh-hans formats dates as 2026/11/29 unless the widget names its format."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from minzheng.domains.assistance.casework_forms import InvestigateForm
from minzheng.domains.assistance.discovery_forms import VisitRecordForm
from minzheng.domains.assistance.forms import ProposeForm
from minzheng.domains.assistance.services.review import add_months
from minzheng.domains.assistance.tests.test_casework_support import cast, today
from minzheng.domains.assistance.tests.test_discovery_support import family, this_month, visit

DAY = dt.date(2026, 11, 29)


def _value(html: str) -> str:
    found = re.search(r'value="([^"]*)"', html)
    assert found, html
    return found.group(1)


@pytest.mark.parametrize(
    ("form_class", "name"),
    [(VisitRecordForm, "visited_on"), (InvestigateForm, "visited_on"), (ProposeForm, "start")],
)
def test_a_date_field_renders_and_reads_back_an_iso_date_in_chinese(
    form_class: type[forms.Form], name: str
) -> None:
    with translation.override("zh-hans"):
        html = str(form_class(initial={name: DAY})[name])
        bound = form_class(data={name: DAY.isoformat()})
        bound.is_valid()

    assert 'type="date"' in html and _value(html) == "2026-11-29"
    assert name not in bound.errors


def test_the_visit_forms_findings_are_bootstrap_checkboxes_like_the_follow_up() -> None:
    html = str(VisitRecordForm()["findings"])

    boxes = re.findall(r'<input type="checkbox"[^>]*>', html)
    assert boxes and all('class="form-check-input"' in box for box in boxes)
    assert 'class="form-check-input"' in str(VisitRecordForm()["follow_up"])


@pytest.mark.django_db
def test_the_visit_page_offers_todays_date_in_iso_and_its_own_label(world: Any) -> None:
    c = cast(world)
    scheduled = visit(c, family(c, 91)[0], add_months(this_month(), -1))
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(c.grid_worker)

    body = client.get(reverse("assistance:visit", args=[scheduled.pk])).content.decode()

    date_input = re.search(r'<input type="date" name="visited_on"[^>]*>', body)
    assert date_input and _value(date_input.group(0)) == today().isoformat()
    assert body.count('<div class="form-check mz-check"><input type="checkbox" name="findings"') > 1
    with translation.override("en"):
        assert str(VisitRecordForm()["visited_on"].label) == "Date of the visit"
