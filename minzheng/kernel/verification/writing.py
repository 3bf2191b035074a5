"""Writing valid rows as SourceRecords: COPY on PostgreSQL, executemany elsewhere.

The writer also links each row to its person of the register (by the blind index of the ID
number), so validation never waits for the database.

The COPY writer is pipelined: the caller validates chunk k+1 and prepares the text of its
rows while a helper thread, on the same connection (so inside the caller's transaction and
with the same view of the register), looks up the persons of chunk k and streams it. The
text of a row is prepared without its person; the helper thread only puts the person in
front of each row. At most two chunks are held in memory.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from itertools import repeat
from operator import add
from typing import Any, Protocol

from django.db import connection

from minzheng.kernel.people.models import Person
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
CACHE_LIMIT = 1_000_000  # digests whose person is remembered across chunks
LOOKUP_BATCH = 50_000


class RecordWriter(Protocol):
    linked: int  # rows written with a person of the register

    def write(self, rows: ValidRows) -> None: ...

    def close(self) -> None: ...


def _escaped(values: list[str | None]) -> list[str] | Any:
    """Text values for COPY's text format (validated text holds no control characters);
    a missing text is empty, as in the ORM. The usual column needs no change at all."""
    if None in values:
        values = ["" if v is None else v for v in values]
    if "\\" in "".join(values):  # type: ignore[arg-type]
        return [v.replace("\\", "\\\\") for v in values]  # type: ignore[union-attr]
    return values


def _plain(values: list[str | None], empty: str = NULL) -> list[str]:
    """Digits, dates and codes: nothing to escape."""
    if None not in values:
        return values  # type: ignore[return-value]
    return [empty if v is None else v for v in values]


def _fields(rows: ValidRows) -> list[Any]:
    """The COPY columns after person_id, consecutive constant columns merged into one."""
    n = len(rows)
    columns: list[list[str] | str] = [
        rows.digest,
        rows.masked,
        _escaped(rows.name),
        _plain(rows.item, ""),
        rows.period_start,
        rows.period_end,
    ]
    for values in (rows.amount, rows.area, rows.quantity):
        columns.append(NULL if values.count(None) == n else _plain(values))
    reference = _escaped(rows.reference)
    columns.append("" if reference.count("") == n else reference)
    payload = rows.payload
    if payload.count(payload[0]) == n:
        columns.append(payload[0].replace("\\", "\\\\"))
    else:
        columns.append(_escaped(payload))  # type: ignore[arg-type]
    merged: list[Any] = []
    constant: list[str] = []
    for column in columns:
        if isinstance(column, str):
            constant.append(column)
            continue
        if constant:
            merged.append(repeat("\t".join(constant)))
            constant = []
        merged.append(column)
    if constant:
        merged.append(repeat("\t".join(constant)))
    return merged


class CopyWriter:
    """COPY ... FROM STDIN in text format on the caller's connection, pipelined."""

    def __init__(self, *, batch_id: int, source_id: int) -> None:
        connection.ensure_connection()
        self._raw = connection.connection
        self._prefix = f"{batch_id}\t{source_id}\t"
        self._unlinked = f"{self._prefix}{NULL}\t"
        self._heads: dict[str, str] = {}  # digest → the row's first three columns
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="verification-copy")
        self._pending: Future[None] | None = None
        self._sql = f"COPY {SourceRecord._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN"
        self._lookup = (
            f"SELECT id_number_digest, id FROM {Person._meta.db_table} "  # noqa: S608
            "WHERE id_number_digest = ANY(string_to_array(%s, ','))"
        )
        self.linked = 0

    def _heads_of(self, digests: list[str]) -> list[str]:
        """Batch, source and person columns of each row (the person looked up once)."""
        heads = self._heads
        if len(heads) > CACHE_LIMIT:
            heads.clear()
        missing = list(set(digests).difference(heads))
        if missing:
            unlinked, prefix = self._unlinked, self._prefix
            heads.update(dict.fromkeys(missing, unlinked))
            with self._raw.cursor() as cursor:
                for start in range(0, len(missing), LOOKUP_BATCH):
                    # Digests are hexadecimal: a comma-separated list is a cheap parameter.
                    cursor.execute(self._lookup, [",".join(missing[start : start + LOOKUP_BATCH])])
                    for digest, person in cursor.fetchall():
                        heads[digest] = f"{prefix}{person}\t"
        return list(map(heads.__getitem__, digests))

    def _send(self, rows: ValidRows, tails: list[str]) -> None:
        if rows.person is not None:
            prefix, unlinked = self._prefix, self._unlinked
            heads = [unlinked if p is None else f"{prefix}{p}\t" for p in rows.person]
        else:
            heads = self._heads_of(rows.digest)
        self.linked += len(heads) - heads.count(self._unlinked)
        payload = ("\n".join(map(add, heads, tails)) + "\n").encode()
        with self._raw.cursor() as cursor, cursor.copy(self._sql) as copy:
            copy.write(payload)

    def write(self, rows: ValidRows) -> None:
        if not len(rows):
            return
        tails = list(map("\t".join, zip(*_fields(rows), strict=False)))  # constants repeat
        self._wait()
        self._pending = self._pool.submit(self._send, rows, tails)

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
        self._persons: dict[str, int | None] = {}
        self.linked = 0

    def _persons_of(self, digests: list[str]) -> list[int | None]:
        cache = self._persons
        if len(cache) > CACHE_LIMIT:
            cache.clear()
        missing = list(set(digests).difference(cache))
        cache.update(dict.fromkeys(missing))
        for start in range(0, len(missing), 900):
            cache.update(
                Person.objects.filter(
                    id_number_digest__in=missing[start : start + 900]
                ).values_list("id_number_digest", "id")
            )
        return list(map(cache.__getitem__, digests))

    def write(self, rows: ValidRows) -> None:
        def empty(values: list[str | None]) -> list[str]:
            return ["" if v is None else v for v in values]

        persons = rows.person if rows.person is not None else self._persons_of(rows.digest)
        self.linked += len(persons) - persons.count(None)
        values = list(
            zip(
                repeat(self.batch_id),
                repeat(self.source_id),
                persons,
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
