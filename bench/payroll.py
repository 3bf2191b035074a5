"""Monthly payroll at city scale: 150,000 enrolled households to the bank files.

Untimed setup: pick households spread over every county (their current heads as payees),
create their payee accounts (encrypted, in bulk), enrol them in dibao (approved
applications and active enrolments, 100–1,200 yuan a month, paid to the heads' accounts, in
bulk), and two staff users (maker and checker). Timed:

  (a) the payroll through the real services: the payroll job (one chunk per county, each
      staging the county's payable enrolments with their payee accounts by the dibao
      entitlement source's query, INSERT … SELECT inside the database, and
      inserting the lines with INSERT … SELECT: a plain one in a savepoint, ON CONFLICT DO
      NOTHING only when some line is already there), submit by the maker and approval by
      the checker of every county's batch, and every batch's CSV bank file (decrypting each
      account number);
  (b) the floor: a plain bulk write of the same rows — a binary COPY of the same line
      columns into a table of the line table's shape (LIKE … INCLUDING ALL: its primary key,
      unique key, batch index and checks, but no foreign key, no join, no conflict
      handling), plus writing the same CSV from memory with no decryption and no
      validation; (b0) the same COPY into a bare table without indexes, for reference.

Each timed part starts after a CHECKPOINT (untimed), so that none meets one the setup or
an earlier part left due.

Everything it created is removed afterwards, except the audit events (the chain is
append-only) and the two staff users (reused by the next run).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import multiprocessing
import os
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np
from django.db import connection, connections, transaction
from django.utils import timezone

from bench.database import (
    ENROLMENT_TABLES,
    checkpoint,
    compact,
    enrolments_by_county,
    vacuum_if_needed,
)

PROGRAMME = "bench.dibao"
LABEL = "最低生活保障金"
BANK_MARK = "基准测试银行"  # marks the benchmark's payee accounts for the clean-up
MAKER, CHECKER = "bench_payroll_maker", "bench_payroll_checker"
WORKERS = 2
ENROLMENT_PROGRAMME = "dibao"  # the assistance programme whose enrolments are paid
ENROLMENT_PREFIX = "BPR-"  # case numbers of the benchmark's applications and enrolments
ENROLMENT_START = dt.date(2026, 11, 1)
# Production never deletes payment lines: a month's lines go into new pages at the end of
# the table. The benchmark deletes its lines after each run; compacting these tables before
# a timed part (untimed) keeps its inserts appending too, instead of filling the pages the
# deletion freed (after a checkpoint every such page costs a full-page image in the WAL,
# which new pages, like the floor's new table, do not).
LINE_TABLES = ["payments_paymentline", "payments_paymentbatch"]


@dataclass
class PayrollFigures:
    households: int = 0
    counties: int = 0
    month: dt.date = dt.date(2026, 12, 1)
    setup_seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # phase -> seconds
    floor: dict[str, float] = field(default_factory=dict)
    parallel: dict[str, float] = field(default_factory=dict)  # on WORKERS processes
    parallel_lines: int = 0
    lines: int = 0
    file_bytes: int = 0
    total_amount: str = ""
    payable_elsewhere: int = 0  # other payable enrolments of the programme (expected: none)


def _cleanup() -> None:
    _clear_batches()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM payments_payeeaccount WHERE bank_name = %s", [BANK_MARK])
        cursor.execute(
            "DELETE FROM assistance_enrolment WHERE case_number LIKE %s", [ENROLMENT_PREFIX + "%"]
        )
        cursor.execute(
            "DELETE FROM assistance_assistanceapplication WHERE case_number LIKE %s",
            [ENROLMENT_PREFIX + "%"],
        )
        cursor.execute("DROP TABLE IF EXISTS bench_payroll_floor")


def _clear_batches() -> None:
    """The payroll's batches, lines, bank-file records and jobs (not the accounts)."""
    with transaction.atomic(), connection.cursor() as cursor:
        batches = "SELECT id FROM payments_paymentbatch WHERE programme = %s"
        cursor.execute(
            f"DELETE FROM payments_bankfileexport WHERE batch_id IN ({batches})",
            [PROGRAMME],
        )
        cursor.execute("DELETE FROM payments_paymentline WHERE programme = %s", [PROGRAMME])
        cursor.execute("DELETE FROM payments_paymentbatch WHERE programme = %s", [PROGRAMME])
        cursor.execute("DELETE FROM payments_overpayment WHERE programme = %s", [PROGRAMME])
        cursor.execute(
            "DELETE FROM jobs_jobchunk WHERE job_id IN (SELECT id FROM jobs_jobrun"
            " WHERE kind = 'payments.payroll' AND params->>'programme' = %s)",
            [PROGRAMME],
        )
        cursor.execute(
            "DELETE FROM jobs_jobrun WHERE kind = 'payments.payroll' AND params->>'programme' = %s",
            [PROGRAMME],
        )


