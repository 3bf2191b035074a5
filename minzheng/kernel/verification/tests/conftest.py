"""Fixtures of the verification tests: files built in memory, pending files in a temp folder."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.verification.models import DataSource

WAGE_HEADER = ["公民身份号码", "姓名", "所属月份", "所得项目", "收入额（元）", "扣缴义务人"]
TODAY = dt.date(2026, 3, 15)


@pytest.fixture(autouse=True)
def _pending_files(settings, tmp_path):
    settings.VERIFICATION_PENDING_ROOT = str(tmp_path / "pending")


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(data: bytes, name: str = "wages.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def stranger_id(sequence: int, born: dt.date = dt.date(1985, 6, 1)) -> str:
    """A valid ID number of somebody not in the test register."""
    return make_id_number("330483", born, sequence)


@pytest.fixture
def wage_source(db) -> DataSource:
    return DataSource.objects.get(code="wage_tax")


@pytest.fixture
def id_of() -> Callable:
    from minzheng.common import crypto
    from minzheng.kernel.people.models import ID_NUMBER_PURPOSE

    def _id(person) -> str:
        return crypto.decrypt(bytes(person.id_number_ciphertext), purpose=ID_NUMBER_PURPOSE)

    return _id
