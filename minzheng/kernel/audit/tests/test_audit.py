import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.transaction import TransactionManagementError

from minzheng.common.errors import PermissionRefused
from minzheng.kernel.audit import services
from minzheng.kernel.audit.models import AppendOnlyError, AuditChainHead, AuditEvent
from minzheng.kernel.audit.selectors import audit_event_list
from minzheng.kernel.audit.services import audit_record, audit_verify

pytestmark = pytest.mark.django_db


def _events(n):
    return [
        audit_record(actor=None, action="test.event", object_type="t", object_id=str(i))
        for i in range(n)
    ]


def test_events_chain_by_hash():
    events = _events(3)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert audit_verify() == []
    call_command("audit_verify")


def test_events_cannot_be_changed_or_deleted_through_the_orm():
    event = _events(1)[0]
    event.action = "other"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_altered_event_is_reported():
    _events(4)
    _sql("UPDATE audit_auditevent SET reason = %s WHERE seq = 2", ["covered up"])
    problems = audit_verify()
    assert [(p.seq, p.kind) for p in problems] == [(2, "altered")]
    with pytest.raises(CommandError, match="broken"):
        call_command("audit_verify")


def test_deleted_event_is_reported():
    _events(4)
    _sql("DELETE FROM audit_auditevent WHERE seq = 2")
    assert [(p.seq, p.kind) for p in audit_verify()] == [(3, "missing")]


def test_deleted_last_event_is_reported():
    _events(3)
    _sql("DELETE FROM audit_auditevent WHERE seq = 3")
    assert [p.kind for p in audit_verify()] == ["truncated"]


def test_inserted_event_is_reported():
    events = _events(3)
    forged = AuditEvent(
        seq=4,
        occurred_at=events[-1].occurred_at,
        actor_label="mallory",
        action="test.event",
        object_type="t",
        object_id="x",
        prev_hash="f" * 64,
        hash="0" * 64,
    )
    forged.save()
    kinds = {p.kind for p in audit_verify()}
    assert {"relinked", "altered", "truncated"} <= kinds


def test_rewritten_chain_is_still_caught_by_the_head():
    """Recomputing an altered event's hash breaks the link to the next event."""
    from minzheng.kernel.audit.services import compute_hash

    _events(3)
    event = AuditEvent.objects.get(seq=2)
    event.reason = "rewritten"
    new_hash = compute_hash(event)
    _sql(
        "UPDATE audit_auditevent SET reason = %s, hash = %s WHERE seq = 2", ["rewritten", new_hash]
    )
    assert [(p.seq, p.kind) for p in audit_verify()] == [(3, "relinked")]


def test_events_carry_the_request_ip(world, client, password):
    from minzheng.kernel.audit.context import request_ip

    token = request_ip.set("10.1.2.3")
    try:
        event = audit_record(
            actor=world.town_clerk, action="test.ip", object_type="t", object_id="1"
        )
    finally:
        request_ip.reset(token)
    assert event.ip_address == "10.1.2.3"
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.ip_address, stored.actor_id, stored.hash) == (
        "10.1.2.3",
        world.town_clerk.pk,
        event.hash,
    )
    assert AuditChainHead.objects.get().seq == event.seq
    assert audit_verify() == []


def test_audit_list_is_for_auditors_and_scoped(world):
    assert audit_event_list(actor=world.auditor).count() == AuditEvent.objects.count()
    with pytest.raises(PermissionRefused):
        audit_event_list(actor=world.town_clerk)


# --- what one event costs, and what a failure leaves behind ------------------------------------


# lock the head, insert the event, move the head
APPEND = 3


def test_an_event_costs_three_statements_inside_the_callers_transaction(
    django_assert_num_queries,
):
    """Lock the head (one SELECT … FOR UPDATE), insert the event and move the head: no
    get_or_create, no savepoint. A change that adds a round trip to every audited write
    fails here."""
    _events(1)  # the head row exists from the first event on
    with transaction.atomic(), django_assert_num_queries(APPEND) as captured:
        event = audit_record(actor=None, action="test.cost", object_type="t", object_id="1")
    sql = [q["sql"].upper() for q in captured.captured_queries]
    assert sql[0].startswith("SELECT")
    assert sql[0].endswith("FOR UPDATE") or not connection.features.has_select_for_update
    assert not any("SAVEPOINT" in s for s in sql)
    assert AuditEvent.objects.get(pk=event.pk).seq == event.seq == 2
    assert AuditChainHead.objects.get().last_hash == event.hash
    assert audit_verify() == []


def test_the_first_event_creates_the_head(django_assert_num_queries):
    assert not AuditChainHead.objects.exists()
    # lock (no row yet), INSERT … ON CONFLICT DO NOTHING, lock again, append
    with django_assert_num_queries(2 + APPEND):
        event = audit_record(actor=None, action="test.first", object_type="t", object_id="1")
    assert event.seq == 1 and event.prev_hash == "0" * 64
    assert AuditChainHead.objects.get().seq == 1
    assert audit_verify() == []


def test_a_rolled_back_operation_leaves_no_event():
    _events(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=None, action="test.undone", object_type="t", object_id="9")
        raise RuntimeError("the operation failed after auditing")
    assert not AuditEvent.objects.filter(action="test.undone").exists()
    assert AuditChainHead.objects.get().seq == 2
    assert audit_record(actor=None, action="test.next", object_type="t", object_id="3").seq == 3
    assert audit_verify() == []


def test_a_failed_append_dooms_the_callers_transaction(monkeypatch):
    """No savepoint inside the caller's transaction: if appending fails after the event row
    is written, the caller cannot carry on and commit its operation without the event (or
    with a half-written one); its whole transaction rolls back."""
    _events(1)

    append = services._append

    def append_then_fail(event):
        append(event)  # the event row is written …
        raise DatabaseError("… and then the connection drops")

    monkeypatch.setattr(services, "_append", append_then_fail)
    with transaction.atomic():
        AuditEvent.objects.count()  # the caller's own work
        with pytest.raises(DatabaseError):
            audit_record(actor=None, action="test.failed", object_type="t", object_id="2")
        with pytest.raises(TransactionManagementError):
            AuditEvent.objects.count()
    monkeypatch.undo()
    assert not AuditEvent.objects.filter(action="test.failed").exists()
    assert AuditChainHead.objects.get().seq == 1
    assert audit_verify() == []


def test_changes_that_cannot_be_stored_are_refused_before_any_write():
    _events(1)
    with transaction.atomic():
        with pytest.raises(TypeError):
            audit_record(actor=None, action="test.bad", object_type="t", changes={("a", "b"): 1})
        # the caller's transaction is still usable: nothing was written
        assert AuditEvent.objects.count() == 1
    assert AuditChainHead.objects.get().seq == 1