def _staff() -> tuple[object, object]:
    from minzheng.kernel.accounts.models import Role, User
    from minzheng.kernel.accounts.services import staff_create
    from minzheng.kernel.regions.models import Region, RegionLevel

    city = Region.objects.get(level=RegionLevel.CITY)
    users = []
    for username, name in ((MAKER, "基准制单"), (CHECKER, "基准复核")):
        user = User.objects.filter(username=username).first() or staff_create(
            actor=None,
            username=username,
            full_name=name,
            password=None,
            grants=[(Role.CITY_ADMIN, city)],
        )
        users.append(user)
    return users[0], users[1]


def _pick_households(count: int) -> dict[str, np.ndarray]:
    """Households spread evenly over the register, with their current head and size."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM people_household")
        total = cursor.fetchone()[0]
        step = max(total // count, 1)
        cursor.execute(
            "SELECT h.id, m.person_id, h.region_id, split_part(r.path, '/', 2),"
            " (SELECT count(*) FROM people_membership x"
            "   WHERE x.household_id = h.id AND x.end_date IS NULL)"
            " FROM people_household h"
            " JOIN people_membership m ON m.household_id = h.id AND m.end_date IS NULL"
            "  AND m.relation = 'head'"
            " JOIN regions_region r ON r.id = h.region_id"
            " WHERE h.id %% %s = 0"
            " AND NOT EXISTS (SELECT 1 FROM payments_payeeaccount a"
            "   WHERE a.person_id = m.person_id AND a.status = 'active')"
            " ORDER BY h.id LIMIT %s",
            [step, count],
        )
        rows = cursor.fetchall()
    return {
        "household": np.array([r[0] for r in rows], dtype=np.int64),
        "person": np.array([r[1] for r in rows], dtype=np.int64),
        "region": np.array([r[2] for r in rows], dtype=np.int64),
        "county": np.array([r[3] for r in rows]),
        "members": np.array([r[4] for r in rows], dtype=np.int16),
    }


def _create_accounts(picked: dict[str, np.ndarray], seed: int) -> tuple[np.ndarray, list[str]]:
    """Payee accounts for the picked heads, in bulk; returns their ids and plain numbers."""
    from minzheng.common import crypto
    from minzheng.common.masking import mask_name
    from minzheng.kernel.payments.models import ACCOUNT_NUMBER_PURPOSE, PayeeAccount
    from minzheng.kernel.payments.services import mask_account_number
    from minzheng.kernel.people.models import Person

    rng = np.random.default_rng(seed)
    names = dict(Person.objects.filter(pk__in=picked["person"].tolist()).values_list("id", "name"))
    encrypt = crypto.encryptor(purpose=ACCOUNT_NUMBER_PURPOSE)
    index = crypto.indexer(purpose=ACCOUNT_NUMBER_PURPOSE)
    tails = rng.integers(0, 10**11, size=len(picked["person"]))
    numbers = [f"62220200{int(t):011d}" for t in tails]
    now = timezone.now()
    columns = (
        "created_at, updated_at, person_id, holder_name, holder_name_masked, bank_name,"
        " bank_code, account_number_ciphertext, account_number_digest, account_number_masked,"
        " status, closed_reason"
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM payments_payeeaccount")
            first_id = cursor.fetchone()[0]
        with (
            connection.connection.cursor() as cursor,
            cursor.copy(f"COPY payments_payeeaccount ({columns}) FROM STDIN") as copy,
        ):
            for person, number in zip(picked["person"].tolist(), numbers, strict=True):
                name = names[person]
                copy.write_row(
                    (
                        now,
                        now,
                        person,
                        name,
                        mask_name(name),
                        BANK_MARK,
                        "102335000011",
                        encrypt(number),
                        index(number),
                        mask_account_number(number),
                        "active",
                        "",
                    )
                )
        ids = list(
            PayeeAccount.objects.filter(bank_name=BANK_MARK, pk__gt=first_id)
            .order_by("pk")
            .values_list("pk", "person_id")
        )
    by_person = {person: pk for pk, person in ids}
    return (
        np.array([by_person[p] for p in picked["person"].tolist()], dtype=np.int64),
        numbers,
    )


def _enrol(picked: dict[str, np.ndarray], accounts: np.ndarray, seed: int) -> dict[str, int]:
    """Approved dibao applications and active enrolments of the picked households, in bulk,
    paying 100–1,200 yuan a month (whole fen) from the month before the payroll's to their
    heads' accounts (as approval sets it); returns the enrolments per county."""
    from minzheng.domains.assistance.models.casework import Programme

    rng = np.random.default_rng(seed + 1)
    amounts = rng.integers(10_000, 120_000, size=len(picked["household"]), dtype=np.int64)
    programme = Programme.objects.get(code=ENROLMENT_PROGRAMME).pk
    now = timezone.now()

    def array(values: np.ndarray) -> str:
        return "{" + ",".join(map(str, values.tolist())) + "}"

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO assistance_assistanceapplication (created_at, updated_at, case_number,"
            " channel, state, submitted_on, description, documents_received, missing_documents,"
            " emergency, appraisal_note, recommendation, proposed_amount, conflict_flag,"
            " conflict_note, decision_reason, approved_amount, approved_one_off, applicant_id,"
            " filed_region_id, household_id, region_id, programme_id, decided_on)"
            " SELECT %s, %s, %s || u.household, 'counter', 'enrolled', %s, '', '[]', '[]',"
            " false, '', 'approve', u.fen / 100.0, false, '', '', u.fen / 100.0, 0, u.person,"
            " u.region, u.household, u.region, %s, %s"
            " FROM unnest(%s::int8[], %s::int8[], %s::int8[], %s::int8[])"
            "  AS u(household, person, region, fen)",
            [
                now,
                now,
                ENROLMENT_PREFIX,
                ENROLMENT_START,
                programme,
                ENROLMENT_START,
                array(picked["household"]),
                array(picked["person"]),
                array(picked["region"]),
                array(amounts),
            ],
        )
        cursor.execute(
            "INSERT INTO assistance_enrolment (created_at, updated_at, case_number, county,"
            " covered_count, monthly_amount, one_off_amount, start_month, exit_reason, state,"
            " assessment, application_id, household_id, region_id, programme_id,"
            " payee_account_id)"
            " SELECT %s, %s, a.case_number, u.county, u.members, a.approved_amount, 0, %s, '',"
            " 'active', '{}', a.id, a.household_id, a.region_id, a.programme_id, u.account"
            " FROM assistance_assistanceapplication a"
            " JOIN unnest(%s::int8[], %s::text[], %s::int2[], %s::int8[])"
            "  AS u(household, county, members, account) ON u.household = a.household_id"
            " WHERE a.case_number LIKE %s",
            [
                now,
                now,
                ENROLMENT_START,
                array(picked["household"]),
                array(picked["county"]),
                array(picked["members"]),
                array(accounts),
                ENROLMENT_PREFIX + "%",
            ],
        )
        by_county = enrolments_by_county(cursor, ENROLMENT_PREFIX)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE assistance_assistanceapplication")
        cursor.execute("ANALYZE assistance_enrolment")
    return by_county


