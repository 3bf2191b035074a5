"""The casework worklist's visits and discovery sections: who sees them (the roles that do
visits, inside their regions), overdue visits first with their working days overdue, the
counts in the headings, the bounded rows with their "see all" links, and a constant number
of queries whatever the number of rows."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from minzheng.domains.assistance.casework_views import WORKLIST_HOUSEHOLD_ROWS
from minzheng.domains.assistance.models.discovery import DiscoveryTask, Visit
from minzheng.domains.assistance.services import discovery
from minzheng.domains.assistance.services.review import add_months
from minzheng.domains.assistance.tests.test_casework_support import Cast, cast, today
from minzheng.domains.assistance.tests.test_discovery_support import (
    family,
    flag,
    this_month,
    village_family,
    visit,
)
from minzheng.domains.assistance.tests.test_payroll_support import NANHU
from minzheng.kernel.accounts.models import Role
from minzheng.kernel.accounts.services import staff_create
from minzheng.kernel.people.models import Household
from minzheng.kernel.workflow.calendar import working_days_between
from minzheng.testing.world import PASSWORD, WANGDIAN

pytestmark = pytest.mark.django_db

WORKLIST = reverse("assistance:worklist")


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # pages ignore Accept-Language
    client.force_login(user)
    return client


def _page(user) -> str:  # type: ignore[no-untyped-def]
    response = _client(user).get(WORKLIST)
    assert response.status_code == 200
    return response.content.decode()


def _count(text: str, testid: str) -> int:
    found = re.search(rf'data-testid="{testid}">(\d+)', text)
    assert found, testid
    return int(found.group(1))


def _visit_url(scheduled: Visit) -> str:
    return reverse("assistance:visit", args=[scheduled.pk])


def _task_url(task: DiscoveryTask) -> str:
    return reverse("assistance:discovery_task", args=[task.pk])


def _flagged(c: Cast, seqs: range) -> list[Household]:
    """Households of the 新嘉 grid flagged dibao-eligible this month, with their open tasks."""
    households = [family(c, seq)[0] for seq in seqs]
    for household in households:
        flag(household, this_month(), dibao_eligible=True)
    discovery.discovery_tasks_create(actor=None, county=NANHU, month=this_month(), mpi_poor=set())
    return households


def _other_town_visit(c: Cast) -> Visit:
    household = c.world.families["wangdian"].household
    return visit(
        c,
        household,
        add_months(this_month(), -1),
        town=c.world.regions[WANGDIAN],
        county="330411",
    )


# -- scope ---------------------------------------------------------------------------------


def test_the_town_clerk_sees_only_their_towns_visits_and_tasks(world):
    c = cast(world)
    (household,) = _flagged(c, range(30, 31))
    ours = visit(c, household, add_months(this_month(), -1))
    theirs = _other_town_visit(c)
    task = DiscoveryTask.objects.get(household=household)

    text = _page(c.clerk)

    assert 'data-testid="visits-due"' in text and 'data-testid="discovery-tasks"' in text
    assert _visit_url(ours) in text and _task_url(task) in text
    assert _visit_url(theirs) not in text
    assert _count(text, "visits-due-count") == 1 and _count(text, "discovery-tasks-count") == 1


def test_a_clerk_of_another_town_sees_none_of_them(world):
    c = cast(world)
    (household,) = _flagged(c, range(31, 32))
    ours = visit(c, household, add_months(this_month(), -1))
    theirs = _other_town_visit(c)

    text = _page(world.other_town_clerk)

    assert _visit_url(ours) not in text
    assert _task_url(DiscoveryTask.objects.get(household=household)) not in text
    assert _visit_url(theirs) in text  # their own town's visit
    assert _count(text, "visits-due-count") == 1 and _count(text, "discovery-tasks-count") == 0
    assert "No discovery task is open." in text


def test_the_grid_worker_sees_the_visits_assigned_to_them(world):
    c = cast(world)
    (household,) = _flagged(c, range(32, 33))
    scheduled = visit(c, household, this_month())
    the_towns = visit(c, village_family(c, 38), this_month())  # no grid worker: the town's

    text = _page(c.grid_worker)

    assert _visit_url(scheduled) in text and _visit_url(the_towns) not in text
    assert _task_url(DiscoveryTask.objects.get(household=household)) in text
    assert _visit_url(the_towns) in _page(c.clerk)


@pytest.mark.parametrize("persona", ["county_approver", "city_admin", "auditor"])
def test_roles_that_do_no_visits_get_no_visit_sections(world, persona):
    c = cast(world)
    visit(c, family(c, 33)[0], add_months(this_month(), -1))

    text = _page(getattr(world, persona))

    assert 'data-testid="visits-due"' not in text
    assert 'data-testid="discovery-tasks"' not in text


def test_the_sections_keep_to_the_regions_where_the_actor_does_visits(world):
    c = cast(world)
    ours = visit(c, family(c, 37)[0], add_months(this_month(), -1))
    theirs = _other_town_visit(c)
    both = staff_create(
        actor=None,
        username="approver_clerk",
        full_name="何兼办",
        password=PASSWORD,
        grants=[
            (Role.COUNTY_APPROVER, world.regions[NANHU]),  # views 新嘉, does no visits there
            (Role.TOWN_CLERK, world.regions[WANGDIAN]),
        ],
    )

    text = _page(both)

    assert _visit_url(theirs) in text and _visit_url(ours) not in text
    assert _count(text, "visits-due-count") == 1


# -- overdue first ---------------------------------------------------------------------------


def test_overdue_visits_come_first_highlighted_with_their_working_days_overdue(world):
    c = cast(world)
    soon = visit(c, family(c, 34)[0], add_months(this_month(), 2))
    later = visit(c, family(c, 35)[0], add_months(this_month(), -1))
    late = visit(c, family(c, 36)[0], add_months(this_month(), -2))

    text = _page(c.clerk)

    section = text[text.index('data-testid="worklist-visits"') :]
    assert (
        section.index(_visit_url(late))
        < section.index(_visit_url(later))
        < section.index(_visit_url(soon))
    )
    assert section.count("list-group-item-danger") == 2
    days = working_days_between(late.due_on, today())
    assert days > 1 and f"{days} working days overdue" in section
    assert _count(text, "visits-due-count") == 3
    assert "2 overdue" in text and reverse("assistance:visits_overdue") in text


# -- counts and the bounded rows -------------------------------------------------------------


def test_the_headings_count_every_row_and_the_sections_show_a_bounded_number(world):
    c = cast(world)
    total = WORKLIST_HOUSEHOLD_ROWS + 2
    households = _flagged(c, range(40, 40 + total))
    for index, household in enumerate(households):
        visit(c, household, add_months(this_month(), -1 if index < 3 else 1))

    text = _page(c.clerk)

    assert _count(text, "visits-due-count") == total
    assert _count(text, "discovery-tasks-count") == total
    assert "3 overdue" in text
    visits = text[text.index('data-testid="worklist-visits"') : text.index("visits-see-all")]
    tasks = text[text.index('data-testid="worklist-tasks"') : text.index("discovery-see-all")]
    assert visits.count("<li ") == WORKLIST_HOUSEHOLD_ROWS
    assert tasks.count("<li ") == WORKLIST_HOUSEHOLD_ROWS
    assert f"{WORKLIST_HOUSEHOLD_ROWS} of {total} shown" in text
    assert f'href="{reverse("assistance:visits")}" data-testid="visits-see-all"' in text
    assert f'href="{reverse("assistance:discovery")}" data-testid="discovery-see-all"' in text


def test_nothing_due_shows_zero_counts_and_the_empty_states(world):
    c = cast(world)

    text = _page(c.clerk)

    assert _count(text, "visits-due-count") == 0 and _count(text, "discovery-tasks-count") == 0
    assert "No visit is due." in text and "No discovery task is open." in text
    assert " shown</span>" not in text and "see-all" in text


# -- queries ---------------------------------------------------------------------------------


def _rows(c: Cast, seqs: range) -> None:
    """A flagged household per seq with its open task and a visit, half of them overdue."""
    for index, household in enumerate(_flagged(c, seqs)):
        visit(c, household, add_months(this_month(), -1 - index % 3 if index % 2 else 1))


def test_the_worklist_makes_as_many_queries_for_30_rows_as_for_one(
    world, django_assert_max_num_queries
):
    c = cast(world)
    client = _client(c.clerk)
    _rows(c, range(50, 51))
    client.get(WORKLIST)  # warm the caches (content types, calendar years)
    with CaptureQueriesContext(connection) as captured:
        one_page = client.get(WORKLIST).content.decode()
    one = len(captured.captured_queries)
    assert _count(one_page, "visits-due-count") == 1

    _rows(c, range(51, 80))
    with django_assert_max_num_queries(one) as captured:
        thirty_page = client.get(WORKLIST).content.decode()

    assert _count(thirty_page, "visits-due-count") == 30
    assert _count(thirty_page, "discovery-tasks-count") == 30
    assert len(captured.captured_queries) == one
