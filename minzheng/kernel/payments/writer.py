"""The bulk path that writes payment lines: stage the entitlements, then one INSERT … SELECT.

1. the entitlements go into a temporary staging table: arrays on PostgreSQL by a binary COPY
   whose rows numpy builds in one go (every column fixed width), on SQLite by
   ``executemany``; an ``EntitlementQuery`` by ``INSERT INTO staging … SELECT`` inside the
   database (the monthly payroll: no row passes through Python, and one statement counts
   the staged rows, their total and repeated beneficiaries);
2. one ``INSERT INTO payments_paymentline … SELECT … ON CONFLICT DO NOTHING`` joins the staging
   rows to the active payee accounts (taking the snapshot: holder, account ciphertext, bank)
   and to the regions of the county. The unique constraint on the line decides, inside the
   database, what is already paid: a re-run, a concurrent run or a resumed run inserts only the
   lines that are missing, and never one twice. On PostgreSQL a plain INSERT comes first, in
   a savepoint (no speculative insertion per row), and the ``ON CONFLICT`` statement runs
   only when some line was already there (see ``_insert_postgresql``).

Nothing loops over ORM objects; the caller's transaction holds it all.
"""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common.errors import ValidationFailed
from minzheng.kernel.payments.entitlements import EntitlementQuery, Entitlements, month_index

STAGING = "payments_staging"
_LINE_COLUMNS = (
    "batch_id, programme, beneficiary_kind, beneficiary_id, month, for_month, kind, amount,"
    " members, region_id, payee_account_id, holder_name, holder_name_masked,"
    " account_number_ciphertext, account_number_masked, bank_code, bank_name, status,"
    " return_reason, created_at"
)
_COLUMNS = "beneficiary_id, payee_account_id, amount_fen, members, region_id, for_month"
_COPY_DTYPE = np.dtype(
    [
        ("count", ">i2"),
        ("l0", ">i4"),
        ("beneficiary_id", ">i8"),
        ("l1", ">i4"),
        ("payee_account_id", ">i8"),
        ("l2", ">i4"),
        ("amount_fen", ">i8"),
        ("l3", ">i4"),
        ("members", ">i2"),
        ("l4", ">i4"),
        ("region_id", ">i8"),
        ("l5", ">i4"),
        ("for_month", ">i4"),
    ]
)


@dataclass(frozen=True)
class WriteResult:
    staged: int
    inserted: int
    rejected: int  # no active payee account, region outside the county, or amount not > 0
    inserted_fen: int | None = None  # the inserted lines' total, when every staged row went in


def _staging_table(cursor: object) -> str:
    if connection.vendor == "postgresql":
        name = f"pg_temp.{STAGING}"
        cursor.execute(f"DROP TABLE IF EXISTS {name}")  # type: ignore[attr-defined]
        cursor.execute(  # type: ignore[attr-defined]
            f"CREATE TEMP TABLE {STAGING} (beneficiary_id int8, payee_account_id int8,"
            " amount_fen int8, members int2, region_id int8, for_month int4) ON COMMIT DROP"
        )
        return name
    name = f"temp.{STAGING}"
    cursor.execute(f"DROP TABLE IF EXISTS {name}")  # type: ignore[attr-defined]
    cursor.execute(  # type: ignore[attr-defined]
        f"CREATE TEMP TABLE {STAGING} (beneficiary_id integer, payee_account_id integer,"
        " amount_fen integer, members integer, region_id integer, for_month integer)"
    )
    return name


def _copy_payload(entitlements: Entitlements, for_months: np.ndarray) -> bytes:
    """A binary COPY stream of the staging rows, built by numpy without a Python loop."""
    rows = np.zeros(len(entitlements), dtype=_COPY_DTYPE)
    rows["count"] = 6
    rows["l0"], rows["l1"], rows["l2"], rows["l4"] = 8, 8, 8, 8
    rows["l3"], rows["l5"] = 2, 4
    rows["beneficiary_id"] = entitlements.beneficiary_ids
    rows["payee_account_id"] = entitlements.payee_account_ids
    rows["amount_fen"] = entitlements.amounts_fen
    rows["members"] = entitlements.members
    rows["region_id"] = entitlements.region_ids
    rows["for_month"] = for_months
    header = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    return header + rows.tobytes() + struct.pack(">h", -1)


def _stage_arrays(cursor: Any, table: str, entitlements: Entitlements, month: dt.date) -> None:
    for_months = (
        entitlements.for_months
        if entitlements.for_months is not None
        else np.full(len(entitlements), month_index(month), dtype=np.int32)
    )
    if connection.vendor == "postgresql":
        copy_sql = f"COPY {table} ({_COLUMNS}) FROM STDIN (FORMAT BINARY)"
        with cursor.cursor.copy(copy_sql) as copy:
            copy.write(_copy_payload(entitlements, for_months))
        return
    rows = zip(
        entitlements.beneficiary_ids.tolist(),
        entitlements.payee_account_ids.tolist(),
        entitlements.amounts_fen.tolist(),
        entitlements.members.tolist(),
        entitlements.region_ids.tolist(),
        for_months.tolist(),
        strict=True,
    )
    cursor.executemany(
        f"INSERT INTO {table} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",  # noqa: S608
        list(rows),
    )


