"""Two approvers approving the same case at the same moment: exactly one approval.

Runs on PostgreSQL with two threads, each on its own database connection, released together
by a barrier. SQLite serialises writers on one database lock and its test database is in
memory per connection, so the race cannot be staged there; CI runs this on PostgreSQL.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from minzheng.common.errors import ApplicationError
from minzheng.domains.assistance import services
from minzheng.domains.assistance.models import ApplicationState, AssistanceApplication, Enrolment
from minzheng.domains.assistance.tests.test_casework_support import cast, submit_online, walk_to
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.audit.services import audit_verify
from minzheng.kernel.workflow.models import CaseStep

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs two real connections with row locks: PostgreSQL only (run in CI)",
    ),
]


def test_two_approvers_at_once_give_exactly_one_approval(world):
    c = cast(world)
    application = walk_to(c, submit_online(c), "notice")
    decision_day = application.notice_ends_on
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def approve(name: str, approver) -> None:
        try:
            # Each thread has its own connection; both read the case before either writes.
            stale = AssistanceApplication.objects.get(pk=application.pk)
            barrier.wait(timeout=10)
            services.application_approve(actor=approver, application=stale, today=decision_day)
            outcomes[name] = "approved"
        except ApplicationError as error:
            outcomes[name] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=approve, args=("first", c.approver)),
        threading.Thread(target=approve, args=("second", c.second_approver)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(str(v) if v == "approved" else type(v).__name__ for v in outcomes.values()) == [
        "Conflict",
        "approved",
    ]
    refused = next(v for v in outcomes.values() if v != "approved")
    assert refused.code == "transition_not_allowed"  # type: ignore[attr-defined]
    assert AssistanceApplication.objects.get(pk=application.pk).state == ApplicationState.ENROLLED
    assert Enrolment.objects.filter(application=application).count() == 1
    assert CaseStep.objects.filter(object_id=application.pk, transition="approve").count() == 1
    assert (
        AuditEvent.objects.filter(
            action="assistance.assistanceapplication.approve", object_id=str(application.pk)
        ).count()
        == 1
    )
    assert audit_verify() == []
