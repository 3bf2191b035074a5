"""Writing valid rows as SourceRecords: COPY on PostgreSQL, executemany elsewhere.

The writer also links each row to its person of the register (by the blind index of the ID
number), so validation never waits for the database.

The COPY writer sends the rows in PostgreSQL's binary format: dates as day numbers, amounts
as numerics, ids as integers, text as UTF-8, so the server parses no text. It is pipelined:
the caller validates chunk k+1 and encodes the columns of its rows while a helper thread, on
the same connection (so inside the caller's transaction and with the same view of the
register), looks up the persons of chunk k, lays out its rows and streams it. At most two
chunks are held in memory.

On PostgreSQL the records are partitioned by batch (ADR 0020). The writer creates the
batch's partition as a table of its own in the caller's transaction, copies the rows in
with FREEZE (written once, already visible to all), builds the indexes in one sorted pass
each and then attaches the table to the partitioned parent. A rolled-back import leaves no
table behind.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any, Protocol

import numpy as np
import psycopg
from django.db import connection
from psycopg.copy import LibpqWriter

from minzheng.kernel.people.models import Person
from minzheng.kernel.verification.models import SourceRecord
from minzheng.kernel.verification.validation import ValidRows

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
COPY_FLUSH_BYTES = 64 * 2**20  # a COPY stream waits for the server only past this
LOOKUP_BATCH = 50_000


# The indexes of the partitioned parent (migration verification.0003): a partition built
# with the same definitions is attached without a rebuild. A new partition has the first
# two from the start (ids only grow, and few rows lack a person: cheap to keep up while
# rows arrive) and gets the third, built in one sorted pass, when its rows are all in.
PARTITION_INDEXES = (
    "(id)",
    "(id_number_digest) WHERE person_id IS NULL",
    "(person_id, period_start)",
)
INDEXED_FROM_THE_START = 2


class RecordWriter(Protocol):
    linked: int  # rows written with a person of the register

    def write(self, rows: ValidRows) -> None: ...

    def finish(self) -> None:
        """Complete the write (after the last `write`, only when it is to be kept)."""

    def close(self) -> None:
        """Release the writer (always, also after an error)."""


def batch_partition(batch_id: int) -> str:
    """The name of a batch's partition of the records on PostgreSQL."""
    return f"{SourceRecord._meta.db_table}_b{int(batch_id)}"


def ensure_batch_partition(batch_id: int) -> None:
    """On PostgreSQL, give a batch its partition (attached, empty) unless it has one, for
    rows written by plain INSERTs; the bulk writer builds its own (CopyWriter)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {batch_partition(batch_id)} "
            f"PARTITION OF {SourceRecord._meta.db_table} FOR VALUES IN ({int(batch_id)})"
        )


def delete_batch_records(batch_id: int) -> None:
    """Remove a batch's records: its partition on PostgreSQL, its rows elsewhere."""
    table = SourceRecord._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TABLE IF EXISTS {batch_partition(batch_id)}")
        cursor.execute(f"DELETE FROM {table} WHERE batch_id = %s", [batch_id])  # noqa: S608


# PostgreSQL binary COPY: the stream starts with a signature, flags and header extension,
# each row is a field count then each field's length (-1 for NULL) and bytes, and the stream
# ends with a field count of -1.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)
NULL_FIELD = struct.pack(">i", -1)
PG_EPOCH = dt.date(2000, 1, 1)
JSONB_VERSION = b"\x01"


_VARIES = object()  # a column whose values differ within the chunk
FIXED_WIDTH = frozenset({"id_number_digest", "id_number_masked"})

# Values a batch's own partition has as column defaults (besides NULL): a chunk where every
# row has the default leaves the column out of its COPY, and the server fills it in.
PARTITION_DEFAULTS = {"name": "", "reference": "", "payload": "{}"}


