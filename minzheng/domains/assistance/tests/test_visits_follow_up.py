"""Follow-up visits: a visit recorded with "follow-up needed" schedules the next visit to the
household, due on the working-day calendar, for the same grid worker, linked and shown with
its reason; never twice (a second save, a follow-up already scheduled); scoped and audited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from minzheng.common.errors import Conflict, NotFound, PermissionRefused
from minzheng.domains.assistance.models.discovery import Visit, VisitStatus
from minzheng.domains.assistance.selectors import discovery as selectors
from minzheng.domains.assistance.services import discovery
from minzheng.domains.assistance.services.review import add_months
from minzheng.domains.assistance.tests.test_casework_support import cast, today
from minzheng.domains.assistance.tests.test_discovery_support import (
    family,
    this_month,
    village_family,
    visit,
)
from minzheng.domains.assistance.tests.test_payroll_support import NANHU, enrol
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.workflow.calendar import add_working_days, is_working_day

pytestmark = pytest.mark.django_db

BEFORE_NATIONAL_DAY = dt.date(2026, 9, 29)  # Tuesday; 1–7 October 2026 are holidays


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # pages ignore Accept-Language
    client.force_login(user)
    return client


def _record(actor, scheduled: Visit, *, follow_up: bool, visited_on: dt.date | None = None):  # type: ignore[no-untyped-def]
    return discovery.visit_record(
        actor=actor,
        visit=scheduled,
        visited_on=visited_on or today(),
        findings=["health"],
        note="腿伤未就医",
        follow_up=follow_up,
    )


def _follow_ups() -> list[Visit]:
    return list(Visit.objects.filter(follow_up_of__isnull=False))


def _audits() -> int:
    return AuditEvent.objects.filter(action="assistance.visit.follow_up").count()


# --------------------------------------------------------------------------- scheduling


def test_a_visit_needing_follow_up_schedules_one_due_on_the_holiday_calendar(world):
    c = cast(world)
    household, _ = family(c, 89)
    scheduled = visit(c, household, BEFORE_NATIONAL_DAY.replace(day=1))

    done = _record(c.grid_worker, scheduled, follow_up=True, visited_on=BEFORE_NATIONAL_DAY)

    (follow_up,) = _follow_ups()
    # 30 Sep, then 8, 9, 10 (a make-up Saturday) and 12 October: the National Day week is off.
    assert follow_up.due_on == dt.date(2026, 10, 12)
    assert follow_up.due_on == add_working_days(BEFORE_NATIONAL_DAY, 5)
    assert is_working_day(follow_up.due_on)
    assert follow_up.follow_up_of == done and done.follow_up_visit == follow_up
    assert follow_up.status == VisitStatus.SCHEDULED and follow_up.period == dt.date(2026, 10, 1)
    assert follow_up.household == household and follow_up.assignee == c.grid_worker
    assert (follow_up.region, follow_up.town, follow_up.county) == (
        scheduled.region,
        scheduled.town,
        NANHU,
    )
    assert (follow_up.risk_score, follow_up.risk_factors) == (2, ["dibao"])
    event = AuditEvent.objects.get(action="assistance.visit.follow_up")
    assert event.object_id == str(follow_up.pk) and event.actor == c.grid_worker
    assert event.changes["follow_up_of"] == done.pk
    assert event.changes["due_on"] == "2026-10-12" and event.changes["created"] is True


def test_a_follow_up_may_fall_in_the_month_of_the_routine_visit(world):
    c = cast(world)
    household, _ = family(c, 90)
    scheduled = visit(c, household, this_month())

    _record(c.grid_worker, scheduled, follow_up=True)

    (follow_up,) = _follow_ups()
    assert follow_up.due_on == add_working_days(today(), discovery.FOLLOW_UP_WORKING_DAYS)
    assert follow_up.period == follow_up.due_on.replace(day=1)  # this month or the next


def test_the_town_handles_the_follow_up_when_the_grid_has_no_worker(world):
    c = cast(world)
    scheduled = visit(c, village_family(c, 91), this_month())

    _record(c.clerk, scheduled, follow_up=True)

    (follow_up,) = _follow_ups()
    assert follow_up.assignee is None and follow_up.region == scheduled.region


def test_no_follow_up_when_the_visit_does_not_ask_for_one(world):
    c = cast(world)
    scheduled = visit(c, family(c, 92)[0], this_month())

    _record(c.grid_worker, scheduled, follow_up=False)

    assert Visit.objects.count() == 1 and _follow_ups() == [] and _audits() == 0
    with pytest.raises(Conflict):
        discovery.visit_follow_up_schedule(actor=c.grid_worker, visit=scheduled)
    assert Visit.objects.count() == 1


# --------------------------------------------------------------------------- never twice


def test_a_double_submit_of_the_visit_page_schedules_one_follow_up(world):
    c = cast(world)
    scheduled = visit(c, family(c, 93)[0], this_month())
    url = reverse("assistance:visit", args=[scheduled.pk])
    client = _client(c.grid_worker)
    form = {"visited_on": today().isoformat(), "findings": ["food"], "follow_up": "on"}

    first = client.post(url, form, follow=True)
    second = client.post(url, form, follow=True)

    (follow_up,) = _follow_ups()
    due = follow_up.due_on.isoformat()
    assert f"A follow-up visit is scheduled, due on {due}." in first.content.decode()
    assert "This visit is already recorded." in second.content.decode()
    assert _audits() == 1
    assert Visit.objects.filter(status=VisitStatus.SCHEDULED).count() == 1


def test_scheduling_the_follow_up_again_returns_the_same_one(world):
    c = cast(world)
    done = _record(c.grid_worker, visit(c, family(c, 94)[0], this_month()), follow_up=True)
    (follow_up,) = _follow_ups()

    again = discovery.visit_follow_up_schedule(actor=c.clerk, visit=done)

    assert again == follow_up and len(_follow_ups()) == 1 and _audits() == 1


def test_no_second_follow_up_while_one_is_scheduled_for_the_household(world):
    c = cast(world)
    household, _ = family(c, 95)
    # A visit recorded before follow-ups were scheduled: it asked for one, none was made.
    earlier = visit(
        c,
        household,
        add_months(this_month(), -1),
        status=VisitStatus.DONE,
        visited_on=today() - dt.timedelta(days=20),
        follow_up=True,
        note="上次走访",
    )
    _record(c.grid_worker, visit(c, household, this_month()), follow_up=True)
    (follow_up,) = _follow_ups()

    assert discovery.visit_follow_up_schedule(actor=c.grid_worker, visit=earlier) == follow_up
    assert len(_follow_ups()) == 1 and _audits() == 1
    assert Visit.objects.filter(household=household, status=VisitStatus.SCHEDULED).count() == 1


def test_a_routine_visit_already_scheduled_is_brought_forward_as_the_follow_up(world):
    c = cast(world)
    household, _ = family(c, 96)
    earlier = visit(
        c,
        household,
        add_months(this_month(), -2),
        status=VisitStatus.DONE,
        visited_on=today() - dt.timedelta(days=40),
        follow_up=True,
        note="上次走访",
    )
    routine = visit(c, household, add_months(this_month(), 2))

    follow_up = discovery.visit_follow_up_schedule(actor=c.grid_worker, visit=earlier)

    routine.refresh_from_db()
    assert follow_up == routine and routine.follow_up_of == earlier
    assert routine.due_on == discovery.visit_follow_up_due_on(earlier.visited_on)
    assert Visit.objects.filter(household=household).count() == 2
    assert AuditEvent.objects.get(action="assistance.visit.follow_up").changes["created"] is False


def test_the_routine_schedule_waits_for_the_follow_up_then_counts_from_it(world):
    c = cast(world)
    household, members = family(c, 97, [dt.date(1940, 2, 2)])
    enrol(c, household, members)  # dibao, living alone at 70+: visited monthly
    run = {"actor": None, "county": NANHU, "mpi_severe": set()}
    assert discovery.visits_schedule(on=this_month(), **run) == 1
    routine = Visit.objects.get(household=household)

    _record(c.grid_worker, routine, follow_up=True)
    (follow_up,) = _follow_ups()
    next_month = add_months(this_month(), 1)

    assert discovery.visits_schedule(on=next_month, **run) == 0  # the follow-up is scheduled
    _record(c.grid_worker, follow_up, follow_up=False)
    assert discovery.visits_schedule(on=add_months(follow_up.period, 1), **run) == 1
    assert Visit.objects.filter(
        household=household, period=add_months(follow_up.period, 1), follow_up_of=None
    ).exists()


# --------------------------------------------------------------------------- scope and pages


def test_another_towns_clerk_can_neither_see_nor_schedule_the_follow_up(world):
    c = cast(world)
    done = _record(c.grid_worker, visit(c, family(c, 98)[0], this_month()), follow_up=True)
    (follow_up,) = _follow_ups()
    other = world.other_town_clerk

    assert list(selectors.visit_worklist(actor=other, today=today())) == []
    with pytest.raises(NotFound):
        selectors.visit_get(actor=other, visit_id=follow_up.pk)
    with pytest.raises(PermissionRefused):
        discovery.visit_follow_up_schedule(actor=other, visit=done)
    client = _client(other)
    url = reverse("assistance:visit", args=[follow_up.pk])
    assert client.get(url).status_code == 404
    assert url not in client.get(reverse("assistance:visits")).content.decode()
    assert url not in client.get(reverse("assistance:worklist")).content.decode()
    assert list(selectors.visit_worklist(actor=c.clerk, today=today())) == [follow_up]


def test_the_follow_up_shows_its_reason_on_the_visits_page_and_the_worklist(world):
    c = cast(world)
    visited_on = today() - dt.timedelta(days=3)
    done = _record(
        c.grid_worker,
        visit(c, family(c, 99)[0], this_month()),
        follow_up=True,
        visited_on=visited_on,
    )
    (follow_up,) = _follow_ups()
    reason = f"Follow-up of the visit on {visited_on.isoformat()}"
    follow_up_url = reverse("assistance:visit", args=[follow_up.pk])
    done_url = reverse("assistance:visit", args=[done.pk])

    for user, page in (
        (c.grid_worker, reverse("assistance:visits")),
        (c.clerk, reverse("assistance:visits")),
        (c.grid_worker, reverse("assistance:worklist")),
        (c.clerk, reverse("assistance:worklist")),
    ):
        text = _client(user).get(page).content.decode()
        row = text[text.index(f'href="{follow_up_url}"') :]
        row = row[: row.index("</li>")]
        assert reason in row, (user, page)
        assert follow_up.due_on.isoformat() in row

    follow_up_page = _client(c.grid_worker).get(follow_up_url).content.decode()
    facts = follow_up_page[follow_up_page.index('data-testid="facts"') :]
    assert re.search(rf'<a href="{done_url}">\s*{reason}\s*</a>', facts)
    assert 'data-testid="record"' in follow_up_page
    done_page = _client(c.clerk).get(done_url).content.decode()
    assert f'<a href="{follow_up_url}">due on {follow_up.due_on.isoformat()}</a>' in done_page


def test_a_routine_visit_scheduled_meanwhile_is_taken_over_not_duplicated(world, monkeypatch):
    c = cast(world)
    household, _ = family(c, 88)
    earlier = visit(
        c,
        household,
        add_months(this_month(), -2),
        status=VisitStatus.DONE,
        visited_on=today() - dt.timedelta(days=40),
        follow_up=True,
        note="上次走访",
    )
    routine = visit(c, household, add_months(this_month(), 1))
    in_place = discovery._follow_up_in_place
    looks: list[int] = []

    def racing(**kwargs):  # type: ignore[no-untyped-def]
        looks.append(1)  # the first look misses the routine visit, as if inserted meanwhile
        return None if len(looks) == 1 else in_place(**kwargs)

    monkeypatch.setattr(discovery, "_follow_up_in_place", racing)

    follow_up = discovery.visit_follow_up_schedule(actor=c.grid_worker, visit=earlier)

    assert len(looks) == 2  # the insert was refused, the second look found the routine visit
    assert follow_up == routine and Visit.objects.filter(household=household).count() == 2
    routine.refresh_from_db()
    assert routine.follow_up_of == earlier and _audits() == 1
