"""The assistance reports: monthly statistics by region and programme, and cases past their
deadline by town, on pages and as Excel downloads.

The monthly figures are checked against a hand count of a small register spread over two
counties, three towns and four villages; enrolments start and end in and out of the month,
and payment lines are paid, pending, returned or of another month.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from decimal import Decimal
from itertools import count

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from minzheng.common.errors import NotFound
from minzheng.domains.assistance import services
from minzheng.domains.assistance.models import (
    AssistanceApplication,
    Enrolment,
    Programme,
)
from minzheng.domains.assistance.selectors.reports import monthly_statistics, overdue_cases
from minzheng.kernel.payments.models import PaymentLine
from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.models import Household
from minzheng.kernel.people.services import household_create, person_create
from minzheng.kernel.regions.models import Region, RegionLevel
from minzheng.kernel.regions.services import region_create
from minzheng.kernel.workflow import calendar
from minzheng.kernel.workflow.models import Task
from minzheng.testing.world import CITY, NANHU, WANGDIAN, XINJIA

pytestmark = pytest.mark.django_db

MONTH = dt.date(2026, 10, 1)
JIANSHE = "330402007"  # 建设街道, 南湖区
XIUZHOU = "330411"
_seq = count(1)


def month(year: int, number: int) -> dt.date:
    return dt.date(year, number, 1)


def household_at(region: Region, county: str) -> Household:
    seq = next(_seq)
    head = person_create(
        actor=None,
        name=f"报表户{seq}",
        id_number=make_id_number(county, dt.date(1960, 1, 1), 500 + seq),
        registered_region=region,
        residence_region=region,
    )
    return household_create(
        actor=None, region=region, address=f"统计路{seq}号", head=head, start_date=month(2020, 1)
    )


def village(town: str, suffix: str, name: str) -> Region:
    found = Region.objects.filter(code=town + suffix).first()
    if found is not None:
        return found
    return region_create(
        actor=None,
        parent=Region.objects.get(code=town),
        code=town + suffix,
        name=name,
        level=RegionLevel.VILLAGE,
    )


def enrol(
    household: Household,
    code: str,
    *,
    start: dt.date,
    end: dt.date | None = None,
    state: str = "active",
    covered: int = 1,
    amount: str = "0",
) -> Enrolment:
    """An enrolment as the register holds it after approval (report tests read, never write)."""
    household = Household.objects.select_related("region").get(pk=household.pk)
    town = Region.objects.get(code=household.region.path.split("/")[2])
    head = household.memberships.order_by("id").first().person  # type: ignore[union-attr]
    number = f"JX-RPT-{next(_seq):05d}"
    application = AssistanceApplication.objects.create(
        case_number=number,
        programme=Programme.objects.get(code=code),
        household=household,
        applicant=head,
        channel="counter",
        region=town,
        filed_region=town,
        state="enrolled",
        submitted_on=start,
    )
    return Enrolment.objects.create(
        case_number=number,
        application=application,
        programme=application.programme,
        household=household,
        region=town,
        county=town.county_code,
        covered_count=covered,
        monthly_amount=Decimal(amount),
        start_month=start,
        end_month=end,
        state=state,
    )


def line(
    enrolment: Enrolment,
    amount: str,
    *,
    paid_in: dt.date = MONTH,
    status: str = "paid",
    kind: str = "regular",
    for_month: dt.date | None = None,
) -> PaymentLine:
    """A payment line of the enrolment's household, booked at its town as the payroll does."""
    return PaymentLine.objects.create(
        batch_id=1,
        programme=enrolment.programme.code,
        beneficiary_kind="household",
        beneficiary_id=enrolment.household_id,
        month=paid_in,
        for_month=for_month or paid_in,
        kind=kind,
        amount=Decimal(amount),
        members=enrolment.covered_count,
        region_id=enrolment.region_id,
        payee_account_id=1,
        holder_name="报表户",
        holder_name_masked="报*户",
        account_number_ciphertext=b"",
        account_number_masked="6222****0001",
        bank_code="102335000011",
        bank_name="中国工商银行嘉兴分行",
        status=status,
        created_at=timezone.now(),
    )