class _Field:
    """One column of a chunk for binary COPY: each row's field (length, then bytes).

    Each distinct value is encoded once. When every row's field has the same size (the
    usual case: digests, dates, amounts), the column is an (n, size) byte array that numpy
    lays into the rows; otherwise it is the list of each row's field.
    """

    __slots__ = ("array", "column", "constant", "pieces")

    array: np.ndarray | None
    pieces: list[bytes] | None

    def __init__(self, column: str, values: list[Any], encode: Callable[[Any], bytes]) -> None:
        self.column = column
        self.array = None
        self.pieces = None
        self.constant: Any = _VARIES
        first = values[0]
        # One value for the whole chunk (the last row is compared first: a cheap no).
        if values[-1] == first and values.count(first) == len(values):
            piece = NULL_FIELD if first is None else _sized(encode(first))
            self._fixed(piece * len(values), len(values), len(piece))
            self.constant = first
            return
        if encode is _text and self._plain_text(values):
            return
        if encode is _numeric and None not in values:
            self._numerics(values)
            return
        distinct = set(values)
        fields = {v: NULL_FIELD if v is None else _sized(encode(v)) for v in distinct}
        pieces = list(map(fields.__getitem__, values))
        sizes = {len(piece) for piece in fields.values()}
        if len(sizes) == 1:
            self._fixed(b"".join(pieces), len(pieces), sizes.pop())
        else:
            self.pieces = pieces

    def _fixed(self, joined: bytes, n: int, size: int) -> None:
        self.array = np.frombuffer(joined, dtype=np.uint8).reshape(n, size)

    def _plain_text(self, values: list[str]) -> bool:
        """ASCII text of one length (digests, masked ID numbers): encoded in one step."""
        width = len(values[0])
        joined = "".join(values)
        if len(joined) != width * len(values) or not joined.isascii():
            return False
        # Digests and masked ID numbers have one width by construction (validation).
        if self.column not in FIXED_WIDTH and len(set(map(len, values))) != 1:
            return False
        array = np.empty((len(values), 4 + width), dtype=np.uint8)
        array[:, :4] = np.frombuffer(struct.pack(">i", width), dtype=np.uint8)
        array[:, 4:] = np.frombuffer(joined.encode(), dtype=np.uint8).reshape(len(values), width)
        self.array = array
        return True

    def _numerics(self, values: list[str]) -> None:
        """Amounts encoded by numpy as _numeric does: validated amounts have at most 14
        digits, which a float holds exactly in cents. Each distinct amount is parsed once."""
        distinct = list(set(values))
        if len(distinct) * 4 < len(values):  # amounts repeat (monthly files): map them
            position = dict(zip(distinct, range(len(distinct)), strict=True))
            self._numerics(distinct)
            assert self.array is not None
            at = np.fromiter(map(position.__getitem__, values), dtype=np.intp, count=len(values))
            self.array = self.array[at]
            return
        cents = np.rint(np.array(values, dtype=np.float64) * 100).astype(np.int64)
        whole = cents // 100
        words = np.empty((len(values), 10), dtype=">i2")
        words[:, :2] = (0, 16)  # the length (int32) as two big-endian words
        words[:, 2:6] = (4, 2, 0, 2)  # digit count, weight, sign, scale
        words[:, 6] = whole // 100_000_000
        words[:, 7] = whole // 10_000 % 10_000
        words[:, 8] = whole % 10_000
        words[:, 9] = cents % 100 * 100
        self.array = words.view(np.uint8)

    @classmethod
    def bigint(cls, column: str, values: list[int | None]) -> _Field:
        """Integers (person ids) that are mostly distinct: encoded by numpy."""
        field = cls.__new__(cls)
        field.column = column
        field.constant = _VARIES
        field.pieces = None
        n = len(values)
        missing = values.count(None)
        array = np.empty((n, 12), dtype=np.uint8)
        array[:, :4] = np.frombuffer(struct.pack(">i", 8), dtype=np.uint8)
        numbers = [0 if v is None else v for v in values] if missing else values
        array[:, 4:] = np.array(numbers, dtype=">i8").view(np.uint8).reshape(n, 8)
        if not missing:
            field.array = array
            return field
        field.array = None
        encoded = array.view("V12").ravel().tolist()
        field.pieces = [
            NULL_FIELD if v is None else piece for v, piece in zip(values, encoded, strict=True)
        ]
        return field


