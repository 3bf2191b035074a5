"""Reports: frozen snapshots, summaries shaped for the rules, scope and permissions."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.common.errors import NotFound, PermissionRefused
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.services import person_create
from minzheng.kernel.verification.models import DataSource, SourceRecord
from minzheng.kernel.verification.selectors import verification_report_get
from minzheng.kernel.verification.services import source_batch_import, verification_report_create
from minzheng.kernel.verification.tests.conftest import TODAY, csv_bytes, upload

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 1, 10)  # window: 2025-01 … 2025-12


def _import(world, code: str, rows: list[list[str]]):
    source = DataSource.objects.get(code=code)
    header = [c["header_zh"] for c in source.columns]
    return source_batch_import(
        actor=world.city_admin,
        source=source,
        file=upload(csv_bytes([header, *rows])),
        file_name=f"{code}.csv",
        today=TODAY,
    )


@pytest.fixture
def family_data(world, id_of):
    family = world.families["xinjia"]
    head, spouse, _ = family.members
    h, s = id_of(head), id_of(spouse)
    _import(
        world,
        "social_insurance",
        [
            [h, head.name, f"2025-{m:02d}", "contribution_base", "6000", "某公司"]
            for m in range(1, 13)
        ]
        + [[s, spouse.name, f"2025-{m:02d}", "pension_employee", "3000", ""] for m in range(1, 13)],
    )
    _import(  # the same wage seen by the tax office, a little higher: counted once
        world,
        "wage_tax",
        [[h, head.name, f"2025-{m:02d}", "wage", "6600", "某公司"] for m in range(1, 7)]
        + [[h, head.name, "2025-03", "property", "1200", "房客"]],
    )
    _import(
        world,
        "real_estate",
        [
            [h, head.name, "浙(2020)嘉兴市不动产权第1号", "residential", "90", "2020-06-18", ""],
            [s, spouse.name, "浙(2020)嘉兴市不动产权第1号", "residential", "90", "2020-06-18", ""],
        ],
    )
    _import(world, "deposit", [[s, spouse.name, "嘉兴银行", "deposit", "52000", "2025-12-31"]])
    _import(world, "vehicle", [[h, head.name, "浙F12345", "car", "2019-04-02", "98000"]])
    return family


def test_report_freezes_the_records_and_sums_them_by_item(world, family_data):
    report = verification_report_create(
        actor=world.town_clerk, household=family_data.household, purpose="dibao", as_of=AS_OF
    )
    facts = report.summary
    assert (facts["window"]["start"], facts["window"]["end"]) == ("2025-01-01", "2025-12-31")
    head, spouse, child = facts["members"]
    # six months of 6600 (tax) and six of 6000 (social insurance): the larger counts once.
    assert head["income_total"]["wage"] == 6 * 6600 + 6 * 6000
    assert head["income_monthly"]["wage"] == (6 * 6600 + 6 * 6000) / 12
    assert head["income_monthly"]["property"] == 100.0
    assert spouse["income_monthly"]["transfer"] == 3000.0
    assert child["records"] == 0
    assert facts["household"]["assets"]["houses"] == 1  # co-owned: once
    assert facts["household"]["assets"]["vehicles"] == 1
    assert facts["household"]["assets"]["deposits"] == 52000.0
    assert facts["household"]["assets"]["business"] is False
    assert set(facts["household"]["income_monthly"]) == {
        "wage",
        "business",
        "property",
        "transfer",
        "pension_basic",
        "excluded",
    }
    assert report.record_count == 12 + 12 + 7 + 2 + 1 + 1 == report.records.count()
    event = AuditEvent.objects.get(action="verification.report.create")
    assert event.changes["records"] == report.record_count


def test_records_imported_later_do_not_change_a_report(world, family_data, id_of):
    report = verification_report_create(
        actor=world.town_clerk, household=family_data.household, purpose="dibao", as_of=AS_OF
    )
    before = (dict(report.summary), set(report.records.values_list("id", flat=True)))
    head = family_data.head
    _import(
        world,
        "business",
        [
            [
                id_of(head),
                head.name,
                "91330402MA2B123456",
                "某商行",
                "sole_proprietor",
                "50000",
                "active",
                "2024-01-05",
            ]
        ],
    )
    report.refresh_from_db()
    assert (report.summary, set(report.records.values_list("id", flat=True))) == before
    later = verification_report_create(
        actor=world.town_clerk, household=family_data.household, purpose="review", as_of=AS_OF
    )
    assert later.summary["household"]["assets"]["business"] is True


def test_records_of_persons_not_yet_in_the_register_are_found_by_digest(world):
    number = make_id_number("330402", dt.date(1990, 2, 3), 77)
    _import(world, "wage_tax", [[number, "新人", "2025-05", "wage", "5000", "某公司"]])
    record = SourceRecord.objects.get()
    assert record.person_id is None
    person = person_create(
        actor=None, name="新人", id_number=number, registered_region=world.regions["xinjia_grid"]
    )
    from minzheng.kernel.people.services import household_create

    household = household_create(
        actor=None,
        region=world.regions["xinjia_grid"],
        address="新嘉街道新路1号",
        head=person,
        start_date=dt.date(2020, 1, 1),
    )
    report = verification_report_create(
        actor=world.town_clerk, household=household, purpose="dibao", as_of=AS_OF
    )
    assert list(report.records.values_list("id", flat=True)) == [record.pk]
    assert report.summary["members"][0]["income_total"]["wage"] == 5000.0


def test_a_clerk_cannot_check_or_read_another_towns_household(world, family_data):
    wangdian = world.families["wangdian"].household
    with pytest.raises(PermissionRefused):
        verification_report_create(actor=world.town_clerk, household=wangdian, purpose="dibao")
    report = verification_report_create(
        actor=world.other_town_clerk, household=wangdian, purpose="dibao"
    )
    with pytest.raises(NotFound):
        verification_report_get(actor=world.town_clerk, report_id=report.pk)
    assert verification_report_get(actor=world.city_admin, report_id=report.pk) == report
    assert verification_report_get(actor=world.auditor, report_id=report.pk) == report
    with pytest.raises(PermissionRefused):
        verification_report_create(actor=world.auditor, household=wangdian, purpose="dibao")
    with pytest.raises(NotFound):
        verification_report_get(actor=world.village_worker, report_id=report.pk)