@pytest.fixture
def register(world):
    """Eight enrolments of 2026-10 (M), by village:

    新嘉社区 (新嘉街道, 南湖区): e1 dibao from 05, 3 persons, 900 — paid 900 in M, 50 back pay
        in M, 900 in 09; e2 dibao new in M, 1 person, 500 — line pending; e3 tekun 01..M (exit
        in M), 1 person, 1200 — paid; e4 dibao 03..09 (ended before M); e5 dibao from 11.
    新嘉二社区: e6 dibao from 02, suspended, 2 persons, 700 — line returned.
    建设村 (建设街道, 南湖区): e7 tekun from 06, 1 person, 1100 — paid.
    王店村 (王店镇, 秀洲区): e8 dibao from 01, 4 persons, 1500 — paid.
    """
    v1 = world.regions["xinjia_village"]
    v2 = village(XINJIA, "002", "新嘉二社区")
    v3 = village(JIANSHE, "001", "建设村")
    v4 = world.regions["wangdian_village"]
    e = {
        "e1": enrol(
            household_at(v1, NANHU), "dibao", start=month(2026, 5), covered=3, amount="900"
        ),
        "e2": enrol(household_at(v1, NANHU), "dibao", start=MONTH, covered=1, amount="500"),
        "e3": enrol(
            household_at(v1, NANHU),
            "tekun",
            start=month(2026, 1),
            end=MONTH,
            state="stopped",
            covered=1,
            amount="1200",
        ),
        "e4": enrol(
            household_at(v1, NANHU),
            "dibao",
            start=month(2026, 3),
            end=month(2026, 9),
            state="stopped",
            covered=2,
            amount="600",
        ),
        "e5": enrol(household_at(v1, NANHU), "dibao", start=month(2026, 11), amount="400"),
        "e6": enrol(
            household_at(v2, NANHU),
            "dibao",
            start=month(2026, 2),
            state="suspended",
            covered=2,
            amount="700",
        ),
        "e7": enrol(household_at(v3, NANHU), "tekun", start=month(2026, 6), amount="1100"),
        "e8": enrol(
            household_at(v4, XIUZHOU), "dibao", start=month(2026, 1), covered=4, amount="1500"
        ),
    }
    line(e["e1"], "900")
    line(e["e1"], "50", kind="back_pay", for_month=month(2026, 9))
    line(e["e1"], "900", paid_in=month(2026, 9))
    line(e["e2"], "500", status="pending")
    line(e["e3"], "1200")
    line(e["e6"], "700", status="returned")
    line(e["e7"], "1100")
    line(e["e8"], "1500")
    return e


def figures(stats) -> dict[tuple[str, str], tuple]:  # type: ignore[no-untyped-def]
    return {
        (row.region.code if row.region else "", row.programme.code): (
            row.households,
            row.persons,
            row.amount_due,
            row.amount_paid,
            row.new,
            row.exits,
        )
        for row in stats.rows
    }


def test_city_figures_by_county_equal_the_hand_count(world, register):
    stats = monthly_statistics(actor=world.city_admin, month=dt.date(2026, 10, 17))

    assert stats.month == MONTH
    assert stats.region.code == CITY
    assert figures(stats) == {
        (NANHU, "dibao"): (3, 6, Decimal("1400.00"), Decimal("950.00"), 1, 0),
        (NANHU, "tekun"): (2, 2, Decimal("2300.00"), Decimal("2300.00"), 0, 1),
        (XIUZHOU, "dibao"): (1, 4, Decimal("1500.00"), Decimal("1500.00"), 0, 0),
    }
    total = stats.total
    assert (total.households, total.persons, total.new, total.exits) == (6, 12, 1, 1)
    assert (total.amount_due, total.amount_paid) == (Decimal("5200.00"), Decimal("4750.00"))


def test_county_approver_sees_towns_of_the_county_only(world, register):
    stats = monthly_statistics(actor=world.county_approver, month=MONTH)

    assert stats.region.code == NANHU
    assert figures(stats) == {
        (XINJIA, "dibao"): (3, 6, Decimal("1400.00"), Decimal("950.00"), 1, 0),
        (XINJIA, "tekun"): (1, 1, Decimal("1200.00"), Decimal("1200.00"), 0, 1),
        (JIANSHE, "tekun"): (1, 1, Decimal("1100.00"), Decimal("1100.00"), 0, 0),
    }
    with pytest.raises(NotFound):
        monthly_statistics(actor=world.county_approver, month=MONTH, region_code=XIUZHOU)


