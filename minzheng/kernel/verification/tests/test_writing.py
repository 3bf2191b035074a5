"""The binary COPY writer stores exactly what the portable INSERT writer stores."""

from __future__ import annotations

import struct

import pytest
from django.db import connection, transaction

from minzheng.kernel.regions.models import Region
from minzheng.kernel.verification.models import BatchStatus, SourceBatch, SourceRecord
from minzheng.kernel.verification.validation import ValidRows
from minzheng.kernel.verification.writing import (
    COPY_HEADER,
    COPY_TRAILER,
    CopyWriter,
    InsertWriter,
    _binary_rows,
    _date,
    _Field,
    _int4,
    _int8,
    _jsonb,
    _numeric,
    _text,
    batch_partition,
    delete_batch_records,
)

STORED = (
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


def test_a_binary_stream_puts_fixed_size_fields_first():
    columns, stream = _binary_rows(
        [
            _Field("person", [7, None], _int8),
            _Field("name", ["a", "张"], _text),
            _Field("payload", ["{}", "{}"], _jsonb),
            _Field("day", ["2000-01-02", "1999-12-31"], _date),
        ]
    )
    assert columns == ["payload", "day", "person", "name"]
    first = struct.pack(">hi", 4, 3) + b"\x01{}" + struct.pack(">ii", 4, 1)
    first += struct.pack(">iqi", 8, 7, 1) + b"a"
    second = struct.pack(">hi", 4, 3) + b"\x01{}" + struct.pack(">ii", 4, -1)
    second += struct.pack(">ii", -1, 3) + "张".encode()
    assert stream == COPY_HEADER + first + second + COPY_TRAILER


def test_a_chunk_of_fixed_size_fields_is_one_array():
    columns, stream = _binary_rows(
        [_Field("quantity", ["1", "2"], _int4), _Field("amount", ["5", "5"], _numeric)]
    )
    assert columns == ["quantity", "amount"]
    row = struct.pack(">hi", 2, 4)
    assert stream == (
        COPY_HEADER
        + row
        + struct.pack(">ii8h", 1, 16, 4, 2, 0, 2, 0, 0, 5, 0)
        + row
        + struct.pack(">ii8h", 2, 16, 4, 2, 0, 2, 0, 0, 5, 0)
        + COPY_TRAILER
    )


def test_amounts_become_numerics_of_four_base_10000_digits():
    def digits(value: str) -> tuple[int, ...]:
        head = struct.unpack(">8h", _numeric(value))
        assert head[:4] == (4, 2, 0, 2)  # digit count, weight, sign, scale
        return head[4:]

    assert digits("0") == (0, 0, 0, 0)
    assert digits("0.5") == (0, 0, 0, 5000)
    assert digits("0.07") == (0, 0, 0, 700)
    assert digits("1234.56") == (0, 0, 1234, 5600)
    assert digits("999999999999.99") == (9999, 9999, 9999, 9900)


def _batch(world, source, name: str) -> SourceBatch:
    return SourceBatch.objects.create(
        source=source,
        region=Region.objects.order_by("pk").first(),
        file_name=name,
        file_format="csv",
        checksum=name.ljust(64, "0"),
        status=BatchStatus.IMPORTED,
    )


def _rows(world, stranger_digest: str) -> ValidRows:
    head = world.families["xinjia"].head
    spouse = world.families["xinjia"].members[1]
    digests = [head.id_number_digest, spouse.id_number_digest, stranger_digest] * 2
    return ValidRows(
        lines=list(range(2, 8)),
        digest=digests,
        masked=["330402********1234", "330402********5678", "330483********0011"] * 2,
        name=["张建国", None, "back\\slash", 'O\'Brien "x"', "", "李秀张"],
        item=["wage", "wage", None, "养老金", "wage", "wage"],
        period_start=[
            "2025-01-01",
            "1950-01-01",
            "2025-02-01",
            "2000-01-01",
            "1999-12-31",
            "2026-03-15",
        ],
        period_end=[
            "2025-01-31",
            "1950-01-31",
            "2025-02-28",
            "2000-01-31",
            "1999-12-31",
            "2026-03-15",
        ],
        amount=["6200", "3100.5", None, "0", "999999999999.99", "0.07"],
        area=[None, "12.5", "99999999.99", None, "0", "3"],
        quantity=["1", None, "999999999", "0", None, "42"],
        reference=["某\\公司", None, "", "tab\tless", "乙", "\\N"],
        payload=[
            "{}",
            '{"备注": "a\\\\b", "n": 1}',
            '{"x": "\\"quoted\\""}',
            "{}",
            '{"nested": {"k": [1, 2]}}',
            "{}",
        ],
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY exists only on PostgreSQL")
@pytest.mark.django_db(transaction=False)
def test_binary_copy_stores_the_same_columns_as_insert(world, wage_source):
    stranger = "f" * 32
    stored = {}
    for name, writer_class in (("copy", CopyWriter), ("insert", InsertWriter)):
        batch = _batch(world, wage_source, name)
        writer = writer_class(batch_id=batch.pk, source_id=wage_source.pk)
        rows = _rows(world, stranger)
        writer.write(rows)
        writer.write(rows)  # the second chunk finds its persons in the cache
        full = _rows(world, stranger)  # every amount and person present: numpy paths
        full.amount = ["1", "2.5", "0.07", "999999999999.99", "31000", "0"]
        full.person = [world.families["xinjia"].head.pk] * 6
        writer.write(full)
        writer.finish()
        writer.close()
        assert writer.linked == 14
        stored[name] = list(
            SourceRecord.objects.filter(batch=batch).order_by("id").values_list(*STORED)
        )
    assert len(stored["copy"]) == 18
    assert stored["copy"] == stored["insert"]
    # Decimals compare equal whatever their scale: the text shows the stored scale too.
    assert [list(map(str, r)) for r in stored["copy"]] == [
        list(map(str, r)) for r in stored["insert"]
    ]
    assert str(stored["copy"][0][8]) == "6200.00"
    first = stored["copy"][0]
    assert first[1] == world.families["xinjia"].head.pk
    assert stored["copy"][2][1] is None  # the stranger is not linked


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY exists only on PostgreSQL")
def test_binary_copy_takes_the_persons_the_caller_knows(world, wage_source):
    batch = _batch(world, wage_source, "known")
    head = world.families["xinjia"].head
    rows = _rows(world, "e" * 32)
    rows.person = [head.pk, None, None, head.pk, None, None]
    writer = CopyWriter(batch_id=batch.pk, source_id=wage_source.pk)
    writer.write(rows)
    writer.finish()
    writer.close()
    assert writer.linked == 2
    persons = list(
        SourceRecord.objects.filter(batch=batch).order_by("id").values_list("person_id", flat=True)
    )
    assert persons == [head.pk, None, None, head.pk, None, None]


def test_numpy_encodes_a_column_of_amounts_as_each_amount_alone():
    values = ["0", "0.07", "3100.5", "1234.56", "999999999999.99", "100000000", "0.1"]
    field = _Field("amount", values, _numeric)
    assert field.array is not None  # every amount present: the numpy path
    assert [bytes(row) for row in field.array] == [
        struct.pack(">i", 16) + _numeric(v) for v in values
    ]
    with_missing = _Field("amount", [*values, None], _numeric)
    assert with_missing.pieces is not None
    assert with_missing.pieces[:-1] == [bytes(row) for row in field.array]
    assert with_missing.pieces[-1] == struct.pack(">i", -1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions exist only on PostgreSQL")
def test_a_batch_is_a_partition_of_its_own_attached_when_complete(world, wage_source):
    batch = _batch(world, wage_source, "partition")
    partition = batch_partition(batch.pk)
    writer = CopyWriter(batch_id=batch.pk, source_id=wage_source.pk)
    writer.write(_rows(world, "d" * 32))
    writer.write(_rows(world, "d" * 32))
    writer._wait()
    # Written but not complete: the rows are in a table of their own, not yet in the parent.
    assert not SourceRecord.objects.filter(batch=batch).exists()
    writer.finish()
    writer.close()
    assert SourceRecord.objects.filter(batch=batch).count() == 12
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = %s::regclass",
            [partition],
        )
        assert cursor.fetchall() == [(SourceRecord._meta.db_table,)]
        # The partition's indexes were attached to the parent's, not built a second time.
        cursor.execute(
            "SELECT count(*) FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass",
            [partition],
        )
        assert cursor.fetchone() == (3,)
    # A second write of the same batch goes through the parent into the same partition.
    again = CopyWriter(batch_id=batch.pk, source_id=wage_source.pk)
    again.write(_rows(world, "d" * 32))
    again.finish()
    again.close()
    assert SourceRecord.objects.filter(batch=batch).count() == 18
    delete_batch_records(batch.pk)
    assert not SourceRecord.objects.filter(batch=batch).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [partition])
        assert cursor.fetchone() == (None,)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions exist only on PostgreSQL")
def test_a_rolled_back_write_leaves_no_partition(world, wage_source):
    batch = _batch(world, wage_source, "rolled back")
    with pytest.raises(RuntimeError), transaction.atomic():
        writer = CopyWriter(batch_id=batch.pk, source_id=wage_source.pk)
        writer.write(_rows(world, "c" * 32))
        writer.finish()
        writer.close()
        raise RuntimeError
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [batch_partition(batch.pk)])
        assert cursor.fetchone() == (None,)
    assert not SourceRecord.objects.filter(batch=batch).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions exist only on PostgreSQL")
def test_columns_left_out_of_a_copy_get_the_partition_defaults(world, wage_source):
    """A chunk where every row has no name, reference, payload or amount sends none of
    those columns: the batch's partition fills in what the row writer would store."""
    stored = {}
    for name, writer_class in (("copy", CopyWriter), ("insert", InsertWriter)):
        batch = _batch(world, wage_source, f"defaults {name}")
        rows = _rows(world, "b" * 32)
        rows.name = [None] * 6
        rows.reference = [""] * 6
        rows.payload = ["{}"] * 6
        rows.amount = rows.area = rows.quantity = [None] * 6
        writer = writer_class(batch_id=batch.pk, source_id=wage_source.pk)
        writer.write(rows)
        writer.finish()
        writer.close()
        stored[name] = list(
            SourceRecord.objects.filter(batch=batch)
            .order_by("id")
            .values_list("name", "reference", "payload", "amount", "area", "quantity", "item")
        )
    assert stored["copy"] == stored["insert"]
    assert stored["copy"][0] == ("", "", {}, None, None, None, "wage")
