"""Templates: a filled template imports cleanly, in both formats, for every source."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from minzheng.kernel.verification.models import BatchStatus, DataSource, SourceRecord
from minzheng.kernel.verification.services import source_batch_import
from minzheng.kernel.verification.spreadsheets import template_csv, template_xlsx
from minzheng.kernel.verification.tests.conftest import TODAY, upload

pytestmark = pytest.mark.django_db


def _row(source: DataSource, id_number: str) -> list[str]:
    return [id_number if c["type"] == "id_number" else c["example"] for c in source.columns]


@pytest.mark.parametrize(
    "code",
    [
        s["code"]
        for s in __import__("minzheng.kernel.verification.sources", fromlist=["SOURCES"]).SOURCES
    ],
)
def test_a_filled_csv_template_imports_cleanly(world, id_of, code):
    source = DataSource.objects.get(code=code)
    text = template_csv(source).decode("utf-8-sig")
    filled = text + "\r\n".join(
        ",".join(_row(source, id_of(person))) for person in world.families["xinjia"].members
    )
    batch = source_batch_import(
        actor=world.city_admin,
        source=source,
        file=upload(filled.encode("utf-8-sig")),
        file_name="t.csv",
        today=TODAY,
    )
    assert batch.status == BatchStatus.IMPORTED, list(batch.row_errors.values("line", "code"))
    assert batch.imported_count == 3 == SourceRecord.objects.count()
    assert next(csv.reader(io.StringIO(text)))[0] == "公民身份号码"


def test_a_filled_excel_template_imports_cleanly(world, id_of):
    source = DataSource.objects.get(code="social_insurance")
    workbook = load_workbook(io.BytesIO(template_xlsx(source)))
    assert workbook.sheetnames == ["数据 data", "填写说明 help"]
    sheet = workbook.worksheets[0]
    for person in world.families["xinjia"].members:
        sheet.append(_row(source, id_of(person)))
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch = source_batch_import(
        actor=world.city_admin,
        source=source,
        file=upload(buffer.getvalue(), "t.xlsx"),
        file_name="t.xlsx",
        today=TODAY,
    )
    assert batch.status == BatchStatus.IMPORTED, list(batch.row_errors.values("line", "code"))
    assert batch.file_format == "xlsx" and batch.imported_count == 3


def test_an_id_number_typed_as_a_number_in_excel_is_named(world, id_of):
    from minzheng.kernel.verification.tests.conftest import WAGE_HEADER, xlsx_bytes

    source = DataSource.objects.get(code="wage_tax")
    number = int(id_of(world.families["wangdian"].head)[:17] + "0")
    batch = source_batch_import(
        actor=world.city_admin,
        source=source,
        file=upload(
            xlsx_bytes([WAGE_HEADER, [float(number), "王建国", "2025-01", "wage", 100, ""]]),
            "n.xlsx",
        ),
        file_name="n.xlsx",
        today=TODAY,
    )
    error = batch.row_errors.get()
    assert (error.line, error.column, error.code) == (2, "id_number", "id_number_as_number")