def _payable_elsewhere(month: dt.date) -> int:
    """Payable enrolments of the programme that are not the benchmark's (they would be paid
    too: the benchmark expects none)."""
    from minzheng.domains.assistance.selectors.casework import enrolments_payable

    return (
        enrolments_payable(month=month, programme=ENROLMENT_PROGRAMME)
        .exclude(case_number__startswith=ENROLMENT_PREFIX)
        .count()
    )


def _payroll(month: dt.date, maker: object, checker: object, folder: str) -> dict[str, float]:
    from minzheng.kernel.jobs.services import job_run_chunk
    from minzheng.kernel.payments.jobs import payroll_start
    from minzheng.kernel.payments.models import PaymentBatch
    from minzheng.kernel.payments.services import (
        payment_batch_approve,
        payment_batch_export,
        payment_batch_submit,
    )

    phases: dict[str, float] = {}
    t0 = time.perf_counter()
    job = payroll_start(actor=maker, programme=PROGRAMME, month=month, enqueue=False)  # type: ignore[arg-type]
    for chunk in job.chunks.values_list("key", flat=True):
        job_run_chunk(job_id=job.pk, key=chunk)
    t1 = time.perf_counter()
    batches = list(PaymentBatch.objects.filter(programme=PROGRAMME, month=month))
    for batch in batches:
        submitted = payment_batch_submit(actor=maker, batch=batch)  # type: ignore[arg-type]
        payment_batch_approve(actor=checker, batch=submitted)  # type: ignore[arg-type]
    t2 = time.perf_counter()
    for batch in batches:
        with open(os.path.join(folder, f"bank-{batch.pk}.csv"), "wb") as out:
            payment_batch_export(actor=checker, batch=batch, out=out)  # type: ignore[arg-type]
    t3 = time.perf_counter()
    phases["generate"] = t1 - t0
    phases["approve"] = t2 - t1
    phases["bank file"] = t3 - t2
    phases["total"] = t3 - t0
    return phases


