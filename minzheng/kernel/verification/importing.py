"""One pass over a source file: read, validate and (optionally) write the valid rows.

Called by the services inside their transaction. Writing stops at the first bad row unless
the valid part is being imported on purpose; the caller rolls back what was written. A large
plain CSV file on PostgreSQL is read by two processes, piece by piece (see splitting).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import threading
from collections import deque
from concurrent.futures import Future
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from minzheng.kernel.verification import splitting
from minzheng.kernel.verification.models import DataSource
from minzheng.kernel.verification.reading import (
    FileFacts,
    FileProblem,
    SourceFile,
    Split,
    header_positions,
    pieces,
)
from minzheng.kernel.verification.validation import RowError, RowValidator
from minzheng.kernel.verification.writing import (
    CopyWriter,
    RowEncoder,
    partition_exists,
    record_writer,
)

MAX_ERRORS = 10_000
MAX_ROWS = 5_000_000


def max_errors() -> int:
    return int(getattr(settings, "VERIFICATION_MAX_ERRORS", MAX_ERRORS))


def max_rows() -> int:
    return int(getattr(settings, "VERIFICATION_MAX_ROWS", MAX_ROWS))


@dataclass
class Outcome:
    rows: int = 0
    valid: int = 0
    invalid: int = 0
    written: int = 0
    linked: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_truncated: bool = False


def single_threaded() -> bool:
    """Whether this process runs one thread: a fork copies no other thread, nor any lock
    another thread holds, so only then may an import fork a second process."""
    return threading.active_count() == 1


def _pieces(
    *,
    source: DataSource,
    file: IO[bytes],
    facts: FileFacts,
    batch_id: int,
    write: str,
) -> list[Split]:
    """The pieces of the file after the first, when a second process shares the reading
    (see splitting): only a large plain CSV file, on PostgreSQL, written into a new
    partition, by a process running one thread (a Celery worker, a command, a synchronous
    web worker). Empty otherwise."""
    if connection.vendor != "postgresql" or write == "none" or not hasattr(os, "fork"):
        return []
    if not single_threaded():
        return []
    if splitting.processes() < 2 or facts.size < splitting.min_bytes():
        return []
    if partition_exists(batch_id):  # a second write goes through the parent: one process
        return []
    return pieces(file, facts, splitting.piece_count(facts.size))


def run(
    *,
    source: DataSource,
    file: IO[bytes],
    facts: FileFacts,
    batch_id: int,
    today: dt.date,
    write: str,
    skip_lines: set[int] | None = None,
) -> Outcome:
    """Validate every row; `write` is "clean" (write while no row is bad), "valid" (write
    every valid row) or "none". Lines in `skip_lines` (the bad rows a first pass found,
    duplicates included) are left out before validation."""
    later = _pieces(source=source, file=file, facts=facts, batch_id=batch_id, write=write)
    with splitting.without_gc() if later else nullcontext():
        return _run(
            source=source,
            file=file,
            facts=facts,
            batch_id=batch_id,
            today=today,
            write=write,
            skip_lines=skip_lines,
            later=later,
        )


def _run(
    *,
    source: DataSource,
    file: IO[bytes],
    facts: FileFacts,
    batch_id: int,
    today: dt.date,
    write: str,
    skip_lines: set[int] | None,
    later: list[Split],
) -> Outcome:
    reader = SourceFile(file, facts, stop=later[0].offset if later else None)
    part: splitting.SecondPart | None = None
    try:
        positions = header_positions(reader.header, source.columns)
        validator = RowValidator(
            columns=source.columns,
            unique=source.unique_columns,
            positions=positions,
            header_width=len(reader.header),
            today=today,
        )
        limit_errors, limit_rows = max_errors(), max_rows()
        claim = splitting.Claim() if later else None
        if claim is not None:  # forked before the writer starts its thread
            part = splitting.SecondPart(
                splitting.PartJob(
                    file=file,
                    facts=facts,
                    pieces=later,
                    claim=claim,
                    header=reader.header,
                    source=source,
                    positions=positions,
                    today=today,
                    skip_lines=skip_lines,
                    room=limit_errors,
                    limit_rows=limit_rows,
                )
            )
        writer = record_writer(batch_id=batch_id, source_id=source.pk) if write != "none" else None
        # With a second process the import's connection does nothing but COPY: this
        # process looks its persons up on a connection of its own, as the other one does.
        lookups = splitting.lookup_connection() if part is not None else None
        encoder = RowEncoder(lookups) if lookups is not None else None
        copying: deque[Future[None]] = deque()
        outcome = Outcome()
        try:
            if part is not None:
                part.receive(
                    writer if isinstance(writer, CopyWriter) else None,
                    lambda: write == "valid" or not outcome.invalid,
                )
            keys = [c["key"] for c in source.columns]
            mine = reader.chunks(keys)
            if claim is not None:
                more = splitting.chunks_of(file, facts, later, claim, reader.header, source)
                mine = itertools.chain(mine, more)
            for chunk in mine:
                if skip_lines:
                    kept = [i for i, line in enumerate(chunk.lines) if line not in skip_lines]
                    outcome.invalid += len(chunk.lines) - len(kept)
                    outcome.rows += len(chunk.lines) - len(kept)
                    chunk = chunk.keep(kept)
                room = max(limit_errors - len(outcome.errors), 0)
                result = validator.validate(chunk, room=room)
                outcome.rows += len(chunk)
                outcome.invalid += result.invalid_rows
                outcome.valid += len(result.valid)
                if result.errors_left_out or len(result.errors) > room:
                    outcome.errors_truncated = True
                outcome.errors.extend(result.errors[:room])
                if outcome.rows > limit_rows:
                    raise splitting.refused_for_rows(limit_rows)
                if writer is not None and (write == "valid" or not outcome.invalid):
                    if encoder is not None and isinstance(writer, CopyWriter):
                        if len(result.valid):
                            encoded = encoder.encode(result.valid, encoder.fields(result.valid))
                            if len(copying) >= splitting.QUEUED_STREAMS:
                                copying.popleft().result()
                            copying.append(writer.write_encoded(encoded))
                    else:
                        writer.write(result.valid)
                    outcome.written += len(result.valid)
            while copying:
                copying.popleft().result()
            if part is not None:
                _merge(outcome, validator, part.result(), limit_errors)
                if outcome.rows > limit_rows:
                    raise splitting.refused_for_rows(limit_rows)
            room = max(limit_errors - len(outcome.errors), 0)
            duplicates, count, left_out = validator.finish(room=room)
            outcome.errors.extend(duplicates)
            outcome.errors.sort(key=lambda error: error.line)
            outcome.invalid += count
            outcome.valid -= count
            outcome.errors_truncated = outcome.errors_truncated or left_out
            if count and write == "valid":
                raise FileProblem(
                    "duplicates_in_accepted_part",
                    lambda: _("The rows to import hold duplicates: upload the file again."),
                )
            if writer is not None and (write == "valid" or not outcome.invalid):
                writer.finish()
        finally:
            if part is not None:
                part.stop()
            if writer is not None:
                writer.close()
            if lookups is not None:
                lookups.close()
        if writer is not None:
            outcome.linked = writer.linked
    finally:
        reader.close()
    if outcome.rows == 0:
        raise FileProblem("no_rows", lambda: _("The file has a header row but no data rows."))
    return outcome


def _merge(
    outcome: Outcome, validator: RowValidator, part: splitting.PartOutcome, limit_errors: int
) -> None:
    """Add the second part's counts, errors and fingerprints to the first part's."""
    outcome.rows += part.rows
    outcome.invalid += part.invalid
    outcome.valid += part.valid
    outcome.written += part.written
    outcome.errors.extend(part.errors)
    if len(outcome.errors) > limit_errors:
        outcome.errors.sort(key=lambda error: error.line)
        del outcome.errors[limit_errors:]
        outcome.errors_truncated = True
    outcome.errors_truncated = outcome.errors_truncated or part.errors_left_out
    validator.add_fingerprints(part.fingerprints)