def test_town_clerk_sees_villages_of_the_town_only(world, register):
    stats = monthly_statistics(actor=world.town_clerk, month=MONTH)

    assert stats.region.code == XINJIA
    v1, v2 = world.regions["xinjia_village"].code, XINJIA + "002"
    # Payment lines are booked at the town; they are placed by the household's village.
    assert figures(stats) == {
        (v1, "dibao"): (2, 4, Decimal("1400.00"), Decimal("950.00"), 1, 0),
        (v1, "tekun"): (1, 1, Decimal("1200.00"), Decimal("1200.00"), 0, 1),
        (v2, "dibao"): (1, 2, Decimal("0.00"), Decimal("0.00"), 0, 0),
    }
    for other in (NANHU, JIANSHE, WANGDIAN, CITY):
        with pytest.raises(NotFound):
            monthly_statistics(actor=world.town_clerk, month=MONTH, region_code=other)


def test_a_line_of_a_person_booked_at_the_town_is_not_attributed_to_a_village(world, register):
    extra = line(register["e1"], "80", kind="back_pay", for_month=month(2026, 8))
    PaymentLine.objects.filter(pk=extra.pk).update(beneficiary_kind="person", beneficiary_id=7)

    stats = monthly_statistics(actor=world.town_clerk, month=MONTH)

    assert figures(stats)[("", "dibao")] == (0, 0, Decimal("0"), Decimal("80.00"), 0, 0)
    assert stats.total.amount_paid == Decimal("2230.00")  # 950 + 1200 + 80
    county = monthly_statistics(actor=world.county_approver, month=MONTH)
    assert figures(county)[(XINJIA, "dibao")][3] == Decimal("1030.00")  # placed in its town


def test_other_town_clerk_never_sees_another_county(world, register):
    stats = monthly_statistics(actor=world.other_town_clerk, month=MONTH)

    assert stats.region.code == WANGDIAN
    assert figures(stats) == {
        (world.regions["wangdian_village"].code, "dibao"): (
            1,
            4,
            Decimal("1500.00"),
            Decimal("1500.00"),
            0,
            0,
        )
    }


def test_programme_filter_and_trend(world, register):
    stats = monthly_statistics(actor=world.city_admin, month=MONTH, programme="dibao")

    assert {row.programme.code for row in stats.rows} == {"dibao"}
    assert stats.total.households == 4
    assert stats.months[0] == month(2025, 11)
    assert stats.months[-1] == MONTH
    (dibao,) = stats.trend
    by_month = dict(zip(stats.months, dibao.households, strict=True))
    # 01: e8; 02: e6 e8; 03–04: e4 e6 e8; 05–09: e1 e4 e6 e8; 10: e1 e2 e6 e8.
    assert by_month[month(2025, 12)] == 0
    assert by_month[month(2026, 1)] == 1
    assert by_month[month(2026, 2)] == 2
    assert by_month[month(2026, 4)] == 3
    assert by_month[month(2026, 9)] == 4
    assert by_month[MONTH] == 4
    due = dict(zip(stats.months, dibao.amount_due, strict=True))
    assert due[month(2026, 9)] == Decimal("3000.00")  # 900 + 600 + 1500, e6 suspended
    assert due[MONTH] == Decimal("2900.00")
    paid = dict(zip(stats.months, dibao.amount_paid, strict=True))
    assert paid[month(2026, 9)] == Decimal("900.00")
    assert paid[MONTH] == Decimal("2450.00")


def _query_count(actor) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        monthly_statistics(actor=actor, month=MONTH)
    return len(queries)


def test_query_count_does_not_grow_with_the_regions(world, register):
    monthly_statistics(actor=world.city_admin, month=MONTH)  # warm the caches (grants, types)
    before = _query_count(world.city_admin)

    for town in Region.objects.filter(level="town").exclude(code__in=[XINJIA, JIANSHE])[:6]:
        place = village(town.code, "001", f"{town.name}一村")
        e = enrol(household_at(place, town.county_code), "dibao", start=MONTH, amount="300")
        line(e, "300")

    stats = monthly_statistics(actor=world.city_admin, month=MONTH)
    assert stats.total.households == 6 + 6
    assert _query_count(world.city_admin) == before
    assert before <= 8


# -- cases past their deadline ------------------------------------------------------------------

TODAY = dt.date(2026, 10, 12)  # Monday after the National Day holiday (10-01 to 10-07)


