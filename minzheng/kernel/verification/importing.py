"""One pass over a source file: read, validate and (optionally) write the valid rows.

Called by the services inside their transaction. Writing stops at the first bad row unless
the valid part is being imported on purpose; the caller rolls back what was written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

from minzheng.kernel.verification.models import DataSource
from minzheng.kernel.verification.reading import (
    FileFacts,
    FileProblem,
    SourceFile,
    header_positions,
)
from minzheng.kernel.verification.validation import RowError, RowValidator
from minzheng.kernel.verification.writing import record_writer

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
    reader = SourceFile(file, facts)
    try:
        positions = header_positions(reader.header, source.columns)
        validator = RowValidator(
            columns=source.columns,
            unique=source.unique_columns,
            positions=positions,
            header_width=len(reader.header),
            today=today,
        )
        writer = record_writer(batch_id=batch_id, source_id=source.pk) if write != "none" else None
        outcome = Outcome()
        limit_errors, limit_rows = max_errors(), max_rows()
        try:
            for chunk in reader.chunks([c["key"] for c in source.columns]):
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
                    raise FileProblem(
                        "too_many_rows",
                        lambda: (
                            _("The file has more than %(count)d rows: split it into smaller files.")
                            % {"count": limit_rows}
                        ),
                    )
                if writer is not None and (write == "valid" or not outcome.invalid):
                    writer.write(result.valid)
                    outcome.written += len(result.valid)
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
            if writer is not None:
                writer.close()
        if writer is not None:
            outcome.linked = writer.linked
    finally:
        reader.close()
    if outcome.rows == 0:
        raise FileProblem("no_rows", lambda: _("The file has a header row but no data rows."))
    return outcome
