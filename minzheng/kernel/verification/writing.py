"""Writing valid rows as SourceRecords: COPY on PostgreSQL, executemany elsewhere.

The COPY writer is pipelined like the demo loader's: the caller validates chunk k+1 while
a helper thread streams chunk k over the same connection (so inside the caller's
transaction); at most two chunks are held in memory.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from itertools import repeat
from typing import Protocol

from django.db import connection

from minzheng.kernel.verification.models import SourceRecord
from minzheng.kernel.verification.validation import ValidRows

NULL = r"\N"
COLUMNS = (
    "batch_id",
    "source_id",
    "person_id",
    "id_number_digest",
    "id_number_masked",
    "name",
    "item",
    "period_start",
    "period_end",
    "amount",
    "area",
    "quantity",
    "reference",
    "payload",
)


class RecordWriter(Protocol):
    def write(self, rows: ValidRows) -> None: ...

    def close(self) -> None: ...


def _escaped(values: list[str | None]) -> list[str]:
    """Text values for COPY's text format (validated text holds no control characters);
    a missing text is empty, as in the ORM."""
    return ["" if v is None else (v.replace("\\", "\\\\") if "\\" in v else v) for v in values]


def _plain(values: list[str | None], empty: str = NULL) -> list[str]:
    """Digits, dates and codes: nothing to escape."""
    if None not in values:
        return values  # type: ignore[return-value]
    return [empty if v is None else v for v in values]


class CopyWriter:
    """COPY ... FROM STDIN in text format on the caller's connection, pipelined."""

    def __init__(self, *, batch_id: int, source_id: int) -> None:
        connection.ensure_connection()
        self._raw = connection.connection
        self._prefix = f"{batch_id}\t{source_id}"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="verification-copy")
        self._pending: Future[None] | None = None
        self._sql = f"COPY {SourceRecord._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN"

    def _payload(self, rows: ValidRows) -> bytes:
        columns = [
            repeat(self._prefix),
            [NULL if p is None else str(p) for p in rows.person],
            rows.digest,
            rows.masked,
            _escaped(rows.name),
            _plain(rows.item, ""),
            rows.period_start,
            rows.period_end,
            _plain(rows.amount),
            _plain(rows.area),
            _plain(rows.quantity),
            _escaped(rows.reference),
            _escaped(rows.payload),  # type: ignore[arg-type]
        ]
        text = "\n".join(map("\t".join, zip(*columns, strict=False)))  # the prefix repeats
        return (text + "\n").encode()

    def _send(self, payload: bytes) -> None:
        with self._raw.cursor() as cursor, cursor.copy(self._sql) as copy:
            copy.write(payload)

    def write(self, rows: ValidRows) -> None:
        if not len(rows):
            return
        payload = self._payload(rows)
        self._wait()
        self._pending = self._pool.submit(self._send, payload)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        try:
            self._wait()
        finally:
            self._pool.shutdown()


class InsertWriter:
    """executemany INSERT of the same text values (the embedded SQLite database)."""

    batch_size = 5000

    def __init__(self, *, batch_id: int, source_id: int) -> None:
        self.batch_id = batch_id
        self.source_id = source_id
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        self.sql = (
            f"INSERT INTO {SourceRecord._meta.db_table} ({', '.join(COLUMNS)}) "  # noqa: S608
            f"VALUES ({placeholders})"
        )

    def write(self, rows: ValidRows) -> None:
        def empty(values: list[str | None]) -> list[str]:
            return ["" if v is None else v for v in values]

        values = list(
            zip(
                repeat(self.batch_id),
                repeat(self.source_id),
                rows.person,
                rows.digest,
                rows.masked,
                empty(rows.name),
                empty(rows.item),
                rows.period_start,
                rows.period_end,
                rows.amount,
                rows.area,
                rows.quantity,
                empty(rows.reference),
                rows.payload,
            )
        )
        with connection.cursor() as cursor:
            for start in range(0, len(values), self.batch_size):
                cursor.executemany(self.sql, values[start : start + self.batch_size])

    def close(self) -> None:
        """Nothing is buffered."""


def record_writer(*, batch_id: int, source_id: int) -> RecordWriter:
    if connection.vendor == "postgresql":
        return CopyWriter(batch_id=batch_id, source_id=source_id)
    return InsertWriter(batch_id=batch_id, source_id=source_id)