def _submit(c_actor, household: Household, on: dt.date) -> AssistanceApplication:  # type: ignore[no-untyped-def]
    chosen = Programme.objects.get(code="dibao")
    return services.application_submit(
        actor=c_actor,
        programme=chosen,
        household=household,
        channel="counter",
        applicant=household.memberships.first().person,  # type: ignore[union-attr]
        description="无收入",
        documents=chosen.required_documents,
        today=on,
    )


def _due(application: AssistanceApplication, on: dt.date) -> None:
    """Move the case's open task to a fixed due date (the tests' "today" is fixed too)."""
    Task.objects.filter(
        content_type=ContentType.objects.get_for_model(AssistanceApplication),
        object_id=application.pk,
        closed_at__isnull=True,
    ).update(due_on=on)


@pytest.fixture
def late(world):
    """Dibao cases, "accept" due 3 working days after filing (2026 calendar: 09-25 and 10-01..07
    are holidays, 10-10 a Saturday make-up working day):

    A 新嘉, filed 09-24 → due 09-30, 4 working days overdue on 10-12 (10-08, 09, 10, 12);
    C 新嘉, filed 09-28 → due 10-08, 3 overdue (10-09, 10, 12);
    B 新嘉, filed 10-08 → due 10-12, not overdue on 10-12;
    E 新嘉, accepted, waiting on the investigation, due 09-29 → 5 overdue;
    W 王店 (秀洲区), filed 09-24 → due 09-30, 4 overdue;
    R 新嘉, filed 09-24 then withdrawn: closed, not counted.
    """
    assert calendar.add_working_days(dt.date(2026, 9, 24), 3) == dt.date(2026, 9, 30)
    assert calendar.add_working_days(dt.date(2026, 9, 28), 3) == dt.date(2026, 10, 8)
    assert calendar.add_working_days(dt.date(2026, 10, 8), 3) == dt.date(2026, 10, 12)
    grid = world.regions["xinjia_grid"]
    filed = {
        "A": dt.date(2026, 9, 24),
        "C": dt.date(2026, 9, 28),
        "B": dt.date(2026, 10, 8),
        "E": dt.date(2026, 9, 22),
        "R": dt.date(2026, 9, 24),
    }
    cases = {
        key: _submit(world.town_clerk, household_at(grid, NANHU), on) for key, on in filed.items()
    }
    cases["W"] = _submit(
        world.other_town_clerk,
        household_at(world.regions["wangdian_grid"], XIUZHOU),
        dt.date(2026, 9, 24),
    )
    cases["E"] = services.application_accept(actor=world.town_clerk, application=cases["E"])
    for key in ("A", "C", "B", "W"):
        _due(cases[key], calendar.add_working_days(filed.get(key, dt.date(2026, 9, 24)), 3))
    _due(cases["E"], dt.date(2026, 9, 29))
    services.application_withdraw(actor=world.town_clerk, application=cases["R"], reason="撤回")
    return cases


def test_overdue_counts_working_days_by_town_and_step(world, late):
    report = overdue_cases(actor=world.city_admin, today=TODAY)

    assert [case.case_number for case in report.cases] == [
        late[k].case_number for k in ("E", "A", "W", "C")
    ]
    assert [case.days_overdue for case in report.cases] == [5, 4, 4, 3]
    assert [case.due_on for case in report.cases] == [
        dt.date(2026, 9, 29),
        dt.date(2026, 9, 30),
        dt.date(2026, 9, 30),
        dt.date(2026, 10, 8),
    ]
    towns = {t.town.code: (t.count, t.by_action, t.oldest_days) for t in report.towns}
    assert towns == {
        XINJIA: (3, {"accept": 2, "investigate": 1}, 5),
        WANGDIAN: (1, {"accept": 1}, 4),
    }
    assert report.actions == ["accept", "investigate"]
    assert report.total == 4
    assert all("*" in case.applicant for case in report.cases)


def test_overdue_is_scoped_to_the_actor(world, late):
    mine = overdue_cases(actor=world.town_clerk, today=TODAY)
    county = overdue_cases(actor=world.county_approver, today=TODAY)
    other = overdue_cases(actor=world.other_town_clerk, today=TODAY)

    assert {c.case_number for c in mine.cases} == {late[k].case_number for k in "EAC"}
    assert {t.town.code for t in county.towns} == {XINJIA}
    assert [c.case_number for c in other.cases] == [late["W"].case_number]
    with pytest.raises(NotFound):
        overdue_cases(actor=world.town_clerk, region_code=WANGDIAN, today=TODAY)


