"""Writing demo rows: bulk_create on SQLite, COPY on PostgreSQL.

On PostgreSQL the load runs in one transaction that first drops the secondary indexes and
the foreign-key and unique constraints of the three register tables, streams the rows with
COPY and rebuilds what it dropped (which also checks every rebuilt constraint), so a failed
load leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from django.db import connection
from django.db.models import Max, Model
from django.utils import timezone

from minzheng.kernel.people.demo.rows import DateColumn, IdBases, RowBatch
from minzheng.kernel.people.models import Household, Membership, Person

TABLES: tuple[type[Model], ...] = (Household, Person, Membership)
NULL = r"\N"
M = TypeVar("M", bound=Model)


class Sink(Protocol):
    """Where batches of rows go; close() returns once everything is written."""

    def write(self, batch: RowBatch) -> None: ...

    def close(self) -> None: ...


def next_ids() -> IdBases:
    """One past the largest key of each table."""

    def after(model: type[Model]) -> int:
        return (model._default_manager.aggregate(top=Max("id"))["top"] or 0) + 1

    return IdBases(household=after(Household), person=after(Person), membership=after(Membership))


def _orm_values(columns: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        name: values.as_dates() if isinstance(values, DateColumn) else values
        for name, values in columns.items()
    }


def _instances(model: type[M], columns: dict[str, Any]) -> list[M]:
    values = _orm_values(columns)
    names = list(values)
    return [
        model(**dict(zip(names, row, strict=True))) for row in zip(*values.values(), strict=True)
    ]


class OrmSink:
    """bulk_create in batches (the embedded SQLite database)."""

    batch_size = 2000

    def write(self, batch: RowBatch) -> None:
        size = self.batch_size
        Household.objects.bulk_create(_instances(Household, batch.households), batch_size=size)
        Person.objects.bulk_create(_instances(Person, batch.persons), batch_size=size)
        Membership.objects.bulk_create(_instances(Membership, batch.memberships), batch_size=size)

    def close(self) -> None:
        """Nothing is buffered."""


def _text(values: Any) -> list[str]:
    """COPY text-format values of one column."""
    if isinstance(values, DateColumn):
        return values.as_text(NULL)
    if not values:
        return []
    sample = values[0]
    if isinstance(sample, bool):
        return ["t" if v else "f" for v in values]
    if isinstance(sample, bytes):
        return ["\\\\x" + v.hex() for v in values]
    if isinstance(sample, str):
        return values  # demo text never holds tabs, newlines or backslashes
    return [NULL if v is None else str(v) for v in values]


def _column_names(model: type[Model], columns: dict[str, Any]) -> list[str]:
    by_name = {f.attname: str(f.column) for f in model._meta.concrete_fields}
    return [by_name[name] for name in columns]


class CopySink:
    """COPY ... FROM STDIN in text format (PostgreSQL), pipelined.

    The main thread formats batch k+1 while a helper thread streams batch k over the same
    connection (so inside the same transaction): Python and the server work at once, and at
    most two batches are held in memory.
    """

    def __init__(self) -> None:
        connection.ensure_connection()
        self._raw = connection.connection
        self._stamp = timezone.now().isoformat()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-copy")
        self._pending: Future[None] | None = None

    def _payload(self, model: type[Model], columns: dict[str, Any]) -> tuple[str, bytes]:
        names = [*_column_names(model, columns), "created_at", "updated_at"]
        texts = [_text(values) for values in columns.values()]
        count = len(texts[0])
        texts += [[self._stamp] * count, [self._stamp] * count]
        payload = "".join(line + "\n" for line in map("\t".join, zip(*texts, strict=True)))
        sql = f"COPY {model._meta.db_table} ({', '.join(names)}) FROM STDIN"
        return sql, payload.encode()

    def _send(self, payloads: list[tuple[str, bytes]]) -> None:
        with self._raw.cursor() as cursor:
            for sql, payload in payloads:
                with cursor.copy(sql) as copy:
                    copy.write(payload)

    def write(self, batch: RowBatch) -> None:
        payloads = [
            self._payload(Household, batch.households),
            self._payload(Person, batch.persons),
            self._payload(Membership, batch.memberships),
        ]
        self._wait()
        self._pending = self._pool.submit(self._send, payloads)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        try:
            self._wait()
        finally:
            self._pool.shutdown()


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _execute(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@contextmanager
def without_secondary_indexes() -> Iterator[list[str]]:
    """Drop secondary indexes, FK and unique constraints of the register; rebuild on exit.

    Must run inside a transaction: if the load fails, the drop rolls back with it.
    Yields the names of what was dropped.
    """
    tables = [model._meta.db_table for model in TABLES]
    constraints = _fetch(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype "
        "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') "
        "ORDER BY contype DESC, conname",
        [tables],
    )
    indexes = _fetch(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype <> 'f') "
        "ORDER BY 1",
        [tables],
    )
    # Deferred FK checks still queued in this transaction (rows written just before, e.g. the
    # new regions when a caller holds the transaction open) would block the ALTER TABLEs.
    drop = ["SET CONSTRAINTS ALL IMMEDIATE"]
    drop += [f'ALTER TABLE "{t}" DROP CONSTRAINT "{name}"' for t, name, _, _ in constraints]
    drop += [f"DROP INDEX {name}" for name, _ in indexes]
    _execute(drop)
    yield [name for _, name, _, _ in constraints] + [name for name, _ in indexes]
    _execute(["SET LOCAL maintenance_work_mem = '512MB'"])
    _execute([definition for _, definition in indexes])
    unique = [c for c in constraints if c[3] == "u"]
    foreign = [c for c in constraints if c[3] == "f"]
    _execute([f'ALTER TABLE "{t}" ADD CONSTRAINT "{n}" {d}' for t, n, d, _ in unique + foreign])
    _execute(["SET CONSTRAINTS ALL DEFERRED"])


def analyze() -> None:
    """Refresh the planner's statistics after a bulk load.

    On PostgreSQL outside a transaction, VACUUM also sets the visibility map and hint bits,
    so the first searches do not pay for them.
    """
    tables = [model._meta.db_table for model in TABLES]
    if connection.vendor != "postgresql":
        _execute(["ANALYZE"])
    elif connection.in_atomic_block:
        _execute([f"ANALYZE {table}" for table in tables])
    else:
        _execute([f"VACUUM (ANALYZE) {table}" for table in tables])


def reset_sequences() -> None:
    """Move the key sequences past the keys the load assigned."""
    from django.core.management.color import no_style

    _execute(connection.ops.sequence_reset_sql(no_style(), list(TABLES)))


def write_history(bases: IdBases, when: dt.datetime) -> int:
    """Add the "created" history row of every loaded person and household, set-based."""
    total = 0
    for model, first in ((Person, bases.person), (Household, bases.household)):
        history = model.history.model  # type: ignore[attr-defined]
        columns = [
            f.column for f in history._meta.concrete_fields if not f.name.startswith("history_")
        ]
        listed = ", ".join(columns)
        sql = (
            f"INSERT INTO {history._meta.db_table} ({listed}, history_date, history_type, "  # noqa: S608
            f"history_change_reason, history_user_id) SELECT {listed}, %s, '+', NULL, NULL "
            f"FROM {model._meta.db_table} WHERE id >= %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [when, first])
            total += cursor.rowcount
    return total
