import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from minzheng.common.errors import PermissionRefused
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
    assert AuditChainHead.objects.get().seq == event.seq


def test_audit_list_is_for_auditors_and_scoped(world):
    assert audit_event_list(actor=world.auditor).count() == AuditEvent.objects.count()
    with pytest.raises(PermissionRefused):
        audit_event_list(actor=world.town_clerk)
