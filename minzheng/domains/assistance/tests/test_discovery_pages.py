"""Discovery and visit pages: the grid worker's lists, resolving a task, recording a visit,
the town's overdue view, scope (404 outside the actor's regions) and form errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from minzheng.domains.assistance.models.discovery import (
    DiscoveryStatus,
    DiscoveryTask,
    Visit,
    VisitStatus,
)
from minzheng.domains.assistance.services import discovery
from minzheng.domains.assistance.services.review import add_months
from minzheng.domains.assistance.tests.test_casework_support import cast, today
from minzheng.domains.assistance.tests.test_discovery_support import (
    apply,
    family,
    flag,
    this_month,
    visit,
)
from minzheng.domains.assistance.tests.test_payroll_support import NANHU
from minzheng.kernel.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _client(user, language: str = "en") -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # pages ignore Accept-Language
    client.force_login(user)
    return client


def _task(c, seq: int) -> DiscoveryTask:  # type: ignore[no-untyped-def]
    household, _ = family(c, seq)
    flag(household, this_month(), dibao_eligible=True)
    discovery.discovery_tasks_create(actor=None, county=NANHU, month=this_month(), mpi_poor=set())
    return DiscoveryTask.objects.get(household=household)


def test_the_grid_workers_list_shows_their_tasks_and_another_town_gets_404(world):
    c = cast(world)
    task = _task(c, 81)
    url = reverse("assistance:discovery_task", args=[task.pk])

    mine = _client(c.grid_worker).get(reverse("assistance:discovery"))
    assert mine.status_code == 200 and url in mine.content.decode()
    assert 'class="mz-nav-link active" href="/assistance/discovery/"' in mine.content.decode()
    assert url in _client(c.clerk).get(reverse("assistance:discovery")).content.decode()

    other = _client(world.other_town_clerk)
    assert url not in other.get(reverse("assistance:discovery")).content.decode()
    assert other.get(url).status_code == 404
    assert other.post(url, {"outcome": "unreachable"}).status_code == 404
    assert DiscoveryTask.objects.get(pk=task.pk).status == DiscoveryStatus.OPEN


def test_resolving_a_task_as_applied_through_the_page(world):
    c = cast(world)
    task = _task(c, 82)
    application = apply(c, task.household, task.household.memberships.get(relation="head").person)
    url = reverse("assistance:discovery_task", args=[task.pk])
    client = _client(c.grid_worker)

    page = client.get(url)
    assert 'data-testid="resolve"' in page.content.decode()
    assert application.case_number in page.content.decode()  # offered in the select

    response = client.post(url, {"outcome": "applied", "application": application.pk})

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == DiscoveryStatus.APPLIED and task.application == application
    assert AuditEvent.objects.filter(action="assistance.discovery.applied").count() == 1
    resolved = client.get(url).content.decode()
    assert f"/assistance/cases/{application.case_number}/" in resolved
    assert 'data-testid="resolve"' not in resolved


def test_a_decline_without_reason_is_refused_by_the_form(world):
    c = cast(world)
    task = _task(c, 83)
    url = reverse("assistance:discovery_task", args=[task.pk])

    response = _client(c.grid_worker).post(url, {"outcome": "declined", "reason": ""})

    assert response.status_code == 400
    assert "Give the reason." in response.content.decode()
    assert DiscoveryTask.objects.get(pk=task.pk).status == DiscoveryStatus.OPEN


def test_recording_a_visit_through_the_page(world):
    c = cast(world)
    scheduled = visit(c, family(c, 84)[0], this_month())
    url = reverse("assistance:visit", args=[scheduled.pk])
    client = _client(c.grid_worker)

    assert url in client.get(reverse("assistance:visits")).content.decode()
    assert 'data-testid="record"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "visited_on": today().isoformat(),
            "findings": ["safety", "care"],
            "note": "电线老化",
            "follow_up": "on",
        },
    )

    assert response.status_code == 302
    scheduled.refresh_from_db()
    assert scheduled.status == VisitStatus.DONE and scheduled.visitor == c.grid_worker
    assert scheduled.findings == ["care", "safety"] and scheduled.follow_up
    done_page = client.get(url).content.decode()
    assert "电线老化" in done_page and 'data-testid="record"' not in done_page
    assert _client(world.other_town_clerk).get(url).status_code == 404


@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-hans", "输入一个有效的日期。"), ("en", "Enter a valid date.")],
)
def test_visit_form_errors_are_in_the_users_language(world, language, message):
    c = cast(world)
    scheduled = visit(c, family(c, 85)[0], this_month())

    response = _client(c.grid_worker, language).post(
        reverse("assistance:visit", args=[scheduled.pk]), {"visited_on": "昨天"}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Visit.objects.get(pk=scheduled.pk).status == VisitStatus.SCHEDULED


def test_the_towns_overdue_view_lists_overdue_visits_first_and_only(world):
    c = cast(world)
    late = visit(c, family(c, 86)[0], add_months(this_month(), -2))
    later = visit(c, family(c, 87)[0], add_months(this_month(), -1))
    soon = visit(c, family(c, 88)[0], add_months(this_month(), 2))
    client = _client(c.clerk)

    overdue = client.get(reverse("assistance:visits_overdue")).content.decode()
    every = client.get(reverse("assistance:visits")).content.decode()

    late_url, later_url, soon_url = (
        reverse("assistance:visit", args=[v.pk]) for v in (late, later, soon)
    )
    assert overdue.index(late_url) < overdue.index(later_url) and soon_url not in overdue
    assert "working days overdue" in overdue
    assert every.index(late_url) < every.index(later_url) < every.index(soon_url)
    assert (
        late_url
        not in _client(world.other_town_clerk)
        .get(reverse("assistance:visits_overdue"))
        .content.decode()
    )
    assert late.due_on < today() - dt.timedelta(days=20)
