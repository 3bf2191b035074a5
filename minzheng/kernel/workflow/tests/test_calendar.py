"""Working days: the library's holidays, entered notices, the Monday–Friday fallback."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minzheng.common.errors import PermissionRefused, ValidationFailed
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.workflow import calendar
from minzheng.kernel.workflow.selectors import calendar_warnings
from minzheng.kernel.workflow.services import calendar_day_enter

pytestmark = pytest.mark.django_db

DAYS = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31))


@pytest.fixture(autouse=True)
def _fresh_cache():
    calendar.clear_cache()
    yield
    calendar.clear_cache()


def test_known_2026_dates():
    assert not calendar.is_working_day(dt.date(2026, 10, 1))  # National Day, a Thursday
    assert calendar.is_working_day(dt.date(2026, 10, 10))  # make-up working day, a Saturday
    assert not calendar.is_working_day(dt.date(2026, 10, 11))  # an ordinary Sunday
    assert calendar.is_working_day(dt.date(2026, 11, 27))  # an ordinary Friday
    assert calendar.year_covered(2026)
    assert calendar.year_source(2026) == calendar.LIBRARY


def test_the_start_day_is_not_counted():
    # Friday 2026-09-25 + 1 working day: Monday 2026-09-28 (the weekend is skipped).
    assert calendar.add_working_days(dt.date(2026, 9, 25), 1) == dt.date(2026, 9, 28)
    assert calendar.add_working_days(dt.date(2026, 9, 25), 0) == dt.date(2026, 9, 25)
    # Across National Day 2026: 1–7 Oct off, Sat 10 Oct worked.
    assert calendar.add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    assert calendar.add_working_days(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)
    assert calendar.working_days_between(dt.date(2026, 9, 30), dt.date(2026, 10, 10)) == 3
    assert calendar.working_days_between(dt.date(2026, 10, 10), dt.date(2026, 9, 30)) == -3


def test_an_unknown_year_falls_back_to_weekdays_and_says_so():
    assert not calendar.year_covered(2027)
    assert calendar.year_source(2027) == calendar.WEEKDAYS
    assert calendar.is_working_day(dt.date(2027, 1, 1))  # a Friday; no notice entered yet
    assert not calendar.is_working_day(dt.date(2027, 1, 2))
    assert calendar_warnings(start=dt.date(2026, 11, 28), end=dt.date(2027, 1, 15)) == [2027]


def test_an_entered_notice_covers_its_year_and_wins(world):
    calendar_day_enter(
        actor=world.city_admin,
        date=dt.date(2027, 1, 1),
        is_working_day=False,
        name="元旦",
        source_document="国办发明电〔2026〕X号",
    )
    calendar_day_enter(
        actor=world.city_admin,
        date=dt.date(2027, 2, 20),  # a Saturday made a working day
        is_working_day=True,
        name="春节调休",
        source_document="国办发明电〔2026〕X号",
    )

    assert calendar.year_covered(2027)
    assert calendar.year_source(2027) == calendar.ENTERED
    assert not calendar.is_working_day(dt.date(2027, 1, 1))
    assert calendar.is_working_day(dt.date(2027, 2, 20))
    # Thursday 2026-12-31 + 1 working day skips 1 Jan 2027 (Fri) and the weekend.
    assert calendar.add_working_days(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 4)
    assert AuditEvent.objects.filter(action="workflow.calendar_day.enter").count() == 2


def test_entering_a_day_needs_the_permission_and_a_source(world):
    with pytest.raises(PermissionRefused):
        calendar_day_enter(
            actor=world.town_clerk,
            date=dt.date(2027, 1, 1),
            is_working_day=False,
            source_document="x",
        )
    with pytest.raises(ValidationFailed):
        calendar_day_enter(
            actor=world.city_admin,
            date=dt.date(2027, 1, 1),
            is_working_day=False,
            source_document=" ",
        )


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=DAYS, days=st.integers(min_value=0, max_value=60))
def test_adding_then_counting_round_trips(start, days):
    end = calendar.add_working_days(start, days)
    assert calendar.working_days_between(start, end) == days
    assert end >= start
    if days:
        assert calendar.is_working_day(end)
        # The day before the end is not yet `days` working days away.
        assert calendar.working_days_between(start, end - dt.timedelta(days=1)) == days - 1


@settings(max_examples=100, deadline=None)
@given(a=DAYS, b=DAYS, c=DAYS)
def test_counting_is_additive(a, b, c):
    between = calendar.working_days_between
    assert between(a, b) + between(b, c) == between(a, c)


def test_the_command_enters_a_notice_and_shows_coverage():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "workflow_calendar",
        "--holiday",
        "2027-01-01",
        "--name",
        "元旦",
        "--source",
        "国办发明电〔2026〕X号",
        "--years",
        "2026",
        "2027",
        "2028",
        stdout=out,
    )
    text = out.getvalue()
    assert "2027-01-01 holiday" in text
    assert "2026: library" in text and "2027: entered" in text
    assert "2028: weekdays  (not entered" in text
