"""Casework pages: the worklist, the application list and page with its steps, counter filing.

Who sees what (resident, other town's clerk, a role without casework), a step through the
page writes one CaseStep, refusals come back as messages and change nothing, a double POST
applies once, and the worklist puts overdue tasks first.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from minzheng.common.masking import mask_name
from minzheng.domains.assistance.models import ApplicationState, AssistanceApplication
from minzheng.domains.assistance.tests.test_casework_support import (
    cast,
    neighbour_village,
    submit_counter,
    submit_online,
    today,
    walk_to,
)
from minzheng.kernel.accounts.models import Role
from minzheng.kernel.accounts.services import staff_create
from minzheng.kernel.workflow import calendar
from minzheng.kernel.workflow.models import CaseStep, Task
from minzheng.testing.world import CITY, PASSWORD

pytestmark = pytest.mark.django_db
S = ApplicationState


@pytest.fixture
def c(world):
    return cast(world)


@pytest.fixture
def login():
    def _login(user) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        return client

    return _login


def _steps(application: AssistanceApplication) -> list[str]:
    return list(
        CaseStep.objects.filter(
            content_type=ContentType.objects.get_for_model(application),
            object_id=application.pk,
        )
        .order_by("at", "id")
        .values_list("transition", flat=True)
    )


def _page(application: AssistanceApplication) -> str:
    return reverse("assistance:case", args=[application.case_number])


def _step_url(application: AssistanceApplication, step: str) -> str:
    return reverse("assistance:case_step", args=[application.case_number, step])


# -- who sees what ---------------------------------------------------------------------------


def test_the_town_clerk_sees_the_new_application_on_the_worklist_masked(c, login):
    application = submit_online(c)
    applicant = application.applicant.name

    response = login(c.clerk).get(reverse("assistance:worklist"))

    assert response.status_code == 200
    text = response.content.decode()
    assert application.case_number in text
    assert mask_name(applicant) in text
    assert applicant not in text
    assert "新嘉街道" in text
    assert reverse("assistance:worklist") in text  # the navigation entry


@pytest.mark.parametrize("name", ["worklist", "cases"])
def test_other_towns_clerk_sees_no_data_of_the_application(c, login, name):
    application = submit_online(c)

    response = login(c.world.other_town_clerk).get(reverse(f"assistance:{name}"))

    assert response.status_code == 200
    assert application.case_number not in response.content.decode()


def test_other_towns_clerk_gets_404_for_the_application_page_and_its_steps(c, login):
    application = submit_online(c)
    client = login(c.world.other_town_clerk)

    page = client.get(_page(application))
    step = client.post(_step_url(application, "accept"), {"accept-note": ""})

    assert page.status_code == 404 and step.status_code == 404
    # The case number is in the page only as the address asked for (language switch).
    assert mask_name(application.applicant.name) not in page.content.decode()
    assert 'data-testid="timeline"' not in page.content.decode()
    application.refresh_from_db()
    assert application.state == S.SUBMITTED
    assert _steps(application) == ["submit"]


def test_a_village_worker_sees_their_villages_case_masked_and_no_step_of_it(c, login):
    neighbour = neighbour_village(c)
    application = walk_to(c, submit_online(c), "investigated")
    theirs = submit_counter(c, neighbour.family)
    client = login(c.village_worker)

    listed = client.get(reverse("assistance:cases")).content.decode()
    page = client.get(_page(application))

    assert application.case_number in listed and theirs.case_number not in listed
    assert mask_name(application.applicant.name) in listed
    assert page.status_code == 200
    text = page.content.decode()
    assert mask_name(application.applicant.name) in text
    for member in c.world.families["xinjia"].members:  # names only masked
        assert member.name not in text
    visits = text.split('data-testid="visits"', 1)[1].split("</dl>", 1)[0]
    assert f"{c.clerk.full_name}、{c.village_worker.full_name}" in visits  # they co-signed
    assert "data-step=" not in text  # no step offered
    assert _step_url(application, "verify") not in text
    household = reverse("backoffice:household", args=[application.household_id])
    assert household in text  # the household of their village, as the register shows it
    assert client.get(_page(theirs)).status_code == 404
    refused = client.post(_step_url(application, "verify"), {"verify-note": ""}, follow=True)
    assert "alert-danger" in refused.content.decode()
    application.refresh_from_db()
    assert application.state == S.INVESTIGATED


@pytest.mark.parametrize("name", ["worklist", "cases", "case"])
def test_a_resident_is_sent_to_the_portal(c, login, name):
    application = submit_online(c)
    args = [application.case_number] if name == "case" else []

    response = login(c.resident).get(reverse(f"assistance:{name}", args=args))

    assert response.status_code == 302
    assert response["Location"].startswith("/portal/")
    assert application.case_number not in response.content.decode()


def test_a_role_without_casework_is_refused(c, login):
    admin = staff_create(
        actor=None,
        username="sysadmin",
        full_name="系统管理员",
        password=PASSWORD,
        grants=[(Role.SYSTEM_ADMIN, c.world.regions[CITY])],
    )
    application = submit_online(c)

    response = login(admin).get(_page(application))

    assert response.status_code == 403
    assert mask_name(application.applicant.name) not in response.content.decode()
    assert 'data-testid="timeline"' not in response.content.decode()
    assert login(admin).get(reverse("assistance:worklist")).status_code == 403


def test_the_application_page_shows_facts_timeline_and_the_clerks_steps(c, login):
    application = walk_to(c, submit_online(c), "accepted")

    response = login(c.clerk).get(_page(application))

    assert response.status_code == 200
    text = response.content.decode()
    assert mask_name(application.applicant.name) in text
    assert reverse("backoffice:household", args=[application.household_id]) in text
    assert 'data-testid="timeline"' in text
    assert text.count("周经办") >= 2  # the clerk, as actor of both steps so far
    # Accepted: the clerk investigates next; no approval button for a clerk.
    assert _step_url(application, "investigate") in text
    assert _step_url(application, "approve") not in text
    assert _step_url(application, "accept") not in text


def test_the_approver_is_offered_the_decision_not_the_clerks_steps(c, login):
    application = walk_to(c, submit_online(c), "notice")

    text = login(c.approver).get(_page(application)).content.decode()

    assert _step_url(application, "refuse") in text
    assert _step_url(application, "approve") in text
    assert _step_url(application, "publish_notice") not in text


def test_the_list_searches_by_case_number(c, login):
    first = submit_online(c)
    second = submit_online(c, "temporary")

    response = login(c.clerk).get(reverse("assistance:cases"), {"case_number": second.case_number})

    text = response.content.decode()
    assert second.case_number in text and first.case_number not in text


# -- steps through the page ------------------------------------------------------------------


def test_accepting_through_the_page_writes_a_case_step(c, login):
    application = submit_online(c)
    client = login(c.clerk)

    response = client.post(_step_url(application, "accept"), {"accept-note": "材料齐全"})

    assert response.status_code == 302 and response["Location"] == _page(application)
    application.refresh_from_db()
    assert application.state == S.ACCEPTED
    assert _steps(application) == ["submit", "accept"]
    step = CaseStep.objects.get(transition="accept", object_id=application.pk)
    assert step.actor == c.clerk and step.note == "材料齐全"


def test_a_refusal_without_a_reason_shows_the_error_and_changes_nothing(c, login):
    application = walk_to(c, submit_online(c), "notice")
    client = login(c.approver)

    response = client.post(_step_url(application, "refuse"), {"refuse-reason": "  "}, follow=True)

    assert response.status_code == 200
    with translation.override("zh-hans"):
        expected = translation.gettext("Give a written reason for this step.")
    assert escape(expected) in response.content.decode()
    application.refresh_from_db()
    assert application.state == S.NOTICE
    assert "refuse" not in _steps(application)


def test_a_refusal_with_a_reason_refuses(c, login):
    application = walk_to(c, submit_online(c), "notice")

    login(c.approver).post(_step_url(application, "refuse"), {"refuse-reason": "收入超过标准"})

    application.refresh_from_db()
    assert application.state == S.REFUSED
    assert application.decision_reason == "收入超过标准"


def test_a_double_post_applies_the_step_once_and_says_why(c, login):
    application = submit_online(c)
    client = login(c.clerk)

    client.post(_step_url(application, "accept"), {"accept-note": ""})
    second = client.post(_step_url(application, "accept"), {"accept-note": ""}, follow=True)

    assert second.status_code == 200
    assert "alert-danger" in second.content.decode()
    assert _steps(application) == ["submit", "accept"]


def test_a_step_the_actor_may_not_take_is_refused_with_a_message(c, login):
    application = walk_to(c, submit_online(c), "notice")

    response = login(c.clerk).post(_step_url(application, "approve"), {}, follow=True)

    assert response.status_code == 200
    application.refresh_from_db()
    assert application.state == S.NOTICE
    assert "approve" not in _steps(application)
    assert "alert-danger" in response.content.decode()


def test_an_unknown_step_is_404(c, login):
    application = submit_online(c)

    response = login(c.clerk).post(_step_url(application, "enrol"), {})

    assert response.status_code == 404


# -- the worklist ----------------------------------------------------------------------------


def test_the_worklist_puts_overdue_tasks_first_with_a_badge(c, login):
    on_time = submit_online(c)
    late = submit_online(c, "temporary")
    Task.objects.filter(object_id=on_time.pk, closed_at__isnull=True).update(
        due_on=today() + dt.timedelta(days=10)
    )
    Task.objects.filter(object_id=late.pk, closed_at__isnull=True).update(
        due_on=today() - dt.timedelta(days=10)
    )

    text = login(c.clerk).get(reverse("assistance:worklist")).content.decode()

    assert text.index(late.case_number) < text.index(on_time.case_number)
    assert "table-danger" in text


def test_the_worklist_filters_by_programme(c, login):
    dibao = submit_online(c)
    temporary = submit_online(c, "temporary")

    text = login(c.clerk).get(reverse("assistance:worklist"), {"programme": "temporary"})
    text = text.content.decode()

    assert temporary.case_number in text and dibao.case_number not in text


@pytest.mark.parametrize(("uncovered", "shown"), [([2027], True), ([], False)])
def test_the_worklist_warns_when_the_holiday_calendar_is_missing(
    c, login, monkeypatch, uncovered, shown
):
    monkeypatch.setattr(calendar, "uncovered_years", lambda start, end: uncovered)

    text = login(c.clerk).get(reverse("assistance:worklist")).content.decode()

    assert ('data-testid="calendar-warning"' in text) is shown
    assert ("2027" in text) is shown


# -- counter filing ----------------------------------------------------------------------------


def test_the_clerk_files_at_the_counter_for_a_household_of_the_town(c, login):
    household = c.world.families["xinjia"].household
    client = login(c.clerk)

    found = client.get(reverse("assistance:case_new"), {"household_query": str(household.pk)})
    assert found.status_code == 200 and 'data-testid="household-choice"' in found.content.decode()

    response = client.post(
        reverse("assistance:case_new"),
        {
            "household_query": str(household.pk),
            "household": str(household.pk),
            "programme": "temporary",
            "description": "突发重病",
        },
    )

    application = AssistanceApplication.objects.get(household=household)
    assert response.status_code == 302 and response["Location"] == _page(application)
    assert application.channel == "counter" and application.submitted_by == c.clerk
    assert application.applicant == c.world.families["xinjia"].head


def test_counter_filing_cannot_pick_a_household_of_another_town(c, login):
    other = c.world.families["wangdian"].household
    client = login(c.clerk)

    found = client.get(reverse("assistance:case_new"), {"household_query": str(other.pk)})
    posted = client.post(
        reverse("assistance:case_new"),
        {"household_query": str(other.pk), "household": str(other.pk), "programme": "temporary"},
    )

    assert 'data-testid="household-choice"' not in found.content.decode()
    assert posted.status_code == 404
    assert not AssistanceApplication.objects.filter(household=other).exists()


def test_a_second_counter_filing_shows_the_services_refusal(c, login):
    submit_online(c)
    household = c.world.families["xinjia"].household

    response = login(c.clerk).post(
        reverse("assistance:case_new"),
        {
            "household_query": str(household.pk),
            "household": str(household.pk),
            "programme": "dibao",
        },
    )

    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()
    assert AssistanceApplication.objects.filter(household=household).count() == 1


def test_the_worklist_makes_as_many_queries_for_three_tasks_as_for_one(c, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(c.clerk)
    submit_online(c)
    client.get(reverse("assistance:worklist"))  # warm the caches (content types, calendar)
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("assistance:worklist"))
    one = len(captured.captured_queries)
    submit_online(c, "temporary")
    submit_online(c, "medical")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("assistance:worklist"))
    three = len(captured.captured_queries)

    assert response.content.decode().count("/assistance/cases/JX-") == 3
    assert 0 < three == one