def _stage_query(
    cursor: Any, table: str, query: EntitlementQuery, month: dt.date
) -> tuple[int, int]:
    """Run the query into the staging table; returns (rows staged, their total in fen).

    A beneficiary the query gives twice is refused, as ``payment_batch_generate`` refuses
    it in arrays (the unique key of the lines would otherwise keep the first silently).
    """
    cursor.execute(
        f"INSERT INTO {table} ({_COLUMNS}) SELECT q.*, %s FROM ({query.sql}) q",  # noqa: S608
        [month_index(month), *query.params],  # the constant comes first in the statement
    )
    cursor.execute(
        f"SELECT COUNT(*), COALESCE(SUM(amount_fen), 0), COUNT(DISTINCT beneficiary_id)"  # noqa: S608
        f" FROM {table}"
    )
    staged, total_fen, distinct = cursor.fetchone()
    if distinct != staged:
        raise ValidationFailed(
            _("A beneficiary appears more than once for the same month."), field="entitlements"
        )
    return int(staged), int(total_fen)


def stage(
    cursor: Any, entitlements: Entitlements | EntitlementQuery, month: dt.date
) -> tuple[str, int, int]:
    """Load the entitlements into the staging table; returns its qualified name, the rows
    staged and their total in fen."""
    table = _staging_table(cursor)
    if isinstance(entitlements, EntitlementQuery):
        staged, total_fen = _stage_query(cursor, table, entitlements, month)
        return table, staged, total_fen
    _stage_arrays(cursor, table, entitlements, month)
    return table, len(entitlements), int(entitlements.amounts_fen.sum())


def _for_month_sql() -> str:
    if connection.vendor == "postgresql":
        return "make_date(2000 + s.for_month / 12, s.for_month %% 12 + 1, 1)"
    return "printf('%%04d-%%02d-01', 2000 + s.for_month / 12, s.for_month %% 12 + 1)"


def _amount_sql() -> str:
    if connection.vendor == "postgresql":
        return "(s.amount_fen::numeric / 100)::numeric(12, 2)"
    return "CAST(s.amount_fen AS REAL) / 100"


def _insert_postgresql(cursor: Any, insert_select: str, params: list[Any]) -> int:
    """The number of lines inserted, on PostgreSQL.

    First a plain INSERT of every row, in a savepoint: it skips the speculative insertion
    that ``ON CONFLICT`` performs for every row (about a third of the statement's time). A
    month's first run, and a chunk resumed after a crash (its lines were rolled back with
    it), have nothing already paid, and that is all. When some line is already there (a
    re-run, a supplementary run, a concurrent worker), the unique constraint refuses the
    statement, the savepoint undoes it and ``INSERT … ON CONFLICT DO NOTHING`` inserts only
    what is missing: the constraint decides in both cases, never a line twice. Nothing is
    returned row by row (``RETURNING`` into a CTE cost about a tenth of the statement): the
    caller knows the total when every staged row was inserted.
    """
    try:
        with transaction.atomic():
            cursor.execute(insert_select, params)
    except IntegrityError:
        cursor.execute(f"{insert_select} ON CONFLICT DO NOTHING", params)
    return int(cursor.rowcount)


def write_lines(
    *,
    batch_id: int,
    programme: str,
    kind: str,
    month: dt.date,
    county_path: str,
    entitlements: Entitlements | EntitlementQuery,
) -> WriteResult:
    """Stage ``entitlements`` and insert every line not yet there; see the module docstring."""
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        table, staged, staged_fen = stage(cursor, entitlements, month)
        valid = (
            f"FROM {table} s"
            " JOIN payments_payeeaccount a ON a.id = s.payee_account_id AND a.status = 'active'"
            " JOIN regions_region r ON r.id = s.region_id AND r.path LIKE %s"
            " WHERE s.amount_fen > 0"
        )
        # PostgreSQL must know the parameters' types in the SELECT list (it does not take them
        # from the target columns); SQLite needs no casts.
        typed = (
            ("%s::int8", "%s::varchar", "%s::varchar", "%s::date", "%s::varchar", "%s::timestamptz")
            if connection.vendor == "postgresql"
            else ("%s",) * 6
        )
        select = (
            f"SELECT {typed[0]}, {typed[1]}, {typed[2]}, s.beneficiary_id, {typed[3]},"
            f" {_for_month_sql()}, {typed[4]}, {_amount_sql()},"
            " s.members, s.region_id, a.id, a.holder_name, a.holder_name_masked,"
            " a.account_number_ciphertext, a.account_number_masked, a.bank_code, a.bank_name,"
            f" 'pending', '', {typed[5]} {valid}"
        )
        insert = f"INSERT INTO payments_paymentline ({_LINE_COLUMNS}) "
        params: list[Any] = [
            batch_id,
            programme,
            entitlements.beneficiary_kind,
            ops.adapt_datefield_value(month),
            kind,
            now,
            county_path + "%",
        ]
        inserted_fen: int | None = None
        if connection.vendor == "postgresql":
            inserted = _insert_postgresql(cursor, insert + select, params)
        else:
            cursor.execute(f"{insert}{select} ON CONFLICT DO NOTHING", params)
            inserted = cursor.rowcount
        if inserted == staged:
            valid_count = inserted  # the usual first run: every row valid, none paid before
            if connection.vendor == "postgresql":
                # A staged row makes at most one line (the joins are on primary keys), so
                # the lines' total is the input's.
                inserted_fen = staged_fen
        else:
            cursor.execute(f"SELECT COUNT(*) {valid}", [county_path + "%"])
            valid_count = cursor.fetchone()[0]
    return WriteResult(
        staged=staged,
        inserted=inserted,
        rejected=staged - valid_count,
        inserted_fen=inserted_fen,
    )
