"""Importing source files: all-or-nothing, every bad row named, accepting the valid part."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count

from minzheng.common.errors import Conflict, PermissionRefused
from minzheng.kernel.verification.models import BatchStatus, SourceRecord
from minzheng.kernel.verification.services import (
    source_batch_accept,
    source_batch_discard,
    source_batch_import,
)
from minzheng.kernel.verification.tests.conftest import (
    TODAY,
    WAGE_HEADER,
    csv_bytes,
    stranger_id,
    upload,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def _bad_check_digit(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


def _broken_rows(world, id_of) -> list[list[object]]:
    head = id_of(world.families["xinjia"].head)
    spouse = id_of(world.families["xinjia"].members[1])
    return [
        WAGE_HEADER,
        [head, "张建国", "2025-01", "wage", "6200.00", "嘉兴某公司"],  # 2 valid
        [_bad_check_digit(spouse), "李秀张", "2025-01", "wage", "3100", "嘉兴某公司"],  # 3 id
        [head, "张建国", "2025-13", "wage", "6200.00", "嘉兴某公司"],  # 4 impossible month
        [spouse, "李秀张", "2025-02", "wage", "", "嘉兴某公司"],  # 5 missing amount
        [spouse, "李秀张", "2025-03", "wage", "三千", "嘉兴某公司"],  # 6 text in number
        [head, "张建国", "2025-01", "wage", "6200.00", "嘉兴某公司"],  # 7 duplicate of 2
        [spouse, "李秀张", "2025-04", "wage", "3100.50", "嘉兴某公司"],  # 8 valid
        [stranger_id(1), "赵六", "2025-04", "wage", "4000", ""],  # 9 valid, not in register
    ]


EXPECTED = [
    (3, "id_number", "id_number_check"),
    (4, "month", "bad_month"),
    (5, "amount", "missing"),
    (6, "amount", "bad_number"),
    (7, "", "duplicate_row"),
]


def _errors(batch) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.code) for e in batch.row_errors.order_by("line", "id")]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_broken_file_writes_nothing_and_names_every_bad_row(world, wage_source, id_of, kind):
    rows = _broken_rows(world, id_of)
    data = csv_bytes(rows) if kind == "csv" else xlsx_bytes(rows)
    batch = source_batch_import(
        actor=world.city_admin,
        source=wage_source,
        file=upload(data, f"wages.{kind}"),
        file_name=f"wages.{kind}",
        today=TODAY,
    )
    assert batch.status == BatchStatus.REJECTED
    assert SourceRecord.objects.count() == 0
    assert _errors(batch) == EXPECTED
    assert (batch.row_count, batch.valid_count, batch.invalid_count) == (8, 3, 5)
    assert batch.imported_count == 0
    messages = {e.code: e.messages for e in batch.row_errors.all()}
    assert "check character" in messages["id_number_check"]["en"]
    assert "2025-13" in messages["bad_month"]["en"]
    assert "line 2" in messages["duplicate_row"]["en"]
    shown = batch.row_errors.get(code="id_number_check").value
    assert "*" in shown and len(shown) == 18


def test_accepting_the_valid_part_writes_exactly_the_valid_rows(world, wage_source, id_of):
    batch = source_batch_import(
        actor=world.city_admin,
        source=wage_source,
        file=upload(csv_bytes(_broken_rows(world, id_of))),
        file_name="wages.csv",
        today=TODAY,
    )
    assert batch.can_accept and batch.pending_file
    batch = source_batch_accept(actor=world.city_admin, batch=batch)
    assert batch.status == BatchStatus.PARTIAL and batch.accepted_partial
    records = list(SourceRecord.objects.order_by("id"))
    assert [(str(r.period_start), str(r.amount)) for r in records] == [
        ("2025-01-01", "6200.00"),
        ("2025-04-01", "3100.50"),
        ("2025-04-01", "4000.00"),
    ]
    head, spouse, _ = world.families["xinjia"].members
    assert [r.person_id for r in records] == [head.pk, spouse.pk, None]
    assert batch.imported_count == 3 and batch.linked_count == 2
    assert batch.pending_file == ""
    with pytest.raises(Conflict):
        source_batch_accept(actor=world.city_admin, batch=batch)


def test_a_clean_file_imports_and_the_same_file_is_refused_twice(world, wage_source, id_of):
    head = id_of(world.families["xinjia"].head)
    data = csv_bytes(
        [
            WAGE_HEADER,
            *[[head, "张建国", f"2025-{m:02d}", "wage", "6200", "某公司"] for m in range(1, 13)],
        ],
        bom=True,
    )
    batch = source_batch_import(
        actor=world.city_admin,
        source=wage_source,
        file=upload(data),
        file_name="a.csv",
        today=TODAY,
    )
    assert batch.status == BatchStatus.IMPORTED
    assert batch.imported_count == 12 == SourceRecord.objects.count()
    assert set(SourceRecord.objects.values_list("person_id", flat=True)) == {
        world.families["xinjia"].head.pk
    }
    record = SourceRecord.objects.first()
    assert record.id_number_masked == head[:6] + "********" + head[-4:]
    assert head not in str(record.payload)
    with pytest.raises(Conflict) as refused:
        source_batch_import(
            actor=world.city_admin, source=wage_source, file=upload(data), file_name="b.csv"
        )
    assert refused.value.code == "same_file"
    assert SourceRecord.objects.count() == 12


def test_gb18030_csv_is_read(world, wage_source, id_of):
    head = id_of(world.families["xinjia"].head)
    data = csv_bytes(
        [WAGE_HEADER, [head, "张建国", "2025-01", "工资薪金所得", "6200", "某公司"]],
        encoding="gb18030",
    )
    batch = source_batch_import(
        actor=world.city_admin,
        source=wage_source,
        file=upload(data),
        file_name="g.csv",
        today=TODAY,
    )
    assert batch.status == BatchStatus.IMPORTED
    record = SourceRecord.objects.get()
    assert (record.name, record.item, record.reference) == ("张建国", "wage", "某公司")


def test_discarding_keeps_nothing(world, wage_source, id_of):
    batch = source_batch_import(
        actor=world.city_admin,
        source=wage_source,
        file=upload(csv_bytes(_broken_rows(world, id_of))),
        file_name="wages.csv",
        today=TODAY,
    )
    batch = source_batch_discard(actor=world.city_admin, batch=batch)
    assert batch.status == BatchStatus.DISCARDED and not batch.pending_file
    assert SourceRecord.objects.count() == 0


def test_only_importers_import(world, wage_source, id_of):
    with pytest.raises(PermissionRefused):
        source_batch_import(
            actor=world.town_clerk,
            source=wage_source,
            file=upload(csv_bytes(_broken_rows(world, id_of))),
            file_name="wages.csv",
        )


def test_a_file_with_unknown_columns_fails_as_a_whole(world, wage_source):
    batch = source_batch_import(
        actor=world.county_approver,
        source=wage_source,
        file=upload(csv_bytes([["身份证", "金额"], ["1", "2"]])),
        file_name="x.csv",
    )
    assert batch.status == BatchStatus.FAILED
    assert "身份证" in batch.problem["en"]
    assert batch.region.code == "330402"


def test_a_large_plain_file_links_persons_across_chunks_and_keeps_text_as_sent(
    world, wage_source, id_of, monkeypatch
):
    """Small blocks: the fast path, the per-chunk person look-up and its cache all run."""
    from minzheng.kernel.verification import reading

    monkeypatch.setattr(reading, "READ_BLOCK", 300)
    head = id_of(world.families["xinjia"].head)
    spouse = world.families["xinjia"].members[1]
    rows = [WAGE_HEADER]
    for month in range(1, 13):
        rows.append([head, "张建国", f"2025-{month:02d}", "wage", "6200", "某\\公司"])
        rows.append([id_of(spouse), "李秀张", f"2025-{month:02d}", "wage", "3100.5", ""])
        rows.append([stranger_id(month), "赵六", f"2025-{month:02d}", "wage", "4000", "乙"])
    batch = source_batch_import(
        actor=world.city_admin,
        source=wage_source,
        file=upload(csv_bytes(rows)),
        file_name="many.csv",
        today=TODAY,
    )
    assert batch.status == BatchStatus.IMPORTED
    assert batch.imported_count == 36 == SourceRecord.objects.count()
    assert batch.linked_count == 24
    by_person = {
        (person, reference): count
        for person, reference, count in SourceRecord.objects.values_list("person_id", "reference")
        .order_by()
        .annotate(count=Count("id"))
    }
    assert by_person == {
        (world.families["xinjia"].head.pk, "某\\公司"): 12,
        (spouse.pk, ""): 12,
        (None, "乙"): 12,
    }
    amounts = set(SourceRecord.objects.filter(person=spouse).values_list("amount", flat=True))
    assert amounts == {Decimal("3100.50")}
    first = SourceRecord.objects.order_by("id").first()
    assert (first.period_start, first.period_end) == (dt.date(2025, 1, 1), dt.date(2025, 1, 31))
