"""Several writers appending at the same moment, the first of them onto an empty chain.

Runs on PostgreSQL with threads, each on its own database connection, released together by
a barrier (SQLite serialises writers on one database lock: the race cannot be staged there).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from minzheng.kernel.audit.models import AuditChainHead, AuditEvent
from minzheng.kernel.audit.services import audit_record, audit_verify

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs real connections with row locks: PostgreSQL only (run in CI)",
    ),
]

WRITERS = 6
EACH = 5


def _race(write) -> list[BaseException]:
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            for i in range(EACH):
                write(n, i)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_writers_from_an_empty_chain_leave_no_gap():
    assert not AuditChainHead.objects.exists()  # every writer may find the head missing

    def write(n: int, i: int) -> None:
        audit_record(actor=None, action="test.race", object_type="t", object_id=f"{n}-{i}")

    assert _race(write) == []
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, WRITERS * EACH + 1))
    assert AuditChainHead.objects.get().seq == WRITERS * EACH
    assert audit_verify() == []


def test_concurrent_writers_whose_transactions_roll_back_leave_no_event():
    audit_record(actor=None, action="test.start", object_type="t", object_id="0")

    class Undo(Exception):
        pass

    def write(n: int, i: int) -> None:
        try:
            with transaction.atomic():
                audit_record(actor=None, action="test.race", object_type="t", object_id=f"{n}")
                if (n + i) % 2:
                    raise Undo
        except Undo:
            pass

    assert _race(write) == []
    kept = AuditEvent.objects.filter(action="test.race").count()
    assert kept == sum(1 for n in range(WRITERS) for i in range(EACH) if not (n + i) % 2)
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, kept + 2))  # the rolled-back ones left no gap
    assert audit_verify() == []