def _sized(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data


def _binary_rows(fields: list[_Field]) -> tuple[list[str], bytes]:
    """The columns in stream order and one binary COPY stream of the rows, fixed-size
    fields first (laid out by numpy), then the others."""
    arrays = [f.array for f in fields if f.array is not None]
    pieces = [f.pieces for f in fields if f.pieces is not None]
    columns = [f.column for f in fields if f.array is not None]
    columns += [f.column for f in fields if f.pieces is not None]
    n = len(arrays[0]) if arrays else len(pieces[0])
    width = 2 + sum(array.shape[1] for array in arrays)
    rows = np.empty((n, width), dtype=np.uint8)
    rows[:, :2] = np.frombuffer(struct.pack(">h", len(fields)), dtype=np.uint8)
    at = 2
    for array in arrays:
        rows[:, at : at + array.shape[1]] = array
        at += array.shape[1]
    if not pieces:
        return columns, COPY_HEADER + rows.tobytes() + COPY_TRAILER
    starts = rows.view(f"V{width}").ravel().tolist()
    body = b"".join(chain.from_iterable(zip(starts, *pieces, strict=True)))
    return columns, COPY_HEADER + body + COPY_TRAILER


def _text(value: str) -> bytes:
    return value.encode()


def _jsonb(value: str) -> bytes:
    return JSONB_VERSION + value.encode()


def _date(value: str) -> bytes:
    return struct.pack(">i", (dt.date.fromisoformat(value) - PG_EPOCH).days)


def _int4(value: str | int) -> bytes:
    return struct.pack(">i", int(value))


def _int8(value: int) -> bytes:
    return struct.pack(">q", value)


def _numeric(value: str) -> bytes:
    """A validated amount (digits, at most two decimals) as a binary numeric of four base-10000
    digits (weight 2, scale 2): it holds any value of numeric(14, 2); the server strips the
    zero digits."""
    whole_text, _, decimals = value.partition(".")
    whole = int(whole_text)
    return struct.pack(
        ">8h",
        4,
        2,
        0,
        2,
        whole // 100_000_000,
        whole // 10_000 % 10_000,
        whole % 10_000,
        int(decimals.ljust(2, "0")) * 100,
    )


def _empty(values: list[str | None]) -> list[str]:
    """A missing text is empty, as in the ORM."""
    if None in values:
        return ["" if v is None else v for v in values]
    return values  # type: ignore[return-value]


class RowEncoder:
    """Valid rows as a binary COPY stream of SourceRecord columns, with the person of each
    row looked up (each digest once) on the given connection."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._persons: dict[str, int | None] = {}  # digest → person of the register
        # Two arrays, not a row per person: far fewer Python objects to build.
        self._lookup = (
            "SELECT array_agg(id_number_digest), array_agg(id) "  # noqa: S608
            f"FROM {Person._meta.db_table} "
            "WHERE id_number_digest = ANY(string_to_array(%s, ','))"
        )

    def persons_of(self, digests: list[str]) -> list[int | None]:
        """The person of each row (each digest looked up once)."""
        persons = self._persons
        if len(persons) > CACHE_LIMIT:
            persons.clear()
        missing = list(set(digests).difference(persons))
        if missing:
            persons.update(dict.fromkeys(missing))
            # Server-side binding and binary results: the parameter is sent as it is (not
            # quoted into the statement) and the ids arrive as integers, not text to parse.
            with psycopg.Cursor(self._raw) as cursor:
                for start in range(0, len(missing), LOOKUP_BATCH):
                    # Digests are hexadecimal: a comma-separated list is a cheap parameter.
                    cursor.execute(
                        self._lookup, [",".join(missing[start : start + LOOKUP_BATCH])], binary=True
                    )
                    found = cursor.fetchone()
                    if found and found[0]:
                        persons.update(zip(found[0], found[1], strict=True))
        return list(map(persons.__getitem__, digests))

    @staticmethod
    def fields(rows: ValidRows) -> list[_Field]:
        """The columns after person_id."""
        return [
            _Field("id_number_digest", rows.digest, _text),
            _Field("id_number_masked", rows.masked, _text),
            _Field("name", _empty(rows.name), _text),
            _Field("item", _empty(rows.item), _text),
            _Field("period_start", rows.period_start, _date),
            _Field("period_end", rows.period_end, _date),
            _Field("amount", rows.amount, _numeric),
            _Field("area", rows.area, _numeric),
            _Field("quantity", rows.quantity, _int4),
            _Field("reference", _empty(rows.reference), _text),
            _Field("payload", rows.payload, _jsonb),
        ]

    def encode(
        self, rows: ValidRows, tail: list[_Field], *, batch: tuple[int, int] | None = None
    ) -> Encoded:
        """The rows' stream; with `batch` (batch id, source id) the stream also holds those
        two columns (needed unless the table has them as defaults)."""
        persons = rows.person if rows.person is not None else self.persons_of(rows.digest)
        n = len(persons)
        head = [_Field.bigint("person_id", persons)]
        if batch is not None:
            head += [
                _Field("batch_id", [batch[0]] * n, _int8),
                _Field("source_id", [batch[1]] * n, _int8),
            ]
        if batch is None:  # into the batch's own partition: its defaults fill columns in
            tail = [f for f in tail if not _defaulted(f)]
        columns, payload = _binary_rows(head + tail)
        return Encoded(columns, payload, n - persons.count(None))


def _defaulted(field: _Field) -> bool:
    """Whether every row of the chunk has the partition's default in this column."""
    constant = field.constant
    if constant is _VARIES:
        return False
    return constant is None or PARTITION_DEFAULTS.get(field.column, _VARIES) == constant


@dataclass(frozen=True)
class Encoded:
    """Rows ready for COPY: the columns in stream order, the stream, rows with a person."""

    columns: list[str]
    payload: bytes
    linked: int


def partition_exists(batch_id: int, cursor: Any = None) -> bool:
    """Whether the batch has its partition (on `cursor`, else on a cursor of its own)."""
    if cursor is None:
        with connection.cursor() as own:
            return partition_exists(batch_id, own)
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [batch_partition(batch_id)])
    row = cursor.fetchone()
    return bool(row and row[0])