def test_overdue_the_day_before_nothing_from_the_future(world, late):
    report = overdue_cases(actor=world.city_admin, today=dt.date(2026, 9, 30))

    # Only E (due 09-29) is past on 09-30: one working day.
    assert [(c.case_number, c.days_overdue) for c in report.cases] == [(late["E"].case_number, 1)]


# -- pages and downloads ------------------------------------------------------------------------

CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)
TAG = re.compile(r"<[^>]+>")


def _cell(value: object) -> object:
    """A cell as compared: numbers by value (the page shows 1400.00, Excel holds 1400)."""
    text = "" if value is None else str(value)
    try:
        return Decimal(text)
    except ArithmeticError:
        return text


def page_table(content: str, testid: str) -> list[list[object]]:
    table = content.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    rows = []
    for raw in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        rows.append([_cell(html.unescape(TAG.sub("", c)).strip()) for c in CELL.findall(raw)])
    return rows


def workbook_rows(content: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    return [[_cell(v) for v in row] for row in rows[1:]]  # after the title


def test_monthly_page_and_download_show_the_same_table(client, world, register):
    client.force_login(world.city_admin)

    response = client.get("/assistance/reports/", {"month": "2026-10"})
    assert response.status_code == 200
    content = response.content.decode()
    shown = page_table(content, "monthly-table")
    assert 'data-report-chart="report-by-region"' in content
    assert "assistance/reports.js" in content
    assert "region=330402" in content  # drill-down to the county

    download = client.get("/assistance/reports/monthly.xlsx", {"month": "2026-10"})
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert workbook_rows(download.content) == shown
    assert len(shown[0]) == 8  # the header row
    assert shown[-1][2:] == [6, 12, Decimal("5200.00"), Decimal("4750.00"), 1, 1]


def test_download_header_is_chinese_first_and_english_second(client, world, register):
    client.force_login(world.city_admin)

    chinese = client.get("/assistance/reports/monthly.xlsx", {"month": "2026-10"})
    client.cookies["django_language"] = "en"
    english = client.get("/assistance/reports/monthly.xlsx", {"month": "2026-10"})

    assert workbook_rows(english.content)[0][:3] == ["Region", "Programme", "Households enrolled"]
    assert english.status_code == chinese.status_code == 200
    # The rows are the same in both languages apart from the labels.
    assert [r[2:] for r in workbook_rows(chinese.content)[1:]] == [
        r[2:] for r in workbook_rows(english.content)[1:]
    ]


def test_town_clerk_drilling_out_of_scope_is_not_found(client, world, register):
    client.force_login(world.town_clerk)

    assert client.get("/assistance/reports/", {"region": NANHU}).status_code == 404
    assert client.get("/assistance/reports/monthly.xlsx", {"region": WANGDIAN}).status_code == 404
    own = client.get("/assistance/reports/", {"month": "2026-10"})
    assert own.status_code == 200
    assert "王店" not in page_table(own.content.decode(), "monthly-table").__str__()
    assert client.get("/assistance/reports/", {"month": "2026-13"}).status_code == 422


def test_overdue_page_and_download_show_the_same_cases(client, world, late):
    client.force_login(world.city_admin)

    response = client.get("/assistance/reports/overdue/")
    assert response.status_code == 200
    content = response.content.decode()
    shown = page_table(content, "overdue-table")
    assert f"/assistance/cases/{late['A'].case_number}/" in content
    assert 'data-report-chart="report-overdue"' in content

    download = client.get("/assistance/reports/overdue.xlsx")
    assert workbook_rows(download.content) == shown
    case_numbers = [row[0] for row in shown[1:-1]]
    assert timezone.localdate() > dt.date(2026, 10, 12)  # the page counts to the real today
    assert set(case_numbers) == {late[k].case_number for k in "EAWCB"}
    assert shown[-1][2] == len(case_numbers)


def test_monthly_page_query_count_does_not_grow_with_the_regions(client, world, register):
    client.force_login(world.city_admin)
    client.get("/assistance/reports/", {"month": "2026-10"})  # warm the caches

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/assistance/reports/", {"month": "2026-10"}).status_code == 200
        return len(queries)

    before = page_queries()
    for town in Region.objects.filter(level="town", parent__code=XIUZHOU)[:5]:
        place = village(town.code, "001", f"{town.name}一村")
        line(enrol(household_at(place, XIUZHOU), "tekun", start=MONTH, amount="800"), "800")

    assert page_queries() == before
