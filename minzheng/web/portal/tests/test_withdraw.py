"""码上办 pages: withdraw an application from its progress page (confirm, then POST), and the
drafts' removal date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from minzheng.domains.assistance import services
from minzheng.domains.assistance.models import (
    ApplicationDraft,
    ApplicationState,
    AssistanceApplication,
)
from minzheng.kernel.accounts.models import User, UserKind
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.workflow.models import CaseStep
from minzheng.web.portal.tests.test_apply import start, submitted, submitted_by_other

pytestmark = pytest.mark.django_db

WITHDRAW_EVENT = "assistance.assistanceapplication.withdraw"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SITE_URL = "https://minzheng.jiaxing.example"


@pytest.fixture
def resident(client, world):
    client.force_login(world.resident)
    return world.resident


def urls(application: AssistanceApplication) -> tuple[str, str]:
    kwargs = {"application_id": application.pk}
    return (
        reverse("portal:application", kwargs=kwargs),
        reverse("portal:application_withdraw", kwargs=kwargs),
    )


def withdraw_steps(application: AssistanceApplication) -> int:
    return CaseStep.objects.filter(
        content_type=ContentType.objects.get_for_model(AssistanceApplication),
        object_id=application.pk,
        transition="withdraw",
    ).count()


def test_the_progress_page_offers_withdrawal_and_asks_to_confirm(client, resident, world):
    application = submitted(client, world)
    progress, withdraw = urls(application)

    page = client.get(progress).content.decode()
    assert 'id="withdraw-link"' in page and withdraw in page

    confirm = client.get(withdraw)
    html = confirm.content.decode()
    assert confirm.status_code == 200
    assert "Withdraw the application?" in html
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert 'name="reason"' in html
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED  # a GET changes nothing


def test_confirming_withdraws_with_the_reason(client, resident, world):
    application = submitted(client, world)
    progress, withdraw = urls(application)

    response = client.post(withdraw, {"reason": "收入已提高"})

    assert response.status_code == 302 and response["Location"] == progress
    application.refresh_from_db()
    assert application.state == ApplicationState.WITHDRAWN
    event = AuditEvent.objects.get(action=WITHDRAW_EVENT)
    assert event.actor == resident and event.reason == "收入已提高"
    page = client.get(progress).content.decode()
    assert "Your application has been withdrawn." in page
    assert "Application withdrawn" in page  # the resident's timeline
    assert 'id="withdraw-link"' not in page
    # The household may apply again.
    assert client.post(reverse("portal:apply_start", kwargs={"code": "dibao"})).status_code == 302


def test_a_double_submit_withdraws_once_and_says_so(client, resident, world):
    application = submitted(client, world)
    progress, withdraw = urls(application)

    first = client.post(withdraw, {"reason": ""})
    second = client.post(withdraw, {"reason": ""})

    assert first.status_code == second.status_code == 302
    assert withdraw_steps(application) == 1
    assert AuditEvent.objects.filter(action=WITHDRAW_EVENT).count() == 1
    page = client.get(progress).content.decode()
    assert "This application was withdrawn on" in page
    # Opening the confirmation again leads back to the progress page with the same words.
    again = client.get(withdraw, follow=True)
    assert "This application was withdrawn on" in again.content.decode()


def test_a_decided_application_is_refused_clearly(client, resident, world):
    application = submitted(client, world)
    application = services.application_accept(
        actor=world.town_clerk, application=application, documents=["户口簿", "收入情况说明"]
    )
    services.application_refuse(
        actor=world.county_approver, application=application, reason="收入超过标准"
    )
    progress, withdraw = urls(application)
    assert 'id="withdraw-link"' not in client.get(progress).content.decode()

    for response in (client.get(withdraw), client.post(withdraw, {"reason": "x"})):
        assert response.status_code == 409
        html = response.content.decode()
        assert 'id="withdraw-refused"' in html
        assert "can no longer be withdrawn" in html
    application.refresh_from_db()
    assert application.state == ApplicationState.REFUSED
    assert withdraw_steps(application) == 0


def test_a_too_long_reason_gets_a_message(client, resident, world):
    application = submitted(client, world)
    _progress, withdraw = urls(application)

    response = client.post(withdraw, {"reason": "长" * 501})

    assert response.status_code == 400
    assert 'id="id_reason_error"' in response.content.decode()
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED


def test_another_households_application_is_not_found(client, world):
    application = submitted_by_other(world)
    client.force_login(world.resident)
    _progress, withdraw = urls(application)

    assert client.get(withdraw).status_code == 404
    response = client.post(withdraw, {"reason": ""})

    assert response.status_code == 404
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert withdraw_steps(application) == 0


def test_another_member_sees_the_application_but_not_the_withdraw_button(client, resident, world):
    application = submitted(client, world)
    spouse = User.objects.create(
        username="resident-13900000012",
        phone="13900000012",
        kind=UserKind.RESIDENT,
        person=world.families["xinjia"].members[1],
    )
    other = Client()
    other.force_login(spouse)
    progress, withdraw = urls(application)

    page = other.get(progress)
    assert page.status_code == 200 and 'id="withdraw-link"' not in page.content.decode()
    response = other.post(withdraw, {"reason": ""})

    assert response.status_code == 403
    assert 'id="withdraw-refused"' in response.content.decode()
    assert withdraw_steps(application) == 0


def test_withdrawal_needs_a_resident_login_and_a_csrf_token(world):
    application = submitted_by_other(world)
    _progress, withdraw = urls(application)
    anonymous = Client()
    assert anonymous.post(withdraw)["Location"].startswith("/portal/login/?next=")

    checked = Client(enforce_csrf_checks=True)
    checked.force_login(application.submitted_by)
    assert checked.post(withdraw, {"reason": ""}).status_code == 403
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED


def test_drafts_show_when_they_would_be_removed(client, resident, world, settings):
    settings.ASSISTANCE_DRAFT_RETENTION_DAYS = 30
    draft = start(client)
    ApplicationDraft.objects.filter(pk=draft.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=10)
    )
    removal = (timezone.localdate() + dt.timedelta(days=20)).isoformat()

    home = client.get(reverse("portal:home")).content.decode()
    step = client.get(reverse("portal:apply_situation", kwargs={"token": draft.token}))

    assert f"Kept until {removal}: a draft left unchanged for 30 days is removed" in home
    assert f"removed with its files (this one on {removal})" in step.content.decode()
