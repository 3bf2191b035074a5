"""Bulk determination reads household assets from the verification records, as a report does.

The bulk path (``determination.read_assets``) and the single-household path (a verification
report's summary, read by ``assess.household_assess``) must count the same assets and reach
the same decisions for the same household on the same day.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest

from minzheng.domains.assistance.assess import household_assess_unscoped
from minzheng.domains.assistance.determination import read_population
from minzheng.domains.assistance.models import Determination
from minzheng.domains.assistance.services import determination_start
from minzheng.kernel.jobs.services import job_run_chunk
from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.models import Household, Relation
from minzheng.kernel.people.services import household_add_member, household_create, person_create
from minzheng.kernel.verification.demo import seed_source_records
from minzheng.kernel.verification.models import DataSource
from minzheng.kernel.verification.services import source_batch_import, verification_report_create

ON = dt.date(2026, 7, 1)
NANHU = "330402"

pytestmark = pytest.mark.django_db


def _import(
    settings, tmp_path, code: str, header: str, lines: list[str], name: str, today: dt.date = ON
) -> None:
    settings.VERIFICATION_PENDING_ROOT = str(tmp_path / "pending")
    batch = source_batch_import(
        actor=None,
        source=DataSource.objects.get(code=code),
        file=io.BytesIO("\n".join([header, *lines]).encode()),
        file_name=name,
        today=today,
    )
    assert batch.status == "imported", batch.problem


def _single(world, name: str, seq: int, born: dt.date = dt.date(1950, 3, 1)):
    grid = world.regions["xinjia_grid"]
    id_number = make_id_number(NANHU, born, seq)
    person = person_create(
        actor=None,
        name=name,
        id_number=id_number,
        registered_region=grid,
        residence_region=grid,
        work_ability="none",
    )
    household = household_create(
        actor=None,
        region=grid,
        address=f"幸福路{seq}号",
        head=person,
        start_date=dt.date(2020, 1, 1),
    )
    return household, person, id_number


@pytest.fixture
def asset_world(world, settings, tmp_path):
    """Poor elderly households with given assets (and the world's two families), determined."""
    rich, _, rich_id = _single(world, "存款多", 71)
    car, _, car_id = _single(world, "有车", 72)
    shop, _, shop_id = _single(world, "开店", 73)
    closed, _, closed_id = _single(world, "歇业", 74)
    poor, _, poor_id = _single(world, "清贫", 75)
    couple, _, couple_id = _single(world, "夫", 76)
    wife_id = make_id_number(NANHU, dt.date(1952, 4, 4), 77)
    wife = person_create(
        actor=None,
        name="妻",
        id_number=wife_id,
        registered_region=world.regions["xinjia_grid"],
        work_ability="none",
    )
    household_add_member(
        actor=None,
        household=couple,
        person=wife,
        relation=Relation.SPOUSE,
        start_date=dt.date(2020, 1, 1),
    )
    # Deposits: the rich single's two records at one bank add up; the poor single's older
    # balance is replaced by a later batch's (the snapshot rule), the couple's add up.
    _import(
        settings,
        tmp_path,
        "deposit",
        "公民身份号码,姓名,金融机构,资产类型,余额或市值（元）,查询基准日",
        [
            f"{rich_id},存款多,嘉兴银行,deposit,150000.00,2026-06-30",
            f"{rich_id},存款多,嘉兴银行,fund,20000.00,2026-06-30",
            f"{poor_id},清贫,嘉兴银行,deposit,90000.00,2026-05-31",
            f"{couple_id},夫,嘉兴银行,deposit,8000.00,2026-06-30",
            f"{wife_id},妻,中国农业银行嘉兴分行,deposit,9000.00,2026-06-30",
        ],
        "deposits-1.csv",
    )
    _import(
        settings,
        tmp_path,
        "deposit",
        "公民身份号码,姓名,金融机构,资产类型,余额或市值（元）,查询基准日",
        [f"{poor_id},清贫,嘉兴银行,deposit,1200.00,2026-06-30"],
        "deposits-2.csv",
    )
    # A car; a mobility vehicle (not counted); a house co-owned by the couple counts once.
    _import(
        settings,
        tmp_path,
        "vehicle",
        "公民身份号码,姓名,号牌号码,车辆类型,初次登记日期,购置价格（元）",
        [
            f"{car_id},有车,浙F88888,car,2021-03-01,150000",
            f"{poor_id},清贫,浙F00001,disability_mobility,2022-03-01,9000",
        ],
        "vehicles.csv",
    )
    _import(
        settings,
        tmp_path,
        "real_estate",
        "公民身份号码,姓名,不动产权证号,用途,建筑面积（平方米）,登记日期",
        [
            f"{couple_id},夫,浙(2010)嘉兴市不动产权第0000076号,residential,60.00,2010-05-05",
            f"{wife_id},妻,浙(2010)嘉兴市不动产权第0000076号,residential,60.00,2010-05-05",
        ],
        "homes.csv",
    )
    # An active business fails the test; a deregistered one does not.
    _import(
        settings,
        tmp_path,
        "business",
        "公民身份号码,姓名,统一社会信用代码,市场主体名称,身份,注册资本（元）,登记状态,成立日期",
        [
            f"{shop_id},开店,92330400MA00000001,嘉兴市开店商行,sole_proprietor,30000,active,2019-01-01",
            f"{closed_id},歇业,92330400MA00000002,嘉兴市歇业商行,sole_proprietor,30000,cancelled,2015-01-01",
        ],
        "businesses.csv",
    )
    households = _report_and_determine()
    return {
        "rich": rich,
        "car": car,
        "shop": shop,
        "closed": closed,
        "poor": poor,
        "couple": couple,
        "households": households,
    }


def _report_and_determine() -> list[Household]:
    """A verification report of the day for every household, then the bulk job."""
    households = list(Household.objects.order_by("id"))
    for household in households:
        verification_report_create(actor=None, household=household, purpose="review", as_of=ON)
    job = determination_start(actor=None, on=ON, enqueue=False)
    for key in job.chunks.values_list("key", flat=True):
        job_run_chunk(job_id=job.pk, key=key)
    return households


def _bulk_assets(household: Household) -> dict[str, float | int | bool]:
    population = read_population(household.region.county_code, ON)
    index = int(np.searchsorted(population.household_ids, household.pk))
    assert population.household_ids[index] == household.pk
    return {name: values[index].item() for name, values in population.assets.items()}


def test_assets_read_in_bulk_are_those_of_the_verification_report(asset_world):
    for household in asset_world["households"]:
        expected = household_assess_unscoped(household_id=household.pk, on=ON)["input"]["assets"]

        assert _bulk_assets(household) == pytest.approx(expected), household.pk


def test_the_counting_rules_of_the_household_check_apply(asset_world):
    assert _bulk_assets(asset_world["rich"])["deposits"] == pytest.approx(170_000)
    assert _bulk_assets(asset_world["poor"]) == {
        "deposits": pytest.approx(1200),  # the later batch's balance replaces the earlier one
        "houses": 0,
        "vehicles": 0,  # a mobility vehicle is not counted
        "business": False,
    }
    couple = _bulk_assets(asset_world["couple"])
    assert couple["deposits"] == pytest.approx(17_000)
    assert couple["houses"] == 1  # co-owned, counted once
    assert _bulk_assets(asset_world["car"])["vehicles"] == 1
    assert _bulk_assets(asset_world["shop"])["business"] is True
    assert _bulk_assets(asset_world["closed"])["business"] is False


def _assert_equal_to_single_assessment(households: list[Household]) -> list[int]:
    """Compare each household's row with its single assessment; returns those failing assets."""
    failed = []
    for household in households:
        row = Determination.objects.get(household=household, period=ON)
        assessed = household_assess_unscoped(household_id=household.pk, on=ON)
        dibao = assessed["programmes"]["dibao"]
        asset_reasons = [
            code for code in dibao["explanation"]["reason_codes"] if code.startswith("asset_")
        ]

        assert _bulk_assets(household) == pytest.approx(assessed["input"]["assets"])
        assert row.assets_pass == (not asset_reasons), household.pk
        assert row.dibao_eligible == dibao["eligible"], household.pk
        assert float(row.dibao_amount) == pytest.approx(dibao["monthly_amount"]), household.pk
        assert row.on_marginal == assessed["programmes"]["marginal"]["eligible"], household.pk
        assert row.low_income_rural == assessed["programmes"]["low_income_rural"]["eligible"], (
            household.pk
        )
        assert float(row.dibao_standard) == pytest.approx(assessed["dibao_standard"])
        assert float(row.assistance_monthly_total) == pytest.approx(
            assessed["total_monthly_amount"]
        ), household.pk
        if not row.assets_pass:
            failed.append(household.pk)
    return failed


def test_bulk_results_equal_the_single_household_assessment(asset_world):
    failed = _assert_equal_to_single_assessment(asset_world["households"])

    # Every poor elderly single with assets over a limit fails, the others pass.
    for name in ("rich", "car", "shop"):
        assert asset_world[name].pk in failed, name
    for name in ("closed", "poor", "couple"):
        assert asset_world[name].pk not in failed, name
    assert Determination.objects.get(household=asset_world["poor"]).dibao_eligible
    assert not Determination.objects.get(household=asset_world["rich"]).dibao_eligible


def test_demo_households_with_asset_records_match_the_single_assessment(world):
    """The demo generator's records (homes, cars, deposits, businesses, incomes)."""
    assert seed_source_records(seed=7, today=ON) > 0
    households = _report_and_determine()
    held = [h for h in households if any(_bulk_assets(h).values())]
    assert held, "the demo records give some household an asset"

    _assert_equal_to_single_assessment(households)


def test_a_record_dated_after_the_day_does_not_count(world, settings, tmp_path):
    household, _, id_number = _single(world, "晚到", 81)
    _import(
        settings,
        tmp_path,
        "vehicle",
        "公民身份号码,姓名,号牌号码,车辆类型,初次登记日期,购置价格（元）",
        [f"{id_number},晚到,浙F12345,car,2026-07-15,120000"],
        "late-car.csv",
        today=dt.date(2026, 8, 1),
    )

    assert _bulk_assets(household)["vehicles"] == 0
    population = read_population(NANHU, dt.date(2026, 8, 1))
    index = int(np.searchsorted(population.household_ids, household.pk))
    assert population.assets["vehicles"][index] == 1


def test_a_months_wage_adds_up_within_a_source_before_the_largest_source_counts(
    world, settings, tmp_path
):
    household, person, id_number = _single(world, "打工", 82, born=dt.date(1980, 1, 1))
    months = [f"{2025 + (6 + m) // 12}-{(6 + m) % 12 + 1:02d}" for m in range(12)]  # 2025-07…
    _import(
        settings,
        tmp_path,
        "wage_tax",
        "公民身份号码,姓名,所属月份,所得项目,收入额（元）,扣缴义务人",
        [f"{id_number},打工,{m},wage,3000.00,甲公司" for m in months]
        + [f"{id_number},打工,{m},labour,1000.00,乙公司" for m in months],
        "tax.csv",
    )
    _import(
        settings,
        tmp_path,
        "social_insurance",
        "公民身份号码,姓名,所属月份,项目,月金额（元）,参保单位",
        [f"{id_number},打工,{m},contribution_base,3500.00,甲公司" for m in months],
        "insurance.csv",
    )
    report = verification_report_create(actor=None, household=household, purpose="review", as_of=ON)

    population = read_population(NANHU, ON)

    index = int(np.flatnonzero(population.person_ids == person.pk)[0])
    assert population.incomes["wage"][index] == pytest.approx(4000)  # 3000 + 1000 > 3500
    assert report.summary["members"][0]["income_monthly"]["wage"] == pytest.approx(4000)
