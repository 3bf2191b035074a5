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
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=head.pk)
        event = AuditEvent(
            seq=head.seq + 1,
            occurred_at=timezone.now(),
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_label=(
                actor.get_username() if actor is not None and actor.is_authenticated else "system"
            ),
            action=action,
            object_type=object_type,
            object_id=object_id,
            region_code=region_code,
            changes=_json_safe(changes or {}),
            ip_address=request_ip.get(),
            reason=reason,
            prev_hash=head.last_hash or GENESIS,
        )
        event.hash = compute_hash(event)
        event.save()
        AuditChainHead.objects.filter(pk=head.pk).update(seq=event.seq, last_hash=event.hash)
    return event


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
