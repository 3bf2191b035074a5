"""Job kinds. A domain registers a kind in its AppConfig.ready() by importing its jobs module.

A kind says how to split its parameters into chunk keys and how to run one chunk. A chunk's
work and its "done" mark commit in one transaction, so a crashed chunk leaves nothing and a
resumed job re-runs exactly the chunks that did not finish.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str
    chunk_keys: Callable[[dict[str, Any]], list[str]]
    run_chunk: Callable[[dict[str, Any], str], int]
    finish: Callable[[dict[str, Any]], None] | None = None
    # Run once by job_start, after the permission check and before any chunk is recorded:
    # set up what every chunk needs (the determination's month partitions, say).
    prepare: Callable[[dict[str, Any], list[str]], None] | None = None


JOB_KINDS: dict[str, JobKind] = {}


def register_job(kind: JobKind) -> JobKind:
    JOB_KINDS[kind.name] = kind
    return kind


def job_kind(name: str) -> JobKind:
    from minzheng.common.errors import ValidationFailed

    try:
        return JOB_KINDS[name]
    except KeyError:
        raise ValidationFailed(f"Unknown job kind: {name}", field="kind") from None