def _run_chunk(job_id: int, key: str) -> None:
    from minzheng.kernel.jobs.services import job_run_chunk

    job_run_chunk(job_id=job_id, key=key)


def _export(batch_id: int, checker_id: int, path: str) -> None:
    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.payments.models import PaymentBatch
    from minzheng.kernel.payments.services import payment_batch_export

    batch = PaymentBatch.objects.get(pk=batch_id)
    with open(path, "wb") as out:
        payment_batch_export(actor=User.objects.get(pk=checker_id), batch=batch, out=out)


def _payroll_parallel(
    month: dt.date, maker: object, checker: object, folder: str
) -> dict[str, float]:
    """The same payroll as deployed: the job's county chunks and the batches' bank files on
    WORKERS processes (forked, each with its own connection), as Celery workers run them;
    submission and approval in this process."""
    from minzheng.kernel.payments.jobs import payroll_start
    from minzheng.kernel.payments.models import PaymentBatch
    from minzheng.kernel.payments.services import payment_batch_approve, payment_batch_submit

    phases: dict[str, float] = {}
    context = multiprocessing.get_context("fork")
    t0 = time.perf_counter()
    job = payroll_start(actor=maker, programme=PROGRAMME, month=month, enqueue=False)  # type: ignore[arg-type]
    keys = list(job.chunks.values_list("key", flat=True))
    connections.close_all()  # a forked child must not share the parent's connection
    with context.Pool(WORKERS) as pool:
        pool.starmap(_run_chunk, [(job.pk, key) for key in keys], chunksize=1)
    t1 = time.perf_counter()
    batches = list(PaymentBatch.objects.filter(programme=PROGRAMME, month=month))
    for batch in batches:
        submitted = payment_batch_submit(actor=maker, batch=batch)  # type: ignore[arg-type]
        payment_batch_approve(actor=checker, batch=submitted)  # type: ignore[arg-type]
    t2 = time.perf_counter()
    batches.sort(key=lambda batch: -batch.line_count)  # the largest first
    jobs = [
        (batch.pk, checker.pk, os.path.join(folder, f"bank-{batch.pk}.csv"))  # type: ignore[attr-defined]
        for batch in batches
    ]
    connections.close_all()
    with context.Pool(WORKERS) as pool:
        pool.starmap(_export, jobs, chunksize=1)
    t3 = time.perf_counter()
    phases["generate"] = t1 - t0
    phases["approve"] = t2 - t1
    phases["bank file"] = t3 - t2
    phases["total"] = t3 - t0
    return phases


