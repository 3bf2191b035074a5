"""transition_apply and case numbers under concurrent writers.

Runs on PostgreSQL with threads, each on its own database connection, released together by
a barrier (SQLite serialises writers on one database lock: the race cannot be staged there).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from minzheng.common.errors import ApplicationError
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.audit.services import audit_verify
from minzheng.kernel.payments.models import BatchState, PaymentBatch
from minzheng.kernel.payments.services import payment_batch_generate
from minzheng.kernel.payments.tests.factories import LABEL, MONTH, PROGRAMME, payroll
from minzheng.kernel.workflow.models import CaseStep, Task
from minzheng.kernel.workflow.services import case_number_next, transition_apply
from minzheng.testing.world import NANHU

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs real connections with row locks: PostgreSQL only (run in CI)",
    ),
]


def _race(n: int, work: Callable[[int], object]) -> list[object]:
    """Run work(0) … work(n - 1) at once, each in its own thread; their results or errors."""
    barrier = threading.Barrier(n)
    outcomes: list[object] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[i] = work(i)
        except Exception as error:
            outcomes[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _batches(world, n: int) -> list[PaymentBatch]:
    setup = payroll(world)
    return [
        payment_batch_generate(
            actor=world.county_approver,
            programme=PROGRAMME,
            county=world.regions[NANHU],
            month=(MONTH + dt.timedelta(days=32 * i)).replace(day=1),
            entitlements=setup.entitlements(),
            label=LABEL,
        ).batch
        for i in range(n)
    ]


def test_steps_of_different_cases_at_once_each_record_one_step_and_one_event(world):
    batches = _batches(world, 4)
    events_before = AuditEvent.objects.count()

    def work(i: int) -> str:
        batch = batches[i]
        for _ in range(3):
            batch = transition_apply(actor=world.county_approver, case=batch, transition="submit")
            batch = transition_apply(
                actor=world.county_approver, case=batch, transition="send_back", reason="again"
            )
        return "done"

    assert _race(len(batches), work) == ["done"] * len(batches)
    for batch in batches:
        steps = CaseStep.objects.filter(object_id=batch.pk, case_number=batch.case_number)
        assert steps.filter(transition="submit").count() == 3
        assert steps.filter(transition="send_back").count() == 3
        assert Task.objects.filter(object_id=batch.pk, closed_at__isnull=True).count() == 1
    assert AuditEvent.objects.count() == events_before + len(batches) * 6
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert audit_verify() == []


def test_the_same_step_at_once_happens_once(world):
    [batch] = _batches(world, 1)
    stale = [PaymentBatch.objects.get(pk=batch.pk) for _ in range(3)]  # all read "generated"

    def work(i: int) -> object:
        return transition_apply(actor=world.county_approver, case=stale[i], transition="submit")

    outcomes = _race(len(stale), work)
    done = [o for o in outcomes if isinstance(o, PaymentBatch)]
    refused = [o for o in outcomes if isinstance(o, ApplicationError)]
    assert (len(done), len(refused)) == (1, 2), outcomes
    assert {r.code for r in refused} == {"transition_not_allowed"}
    assert PaymentBatch.objects.get(pk=batch.pk).state == BatchState.PREPARED
    assert CaseStep.objects.filter(object_id=batch.pk, transition="submit").count() == 1
    assert (
        AuditEvent.objects.filter(
            action="payments.paymentbatch.submit", object_id=str(batch.pk)
        ).count()
        == 1
    )
    assert audit_verify() == []


def test_first_filings_under_a_new_prefix_at_once_get_distinct_numbers(db):
    numbers = _race(5, lambda i: case_number_next(prefix="JX-RACE"))
    assert sorted(numbers) == [f"JX-RACE-{n:05d}" for n in range(1, 6)]
