"""A large plain CSV file read by two processes gives exactly what one process gives.

PostgreSQL only (the second process is used there alone), with committed test data: the
second process looks persons up on a connection of its own.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.db import connection

from minzheng.kernel.verification import importing, splitting
from minzheng.kernel.verification.models import BatchStatus, SourceBatch, SourceRecord
from minzheng.kernel.verification.services import source_batch_accept, source_batch_import
from minzheng.kernel.verification.tests.conftest import (
    TODAY,
    WAGE_HEADER,
    csv_bytes,
    stranger_id,
    upload,
)
from minzheng.kernel.verification.writing import batch_partition

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="two processes on PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

STORED = (
    "person_id",
    "id_number_digest",
    "id_number_masked",
    "name",
    "item",
    "period_start",
    "period_end",
    "amount",
    "reference",
    "payload",
)


def _rows(world, id_of, *, broken: bool) -> list[list[str]]:
    """About 1,200 rows: the register's persons and strangers, twelve months each; with
    `broken`, a bad row in each half and, in the second half, a duplicate of a first-half
    row."""
    members = [m for f in world.families.values() for m in f.members]
    people = [(id_of(m), m.name) for m in members] + [
        (stranger_id(n), "外地人员") for n in range(1, 100)
    ]
    rows = [WAGE_HEADER]
    for number, name in people:
        for month in range(1, 13):
            amount = f"{3000 + len(rows) % 997}.{len(rows) % 100:02d}"
            rows.append([number, name, f"2025-{month:02d}", "wage", amount, "嘉兴某公司"])
    if broken:
        half = len(rows) // 2
        rows[10][2] = "2025-13"  # first half: an impossible month
        rows[half + 40][4] = "三千"  # second half: text in a number
        rows.append(list(rows[5]))  # second half: a duplicate of line 6
    return rows


def _import(settings, data: bytes, name: str, processes: int, spy: list[int]) -> SourceBatch:
    settings.VERIFICATION_IMPORT_PROCESSES = processes
    settings.VERIFICATION_SPLIT_MIN_BYTES = 0
    before = len(spy)
    batch = source_batch_import(
        actor=None, source=_source(), file=upload(data, name), file_name=name, today=TODAY
    )
    assert len(spy) - before == (1 if processes == 2 else 0)  # the second process ran or not
    return batch


def _source():
    from minzheng.kernel.verification.models import DataSource

    return DataSource.objects.get(code="wage_tax")


def _records(batch: SourceBatch) -> Counter:
    rows = SourceRecord.objects.filter(batch=batch).values_list(*STORED)
    return Counter((*row[:-1], json.dumps(row[-1], sort_keys=True)) for row in rows)


@pytest.fixture
def spy(monkeypatch) -> list[int]:
    """A list that grows by one each time a second process starts.

    The suite's process may hold other threads (a live server of the browser tests, say),
    which would keep imports from forking; these tests look at the split itself, so they
    count this process as single-threaded (the rule is tested below).
    """
    monkeypatch.setattr(importing, "single_threaded", lambda: True)
    started: list[int] = []
    original = splitting.SecondPart.__init__

    def counting(self, job):
        started.append(job.pieces[0].offset)
        original(self, job)

    monkeypatch.setattr(splitting.SecondPart, "__init__", counting)
    return started


def test_a_clean_file_imports_the_same_rows_in_two_processes(world, id_of, settings, spy):
    data = csv_bytes(_rows(world, id_of, broken=False))
    one = _import(settings, data, "one.csv", 1, spy)
    two = _import(settings, data + b"# the same rows again\n", "two.csv", 2, spy)
    assert one.status == two.status == BatchStatus.IMPORTED
    assert (two.row_count, two.valid_count, two.imported_count, two.linked_count) == (
        one.row_count,
        one.valid_count,
        one.imported_count,
        one.linked_count,
    )
    assert one.linked_count > 0 and one.linked_count < one.row_count  # strangers unlinked
    assert _records(two) == _records(one)
    assert sum(_records(two).values()) == one.row_count


def test_bad_rows_in_both_halves_and_a_duplicate_across_them_are_found_alike(
    world, id_of, settings, spy
):
    data = csv_bytes(_rows(world, id_of, broken=True))
    one = _import(settings, data, "one.csv", 1, spy)
    two = _import(settings, data + b"# again\n", "two.csv", 2, spy)
    assert one.status == two.status == BatchStatus.REJECTED
    errors = [(e.line, e.column, e.code) for e in one.row_errors.order_by("line", "id")]
    assert [(e.line, e.column, e.code) for e in two.row_errors.order_by("line", "id")] == errors
    assert {code for _, _, code in errors} == {"bad_month", "bad_number", "duplicate_row"}
    assert errors[-1][2] == "duplicate_row" and errors[-1][0] == len(
        _rows(world, id_of, broken=True)
    )
    assert (two.row_count, two.valid_count, two.invalid_count) == (
        one.row_count,
        one.valid_count,
        one.invalid_count,
    )
    # Nothing was written, and the batch's new partition went with the rollback.
    assert not SourceRecord.objects.filter(batch__in=[one, two]).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [batch_partition(two.pk)])
        assert cursor.fetchone() == (None,)
    # Accepting the valid part reads the kept file in two processes again.
    settings.VERIFICATION_IMPORT_PROCESSES = 1
    one = source_batch_accept(actor=None, batch=one)
    settings.VERIFICATION_IMPORT_PROCESSES = 2
    started = len(spy)
    two = source_batch_accept(actor=None, batch=two)
    assert len(spy) == started + 1
    assert one.status == two.status == BatchStatus.PARTIAL
    assert two.imported_count == one.imported_count == one.valid_count
    assert _records(two) == _records(one)


def test_a_failing_second_process_fails_the_import_and_writes_nothing(
    world, id_of, settings, spy, monkeypatch
):
    def broken(job, send, lookup, send_bytes):
        raise ValueError("the disk went away")

    def tables() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_class WHERE relname LIKE %s",
                [SourceRecord._meta.db_table + "_b%"],
            )
            return cursor.fetchone()[0]

    monkeypatch.setattr(splitting, "_part_main", broken)
    data = csv_bytes(_rows(world, id_of, broken=False))
    before = tables()
    with pytest.raises(RuntimeError, match="the disk went away"):
        _import(settings, data, "broken.csv", 2, spy)
    assert not SourceBatch.objects.filter(file_name="broken.csv").exists()
    assert not SourceRecord.objects.exists()
    assert tables() == before  # the partition the import had begun went with the rollback


@pytest.mark.parametrize("room", [-10, -1100], ids=["over both parts", "over either part"])
def test_the_row_limit_counts_both_processes(world, id_of, settings, spy, room):
    rows = _rows(world, id_of, broken=False)
    settings.VERIFICATION_MAX_ROWS = len(rows) + room
    batch = _import(settings, csv_bytes(rows), f"long{room}.csv", 2, spy)
    assert batch.status == BatchStatus.FAILED
    assert str(len(rows) + room) in batch.problem["en"]
    assert not SourceRecord.objects.exists()


def test_a_process_with_another_thread_reads_the_file_alone(world, id_of, settings, monkeypatch):
    import threading

    started: list[int] = []
    original = splitting.SecondPart.__init__

    def counting(self, job):
        started.append(1)
        original(self, job)

    monkeypatch.setattr(splitting.SecondPart, "__init__", counting)
    settings.VERIFICATION_IMPORT_PROCESSES = 2
    settings.VERIFICATION_SPLIT_MIN_BYTES = 0
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        batch = source_batch_import(
            actor=None,
            source=_source(),
            file=upload(csv_bytes(_rows(world, id_of, broken=False)), "threads.csv"),
            file_name="threads.csv",
            today=TODAY,
        )
    finally:
        stop.set()
        other.join()
    assert started == []  # never forked while another thread ran
    assert batch.status == BatchStatus.IMPORTED and batch.imported_count == batch.row_count
