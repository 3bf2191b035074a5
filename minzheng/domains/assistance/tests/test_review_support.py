"""Shared set-up of the review tests (no tests here): enrolled households, source files."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from minzheng.domains.assistance.tests.test_casework_support import Cast
from minzheng.domains.assistance.tests.test_payroll_support import (
    NANHU,
    Enrolled,
    enrol,
    household_with,
)
from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.models import Person
from minzheng.kernel.verification.models import DataSource, SourceBatch
from minzheng.kernel.verification.services import source_batch_import

WAGE_HEADER = ["公民身份号码", "姓名", "所属月份", "所得项目", "收入额（元）", "扣缴义务人"]
DEATH_HEADER = ["公民身份号码", "姓名", "死亡日期", "信息来源"]


def enrolled(c: Cast, seq: int, births: list[dt.date]) -> Enrolled:
    household, persons = household_with(c, seq=seq, births=births, address=f"复核路{seq}号")
    return enrol(c, household, persons)


def id_number(person: Person) -> str:
    """The test ID number household_with gave the person (its sequence is in the name)."""
    digits = person.name.removeprefix("救助")
    return make_id_number(NANHU, person.birth_date, int(digits))


def _csv(rows: list[list[str]]) -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return SimpleUploadedFile("rows.csv", buffer.getvalue().encode())


def import_wages(
    c: Cast, rows: list[tuple[Person, dt.date, int]], *, name: str = "wages.csv"
) -> SourceBatch:
    """Import wage records (person, month, yuan) as a county importer would."""
    data = [WAGE_HEADER] + [
        [id_number(p), p.name, f"{m:%Y-%m}", "wage", str(amount), "某公司"] for p, m, amount in rows
    ]
    return source_batch_import(
        actor=c.world.city_admin,
        source=DataSource.objects.get(code="wage_tax"),
        file=_csv(data),
        file_name=name,
    )


def import_deaths(c: Cast, persons: list[Person], on: dt.date) -> SourceBatch:
    data = [DEATH_HEADER] + [
        [id_number(p), p.name, on.isoformat(), "medical_certificate"] for p in persons
    ]
    return source_batch_import(
        actor=c.world.city_admin,
        source=DataSource.objects.get(code="death"),
        file=_csv(data),
        file_name="deaths.csv",
    )