_LINE_COLUMNS = (
    "batch_id, programme, beneficiary_kind, beneficiary_id, month, for_month, kind, amount,"
    " members, region_id, payee_account_id, holder_name, holder_name_masked,"
    " account_number_ciphertext, account_number_masked, bank_code, bank_name, status,"
    " return_reason, created_at"
)


def _floor(month: dt.date, plain_numbers: dict[int, str], folder: str) -> dict[str, float]:
    """COPY the same line rows into a bare table and write the same CSV from memory."""
    from minzheng.kernel.payments.bankfile import HEADER, purpose_text

    raw = connection.connection
    select = (
        f"SELECT {_LINE_COLUMNS} FROM payments_paymentline"
        f" WHERE programme = '{PROGRAMME}' ORDER BY id"
    )
    payload = io.BytesIO()
    with raw.cursor() as cursor, cursor.copy(f"COPY ({select}) TO STDOUT (FORMAT BINARY)") as copy:
        for data in copy:
            payload.write(data)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, holder_name, payee_account_id, bank_code, bank_name, amount, kind,"
            " for_month FROM payments_paymentline WHERE programme = %s ORDER BY id",
            [PROGRAMME],
        )
        rows = [
            [
                i + 1,
                r[1],
                plain_numbers[r[2]],
                r[3],
                r[4],
                f"{r[5]:.2f}",
                purpose_text(r[6], r[7], LABEL),
                r[0],
            ]
            for i, r in enumerate(cursor.fetchall())
        ]
    phases: dict[str, float] = {}
    shapes = {
        # The line table's own shape: its indexes (primary key, the unique key, the batch
        # order) and checks, no foreign keys, no join, no conflict handling.
        "copy": "CREATE TABLE bench_payroll_floor (LIKE payments_paymentline INCLUDING ALL)",
        # A bare heap: no index, no constraint (shown for reference).
        "copy bare": (
            "CREATE TABLE bench_payroll_floor"
            " (LIKE payments_paymentline INCLUDING IDENTITY INCLUDING DEFAULTS)"
        ),
    }
    for phase, create in shapes.items():
        checkpoint()
        t0 = time.perf_counter()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(create)
            with (
                raw.cursor() as cursor,
                cursor.copy(
                    f"COPY bench_payroll_floor ({_LINE_COLUMNS}) FROM STDIN (FORMAT BINARY)"
                ) as copy,
            ):
                copy.write(payload.getvalue())
        phases[phase] = time.perf_counter() - t0
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_payroll_floor")
    t1 = time.perf_counter()
    with open(os.path.join(folder, "floor.csv"), "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    phases["csv"] = time.perf_counter() - t1
    phases["total"] = phases["copy"] + phases["csv"]
    phases["total bare"] = phases["copy bare"] + phases["csv"]
    return phases


def run(
    *, households: int = 150_000, seed: int = 1, month: dt.date | None = None
) -> PayrollFigures:
    from minzheng.domains.assistance.payroll import monthly_entitlements_query
    from minzheng.kernel.payments.jobs import (
        ENTITLEMENT_SOURCES,
        EntitlementSource,
        register_entitlement_source,
    )
    from minzheng.kernel.payments.models import PaymentBatch, PaymentLine

    figures = PayrollFigures(month=month or dt.date(2026, 12, 1))
    _cleanup()
    started = time.perf_counter()
    compact(ENROLMENT_TABLES)
    maker, checker = _staff()
    picked = _pick_households(households)
    account_ids, numbers = _create_accounts(picked, seed)
    by_county = _enrol(picked, account_ids, seed)
    figures.payable_elsewhere = _payable_elsewhere(figures.month)
    plain = dict(zip(account_ids.tolist(), numbers, strict=True))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE payments_payeeaccount")
    # What autovacuum keeps up on a production server: the visibility of the register's and
    # the enrolments' pages (the head and account look-ups read their indexes alone then).
    vacuum_if_needed(
        [
            "payments_payeeaccount",
            "people_membership",
            "assistance_assistanceapplication",
            "assistance_enrolment",
        ]
    )
    compact(LINE_TABLES)
    # The dibao source as deployed (its query, run by the writer in the database), under
    # the benchmark's programme code.
    register_entitlement_source(
        EntitlementSource(
            programme=PROGRAMME,
            label=LABEL,
            query=lambda county, month: monthly_entitlements_query(
                ENROLMENT_PROGRAMME, county, month
            ),
        )
    )
    figures.setup_seconds = time.perf_counter() - started
    figures.households = sum(by_county.values())
    figures.counties = len(by_county)
    try:
        with tempfile.TemporaryDirectory(prefix="mz-payroll-") as folder:
            checkpoint()
            figures.phases = _payroll(figures.month, maker, checker, folder)
            batches = PaymentBatch.objects.filter(programme=PROGRAMME, month=figures.month)
            figures.lines = sum(b.line_count for b in batches)
            figures.total_amount = f"{sum(b.total_amount for b in batches):,.2f}"
            figures.file_bytes = sum(
                os.path.getsize(os.path.join(folder, name))
                for name in os.listdir(folder)
                if name.startswith("bank-")
            )
            figures.floor = _floor(figures.month, plain, folder)
        _clear_batches()
        compact(LINE_TABLES)
        with tempfile.TemporaryDirectory(prefix="mz-payroll-") as folder:
            checkpoint()
            figures.parallel = _payroll_parallel(figures.month, maker, checker, folder)
            figures.parallel_lines = PaymentLine.objects.filter(
                programme=PROGRAMME, month=figures.month
            ).count()
    finally:
        ENTITLEMENT_SOURCES.pop(PROGRAMME, None)
        _cleanup()
    return figures


def show(figures: PayrollFigures) -> None:
    a = figures.phases["total"]
    b = figures.floor["total"]
    p = figures.phases
    print(
        f"payroll {figures.month:%Y-%m}: {figures.households:,} enrolled households in "
        f"{figures.counties} counties, {figures.lines:,} lines, {figures.total_amount} yuan "
        f"(setup, untimed: {figures.setup_seconds:.1f} s)"
    )
    if figures.payable_elsewhere:
        print(
            f"  note: {figures.payable_elsewhere:,} other payable {ENROLMENT_PROGRAMME}"
            " enrolments were paid too (left by another run?)"
        )
    print(
        f"  (a) generate → approve → bank file: {a:.2f} s (generate {p['generate']:.2f} s,"
        f" approve {p['approve']:.2f} s, bank file {p['bank file']:.2f} s,"
        f" {figures.file_bytes / 1e6:.1f} MB)  target ≤ 10 s"
    )
    f = figures.floor
    print(
        f"  (b) floor, COPY of the same rows into a table of the line table's shape (its"
        f" indexes and checks, no foreign keys) + the same CSV without decryption: {b:.2f} s "
        f"(copy {f['copy']:.2f} s, csv {f['csv']:.2f} s)"
    )
    print(f"      a/b = {a / b:.2f}  target ≤ 2")
    q = figures.parallel
    if q:
        print(
            f"  (a∥) the same, the job's chunks and the bank files on {WORKERS} worker processes:"
            f" {q['total']:.2f} s (generate {q['generate']:.2f} s, approve {q['approve']:.2f} s,"
            f" bank file {q['bank file']:.2f} s; {figures.parallel_lines:,} lines)"
            f"  a∥/b = {q['total'] / b:.2f}  target ≤ 2"
        )
    print(
        f"  (b0) the same into a bare table without indexes: {f['total bare']:.2f} s "
        f"(copy {f['copy bare']:.2f} s); a/b0 = {a / f['total bare']:.2f}"
    )
