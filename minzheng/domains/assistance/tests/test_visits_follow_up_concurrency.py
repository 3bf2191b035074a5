"""Two saves of the same visit with "follow-up needed" at the same moment (a double submit
from two tabs or a retried request): one record, exactly one follow-up visit.

Runs on PostgreSQL with two threads, each on its own connection, released together by a
barrier (as test_casework_concurrency.py); SQLite serialises writers, so it is skipped there.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from minzheng.common.errors import ApplicationError
from minzheng.domains.assistance.models.discovery import Visit, VisitStatus
from minzheng.domains.assistance.services import discovery
from minzheng.domains.assistance.tests.test_casework_support import cast, today
from minzheng.domains.assistance.tests.test_discovery_support import family, this_month, visit
from minzheng.kernel.audit.models import AuditEvent

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs two real connections with row locks: PostgreSQL only (run in CI)",
    ),
]


def test_two_saves_of_a_visit_at_once_schedule_one_follow_up(world):
    c = cast(world)
    household, _ = family(c, 87)
    scheduled = visit(c, household, this_month())
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def record(name: str, actor) -> None:  # type: ignore[no-untyped-def]
        try:
            stale = Visit.objects.get(pk=scheduled.pk)  # both read it scheduled
            barrier.wait(timeout=10)
            discovery.visit_record(
                actor=actor,
                visit=stale,
                visited_on=today(),
                findings=["food"],
                follow_up=True,
            )
            outcomes[name] = "recorded"
        except ApplicationError as error:
            outcomes[name] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=record, args=("grid worker", c.grid_worker)),
        threading.Thread(target=record, args=("clerk", c.clerk)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(v if v == "recorded" else type(v).__name__ for v in outcomes.values()) == [
        "Conflict",
        "recorded",
    ]
    follow_ups = Visit.objects.filter(household=household, follow_up_of__isnull=False)
    assert follow_ups.count() == 1
    assert follow_ups.get().follow_up_of_id == scheduled.pk
    assert Visit.objects.filter(household=household, status=VisitStatus.SCHEDULED).count() == 1
    assert AuditEvent.objects.filter(action="assistance.visit.follow_up").count() == 1
