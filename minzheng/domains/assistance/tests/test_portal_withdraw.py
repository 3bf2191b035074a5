"""The resident withdraws an application online (码上办 撤回申请): only the one who filed it,
only while it is open, once, through the casework `withdraw` transition."""

from __future__ import annotations

import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import translation

from minzheng.common.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from minzheng.domains.assistance import services
from minzheng.domains.assistance.models import ApplicationState, AssistanceApplication
from minzheng.domains.assistance.selectors import portal as portal_selectors
from minzheng.domains.assistance.services import portal
from minzheng.domains.assistance.tests.test_casework_support import cast, submit_online
from minzheng.kernel.accounts.models import User, UserKind
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.workflow.models import CaseStep, Task

pytestmark = pytest.mark.django_db

WITHDRAW_EVENT = "assistance.assistanceapplication.withdraw"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def c(world):
    return cast(world)


def withdraw_steps(application: AssistanceApplication) -> list[CaseStep]:
    return list(
        CaseStep.objects.filter(
            content_type=ContentType.objects.get_for_model(AssistanceApplication),
            object_id=application.pk,
            transition="withdraw",
        )
    )


def member_account(world) -> User:
    """The spouse of the resident who filed: same household, did not file."""
    return User.objects.create(
        username="resident-13900000012",
        phone="13900000012",
        kind=UserKind.RESIDENT,
        person=world.families["xinjia"].members[1],
    )


@pytest.mark.parametrize("state", ["submitted", "returned", "accepted"])
def test_the_resident_who_filed_withdraws_an_open_application(c, state):
    application = submit_online(c)
    if state == "returned":
        application = services.application_return(
            actor=c.clerk, application=application, missing=["户口簿"], reason="缺材料"
        )
    elif state == "accepted":
        application = services.application_accept(actor=c.clerk, application=application)
    assert portal_selectors.withdraw_refusal(actor=c.resident, application=application) is None

    withdrawn = portal.application_withdraw_online(
        actor=c.resident, application=application, reason="  收入已提高  "
    )

    assert withdrawn.state == ApplicationState.WITHDRAWN
    [step] = withdraw_steps(application)
    assert step.actor == c.resident and step.reason == "收入已提高"
    assert step.from_state == state
    event = AuditEvent.objects.get(action=WITHDRAW_EVENT)
    assert event.actor == c.resident and event.reason == "收入已提高"
    # Nothing is left on a worklist for a withdrawn case.
    assert not Task.objects.filter(
        object_id=application.pk, case_number=application.case_number, closed_at__isnull=True
    ).exists()
    # The resident's timeline and next step say so.
    steps = portal_selectors.resident_timeline(actor=c.resident, application=withdrawn)
    assert steps[-1].label == "Application withdrawn" and steps[-1].office == "You"
    assert portal_selectors.resident_next_step(withdrawn) == "The application was withdrawn."


def test_a_decided_application_cannot_be_withdrawn(c):
    application = services.application_accept(actor=c.clerk, application=submit_online(c))
    application = services.application_refuse(
        actor=c.approver, application=application, reason="家庭收入超过标准"
    )
    before = AuditEvent.objects.count()

    with pytest.raises(Conflict) as refusal:
        portal.application_withdraw_online(actor=c.resident, application=application)

    assert refusal.value.code == "withdraw_not_allowed"
    assert "can no longer be withdrawn" in refusal.value.message
    assert "Refused" in refusal.value.message
    application.refresh_from_db()
    assert application.state == ApplicationState.REFUSED
    assert withdraw_steps(application) == []
    assert AuditEvent.objects.count() == before


def test_withdrawing_twice_withdraws_once(c):
    application = submit_online(c)
    portal.application_withdraw_online(actor=c.resident, application=application)

    with pytest.raises(Conflict) as second:
        portal.application_withdraw_online(actor=c.resident, application=application)

    assert second.value.code == "already_withdrawn"
    assert "was withdrawn on" in second.value.message
    assert len(withdraw_steps(application)) == 1
    assert AuditEvent.objects.filter(action=WITHDRAW_EVENT).count() == 1


def test_another_household_gets_not_found(c, world):
    application = submit_online(c)
    other = User.objects.create(
        username="resident-13900000021",
        phone="13900000021",
        kind=UserKind.RESIDENT,
        person=world.families["wangdian"].head,
    )

    with pytest.raises(NotFound):
        portal.application_withdraw_online(actor=other, application=application)

    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert withdraw_steps(application) == []


def test_another_member_of_the_household_sees_it_but_cannot_withdraw(c, world):
    application = submit_online(c)
    spouse = member_account(world)
    assert portal_selectors.resident_application_get(actor=spouse, application_id=application.pk)

    with pytest.raises(PermissionRefused) as refusal:
        portal.application_withdraw_online(actor=spouse, application=application)

    assert refusal.value.code == "withdraw_denied"
    assert portal_selectors.withdraw_refusal(actor=spouse, application=application) is not None
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED


def test_staff_are_not_residents_here(c):
    application = submit_online(c)

    with pytest.raises(NotFound):
        portal.application_withdraw_online(actor=c.clerk, application=application)


def test_a_too_long_reason_is_refused_and_nothing_changes(c):
    application = submit_online(c)

    with pytest.raises(ValidationFailed) as refusal:
        portal.application_withdraw_online(
            actor=c.resident, application=application, reason="长" * 501
        )

    assert refusal.value.field == "reason"
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED


def test_the_staff_case_timeline_shows_the_online_withdrawal(c):
    application = submit_online(c)
    portal.application_withdraw_online(
        actor=c.resident, application=application, reason="已找到工作"
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(c.clerk)

    page = client.get(reverse("assistance:case", args=[application.case_number]))

    assert page.status_code == 200
    html = page.content.decode()
    start = html.index('data-testid="timeline"')
    timeline = html[start : html.index("</ol>", start)]
    rows = timeline.split("<li")[1:]
    last = rows[-1]  # the newest step: who withdrew, from which state, and why
    assert ">撤回<" in last
    assert "已提交 → 已撤回" in last
    assert "已找到工作" in last
    assert "申请人 张*国" in last and "张建国" not in last


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs two real connections with row locks: PostgreSQL only (run in CI)",
)
def test_two_simultaneous_withdrawals_withdraw_once(c):
    application = submit_online(c)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def withdraw() -> None:
        try:
            stale = AssistanceApplication.objects.get(pk=application.pk)
            barrier.wait(timeout=10)
            portal.application_withdraw_online(actor=c.resident, application=stale)
            outcomes.append("withdrawn")
        except Conflict as refusal:
            outcomes.append(refusal.code)
        except Exception as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=withdraw) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(map(str, outcomes)) == ["already_withdrawn", "withdrawn"]
    assert len(withdraw_steps(application)) == 1
    assert AuditEvent.objects.filter(action=WITHDRAW_EVENT).count() == 1