class CopyWriter:
    """COPY ... FROM STDIN in binary format on the caller's connection, pipelined.

    The server receives every value in its binary form (dates as days, amounts as numerics,
    ids as integers), so it parses no text. Streams encoded elsewhere (the second part of a
    split file, see importing) are copied in through `write_encoded`, on the same thread.
    """

    def __init__(self, *, batch_id: int, source_id: int) -> None:
        connection.ensure_connection()
        self._raw = connection.connection
        self._batch = batch_id
        self._source = source_id
        self._encoder = RowEncoder(self._raw)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="verification-copy")
        self._pending: Future[None] | None = None
        self._parent = SourceRecord._meta.db_table
        self._table = ""  # where the rows go: the batch's new partition, or the parent
        self.linked = 0

    def _create_partition(self) -> None:
        """The batch's partition as a new table, with the batch and source as its defaults;
        if the batch has one already (written before), the rows go through the parent."""
        partition = batch_partition(self._batch)
        with self._raw.cursor() as cursor:
            if partition_exists(self._batch, cursor):
                self._table = self._parent
                return
            cursor.execute(
                f"CREATE TABLE {partition} (LIKE {self._parent} INCLUDING DEFAULTS, "
                f"CONSTRAINT {partition}_batch CHECK (batch_id = {int(self._batch)}))"
            )
            defaults = ", ".join(
                f"ALTER {column} SET DEFAULT '{value}'"
                for column, value in sorted(PARTITION_DEFAULTS.items())
            )
            cursor.execute(
                f"ALTER TABLE {partition} ALTER batch_id SET DEFAULT {int(self._batch)}, "
                f"ALTER source_id SET DEFAULT {int(self._source)}, {defaults}"
            )
            for definition in PARTITION_INDEXES[:INDEXED_FROM_THE_START]:
                cursor.execute(f"CREATE INDEX ON {partition} {definition}")
        self._table = partition

    def _copy(self, encoded: Encoded) -> None:
        if not self._table:
            self._create_partition()
        if self._table == self._parent and "batch_id" not in encoded.columns:
            raise RuntimeError("a stream without the batch column needs the new partition")
        options = "FORMAT BINARY" if self._table == self._parent else "FORMAT BINARY, FREEZE"
        sql = f"COPY {self._table} ({', '.join(encoded.columns)}) FROM STDIN ({options})"
        with self._raw.cursor() as cursor:
            # One chunk's stream (a few MB) goes to libpq without waiting for each 128 kB
            # piece to be flushed: every wait gives the GIL away, and taking it back while
            # the other threads validate costs up to a switch interval (5 ms) each time.
            writer = LibpqWriter(cursor, flush_threshold=COPY_FLUSH_BYTES)
            with cursor.copy(sql, writer=writer) as copy:
                copy.write(encoded.payload)
        self.linked += encoded.linked

    def _send(self, rows: ValidRows, tail: list[_Field]) -> None:
        if not self._table:
            self._create_partition()
        batch = (self._batch, self._source) if self._table == self._parent else None
        self._copy(self._encoder.encode(rows, tail, batch=batch))

    def write(self, rows: ValidRows) -> None:
        if not len(rows):
            return
        tail = self._encoder.fields(rows)
        self._wait()
        self._pending = self._pool.submit(self._send, rows, tail)

    def write_encoded(self, encoded: Encoded) -> Future[None]:
        """Copy a stream encoded elsewhere (without batch and source columns: only into a
        new partition); the caller waits for the returned future before sending more."""
        return self._pool.submit(self._copy, encoded)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def finish(self) -> None:
        """Wait for the last chunk; index the new partition and attach it to the parent."""
        self._wait()
        if not self._table or self._table == self._parent:
            return
        partition = self._table
        with self._raw.cursor() as cursor:
            for definition in PARTITION_INDEXES[INDEXED_FROM_THE_START:]:
                cursor.execute(f"CREATE INDEX ON {partition} {definition}")
            # The CHECK constraint proves the partition bound, so nothing is scanned.
            cursor.execute(
                f"ALTER TABLE {self._parent} ATTACH PARTITION {partition} "
                f"FOR VALUES IN ({int(self._batch)})"
            )
        self._table = self._parent

    def close(self) -> None:
        try:
            self._wait()
        finally:
            self._pool.shutdown()


class InsertWriter:
    """executemany INSERT of the same text values (the embedded SQLite database; on
    PostgreSQL into the batch's partition, created attached)."""

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
        self._partitioned = False  # on PostgreSQL: the batch's partition exists
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
        if not self._partitioned:
            ensure_batch_partition(self.batch_id)
            self._partitioned = True

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

    def finish(self) -> None:
        """Every row is written already."""

    def close(self) -> None:
        """Nothing is buffered."""


def record_writer(*, batch_id: int, source_id: int) -> RecordWriter:
    if connection.vendor == "postgresql":
        return CopyWriter(batch_id=batch_id, source_id=source_id)
    return InsertWriter(batch_id=batch_id, source_id=source_id)
