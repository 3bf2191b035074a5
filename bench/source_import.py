"""A 1 M-row source import through the real service: rows per second and peak memory.

The file is a social-insurance file of monthly contribution bases: persons of the register
(their ID numbers decrypted from the bench database) with twelve months each, topped up
with synthetic valid ID numbers when the register is small, plus a share of persons who
appear once (so ID-number checks and digests are not all cached). Writing the file is not
timed; the import (checksum, validation, digest look-up, COPY) is. The batch and its
records are removed afterwards so the benchmark can run again on the same database.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import tempfile
import time
from dataclasses import dataclass

from django.db import connection, transaction

from bench.database import vacuum_if_needed
from bench.seeding import peak_rss_mb
from minzheng.common import crypto
from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.models import ID_NUMBER_PURPOSE, Person
from minzheng.kernel.verification import importing, splitting
from minzheng.kernel.verification.models import DataSource, SourceBatch, SourceRecord
from minzheng.kernel.verification.services import source_batch_import
from minzheng.kernel.verification.writing import delete_batch_records

HEADER = ["公民身份号码", "姓名", "所属月份", "项目", "月金额（元）", "参保单位"]
MONTHS = [f"2025-{month:02d}" for month in range(1, 13)]
EMPLOYERS = [
    "嘉兴市禾城纺织有限公司",
    "浙江嘉欣丝绸股份有限公司",
    "嘉兴港区物流有限公司",
    "南湖区某某商行",
]
ONCE_SHARE = 0.1  # of the rows: persons with a single month (new IDs to check and index)


@dataclass(frozen=True)
class ImportFigures:
    rows: int
    file_mb: float
    seconds: float
    linked: int
    rss_before_mb: float
    rss_peak_mb: float
    status: str
    hooks_seconds: float = 0.0
    processes: int = 1


def _register_ids(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(ID number, name) of up to `count` persons of the register, sampled by id range."""
    bounds = Person.objects.order_by("id").values_list("id", flat=True)
    low, high = bounds.first() or 0, bounds.last() or 0
    if not high:
        return []
    wanted = {rng.randint(low, high) for _ in range(count * 2)}
    rows = list(
        Person.objects.filter(pk__in=list(wanted)[: count * 2]).values_list(
            "id_number_ciphertext", "name"
        )[:count]
    )
    return [
        (crypto.decrypt(bytes(cipher), purpose=ID_NUMBER_PURPOSE), name) for cipher, name in rows
    ]


def _synthetic_ids(count: int, rng: random.Random, start: int) -> list[tuple[str, str]]:
    ids = []
    for index in range(count):
        born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 40 * 365))
        ids.append((make_id_number("330421", born, (start + index) % 999 + 1), "测试人员"))
    return ids


def write_file(path: str, *, rows: int, seed: int) -> tuple[int, int]:
    """Write the benchmark CSV; returns (rows, persons from the register)."""
    rng = random.Random(seed)
    monthly_rows = int(rows * (1 - ONCE_SHARE))
    monthly_persons = monthly_rows // len(MONTHS)
    once = rows - monthly_persons * len(MONTHS)
    people = _register_ids(monthly_persons + once, rng)
    from_register = len(people)
    if len(people) < monthly_persons + once:
        people += _synthetic_ids(monthly_persons + once - len(people), rng, len(people))
    written = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for number, name in people[:monthly_persons]:
            base = f"{rng.randint(2400, 30000)}.00"
            employer = rng.choice(EMPLOYERS)
            for month in MONTHS:
                out.writerow([number, name, month, "contribution_base", base, employer])
                written += 1
        for number, name in people[monthly_persons : monthly_persons + once]:
            out.writerow([number, name, rng.choice(MONTHS), "contribution_base", "2490", ""])
            written += 1
    return written, from_register


def run(*, rows: int, seed: int) -> ImportFigures:
    """Write the file, import it once through source_batch_import, clean up."""
    source = DataSource.objects.get(code="social_insurance")
    handle, path = tempfile.mkstemp(suffix=".csv", prefix="bench-source-")
    os.close(handle)
    try:
        started = time.perf_counter()
        written, from_register = write_file(path, rows=rows, seed=seed)
        size = os.path.getsize(path) / 2**20
        print(
            f"\n== Source import: {written:,} rows of social insurance "
            f"({size:,.0f} MB CSV; {from_register:,} persons from the register; "
            f"written in {time.perf_counter() - started:.1f} s, not timed) =="
        )
        vacuum_if_needed([SourceRecord._meta.db_table, SourceBatch._meta.db_table])
        processes = _processes_for(os.path.getsize(path))
        before = peak_rss_mb()
        with open(path, "rb") as file, transaction.atomic():
            # The after-import hooks (re-checks of enrolled households) run when this outer
            # transaction commits, after the timing: with a broker they run on a worker.
            started = time.perf_counter()
            batch = source_batch_import(
                actor=None, source=source, file=file, file_name="bench-social-insurance.csv"
            )
            seconds = time.perf_counter() - started
            hooks_started = time.perf_counter()
        hooks_seconds = time.perf_counter() - hooks_started
        figures = ImportFigures(
            rows=batch.row_count,
            file_mb=size,
            seconds=seconds,
            linked=batch.linked_count,
            rss_before_mb=before,
            rss_peak_mb=peak_rss_mb(),
            status=batch.status,
            hooks_seconds=hooks_seconds,
            processes=processes,
        )
        _remove(batch)
        return figures
    finally:
        os.unlink(path)


def _remove(batch: SourceBatch) -> None:
    """Delete the benchmark's batch and records (its partition on PostgreSQL)."""
    with transaction.atomic():
        delete_batch_records(batch.pk)
        batch.row_errors.all().delete()
        SourceBatch.objects.filter(pk=batch.pk).delete()


def _processes(figures: ImportFigures) -> int:
    """How many processes read the file (see minzheng.kernel.verification.splitting)."""
    return figures.processes


def _processes_for(size_bytes: int) -> int:
    """The processes the import will use for a plain CSV file of this size (the rule of
    importing._pieces: PostgreSQL, large enough, this process single-threaded)."""
    if connection.vendor != "postgresql" or size_bytes < splitting.min_bytes():
        return 1
    if not importing.single_threaded():
        return 1
    return min(splitting.processes(), 2)


def show(figures: ImportFigures) -> None:
    rate = figures.rows / figures.seconds if figures.seconds else 0.0
    print(f"status              {figures.status}")
    print(
        f"import              {figures.seconds:8.2f} s  {figures.rows:,} rows "
        f"{rate:>12,.0f} rows/s  (checksum, validation, digests, person look-up, "
        f"{'COPY' if connection.vendor == 'postgresql' else 'INSERT'}; "
        f"{_processes(figures)} process(es))"
    )
    print(f"matched to register {figures.linked:,} rows")
    print(
        f"after-import hooks  {figures.hooks_seconds:8.2f} s  (re-checks of enrolled households; "
        "not timed above: with a broker they run on a worker)"
    )
    print(
        f"peak RSS {figures.rss_peak_mb:,.0f} MB "
        f"(before the import {figures.rss_before_mb:,.0f} MB)"
    )
