"""The benchmark database: chosen before Django starts, created on the local PostgreSQL."""

from __future__ import annotations

import os
from dataclasses import dataclass

import psycopg
from psycopg import sql

LOCAL_SERVER = "postgres://postgres@127.0.0.1:5432"


@dataclass(frozen=True)
class Target:
    url: str
    owned: bool  # created by the benchmark, so it may be dropped and recreated


def choose(database: str) -> Target:
    """DATABASE_URL when given (never dropped), else `database` on the local server."""
    given = os.environ.get("DATABASE_URL")
    if given:
        return Target(url=given, owned=False)
    return Target(url=f"{LOCAL_SERVER}/{database}", owned=True)


def exists(database: str) -> bool:
    with psycopg.connect(f"{LOCAL_SERVER}/postgres", autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        return row is not None


def recreate(database: str) -> None:
    """Drop `database` if it exists and create it empty."""
    with psycopg.connect(f"{LOCAL_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def create_if_missing(database: str) -> bool:
    """Create `database` unless it exists; returns whether it was created."""
    if exists(database):
        return False
    with psycopg.connect(f"{LOCAL_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    return True


def vacuum_if_needed(tables: list[str]) -> bool:
    """VACUUM (ANALYZE) `tables` when the server's autovacuum is off; returns whether it ran.

    The benchmarks delete and rewrite millions of rows on every run (the determination of a
    month, the import's clean-up). A production server runs autovacuum (PostgreSQL's default),
    which keeps such tables from bloating; some development servers have it switched off, and
    there every run would read and write through the dead rows of all earlier runs. Doing the
    vacuum autovacuum would have done keeps the figures comparable; it is never timed.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        if cursor.fetchone()[0] == "on":
            return False
        for table in tables:
            cursor.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
    return True


def compact(tables: list[str]) -> None:
    """Rewrite ``tables`` without the empty pages the benchmarks' own clean-ups leave: the
    payroll and recalculation benchmarks each write and delete 150,000 enrolments and
    applications per run, which a production table never loses like that. Without it,
    reading one county's enrolments scanned 170 MB of empty pages. Untimed; PostgreSQL only.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(sql.SQL("VACUUM (FULL, ANALYZE) {}").format(sql.Identifier(table)))


def enrolments_by_county(cursor, prefix: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The benchmark's enrolments (case numbers starting with ``prefix``) per county."""
    cursor.execute(
        "SELECT county, count(*) FROM assistance_enrolment WHERE case_number LIKE %s"
        " GROUP BY county ORDER BY county",
        [prefix + "%"],
    )
    return dict(cursor.fetchall())


ENROLMENT_TABLES = ["assistance_enrolment", "assistance_assistanceapplication"]


def checkpoint() -> bool:
    """Write out the dirty pages the untimed setup (or an earlier timed part) left, so that a
    checkpoint does not fall inside the next timed part; returns whether it ran.

    The server checkpoints every few seconds while the benchmarks write (its `max_wal_size`
    is small for their volume), and a timed part that met one wrote full pages: the largest
    part of the spread between runs of the same code. Needs a superuser (the local server's
    postgres); elsewhere it does nothing. Untimed; PostgreSQL only.
    """
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:
        return False
    return True
