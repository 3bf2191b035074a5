"""Writing and verifying the audit chain. Only services call audit_record()."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone

from minzheng.kernel.audit.context import request_ip
from minzheng.kernel.audit.models import AuditChainHead, AuditEvent

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

GENESIS = "0" * 64


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "region_code": event.region_code,
        "changes": event.changes,
        "ip_address": event.ip_address,
        "reason": event.reason,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _lock_head() -> tuple[int, str]:
    """Lock the chain head row and return its (seq, last hash): one SELECT … FOR UPDATE.

    The row is created on the very first event. Two first writers may both find it missing:
    the second's INSERT … ON CONFLICT DO NOTHING waits for the first to commit (or roll
    back), then its second SELECT … FOR UPDATE reads the head the first one moved.
    """
    locked = AuditChainHead.objects.select_for_update().filter(pk=1).values_list("seq", "last_hash")
    for seq, last_hash in locked:
        return seq, last_hash
    AuditChainHead.objects.bulk_create([AuditChainHead(pk=1)], ignore_conflicts=True)
    seq, last_hash = locked.get()
    return seq, last_hash


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    region_code: str = "",
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    The chain head row is locked, so concurrent writers append one after another and the
    sequence has no gaps; a rolled-back transaction leaves no event behind.

    Three statements: lock the head, insert the event, move the head. Inside the caller's
    transaction there is no savepoint: if one of them fails,
    the caller's atomic block can only roll back (Django refuses further queries in it, and
    its commit), so a failed operation never leaves its event behind, nor an event without its
    operation.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    user = actor if actor is not None and actor.is_authenticated else None
    event = AuditEvent(
        actor=user,
        actor_label=user.get_username() if user is not None else "system",
        action=action,
        object_type=object_type,
        object_id=object_id,
        region_code=region_code,
        changes=_json_safe(changes or {}),  # a value it cannot encode fails before any write
        ip_address=request_ip.get(),
        reason=reason,
    )
    with transaction.atomic(savepoint=False):
        seq, last_hash = _lock_head()
        event.seq = seq + 1
        event.occurred_at = timezone.now()
        event.prev_hash = last_hash or GENESIS
        event.hash = compute_hash(event)
        _append(event)
    return event


def _append(event: AuditEvent) -> None:
    """Insert the event and move the head to it (the caller holds the head's lock)."""
    event.save(force_insert=True)
    AuditChainHead.objects.filter(pk=1).update(seq=event.seq, last_hash=event.hash)


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    kind: str  # altered | missing | inserted | relinked | truncated
    detail: str


def audit_verify(*, batch_size: int = 5000) -> list[ChainProblem]:
    """Walk the whole chain and report every event altered, inserted or deleted."""
    problems: list[ChainProblem] = []
    expected_seq = 1
    prev_hash = GENESIS
    for event in _iter_events(batch_size):
        if event.seq != expected_seq:
            kind = "missing" if event.seq > expected_seq else "inserted"
            problems.append(
                ChainProblem(event.seq, kind, f"expected event #{expected_seq}, found #{event.seq}")
            )
        elif event.prev_hash != prev_hash:
            problems.append(
                ChainProblem(event.seq, "relinked", "the link to the previous event is broken")
            )
        if compute_hash(event) != event.hash:
            problems.append(
                ChainProblem(event.seq, "altered", "the event's content does not match its hash")
            )
        expected_seq = event.seq + 1
        prev_hash = event.hash
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.seq != expected_seq - 1:
        problems.append(
            ChainProblem(
                head.seq,
                "truncated",
                f"the chain ends at #{expected_seq - 1} but #{head.seq} was written",
            )
        )
    elif head is not None and head.seq and head.last_hash != prev_hash:
        problems.append(ChainProblem(head.seq, "altered", "the last event's hash has changed"))
    return problems


def _iter_events(batch_size: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
