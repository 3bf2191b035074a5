"""A county of enrolled and not-enrolled households with income and asset records, for the
tests that check the bulk paths read only the enrolled households (no tests here)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from minzheng.domains.assistance.services.review import add_months
from minzheng.domains.assistance.tests.test_casework_support import cast, today
from minzheng.domains.assistance.tests.test_determination_assets import _import
from minzheng.domains.assistance.tests.test_payroll_support import household_with
from minzheng.domains.assistance.tests.test_review_support import enrolled, id_number
from minzheng.kernel.people.models import Household
from minzheng.kernel.verification.services import verification_report_create

OLD = [dt.date(1950, 3, 1)]
TRIO = [dt.date(1948, 4, 5), dt.date(1950, 9, 9), dt.date(1975, 2, 3)]
DEPOSITS = "公民身份号码,姓名,金融机构,资产类型,余额或市值（元）,查询基准日"
VEHICLES = "公民身份号码,姓名,号牌号码,车辆类型,初次登记日期,购置价格（元）"
WAGES = "公民身份号码,姓名,所属月份,所得项目,收入额（元）,扣缴义务人"


def _plate(seq: int) -> str:
    return f"浙F{seq}{seq}{seq % 10}"  # 45 → 浙F45454


def enrolled_county(world: Any, settings: Any, tmp_path: Any, *, seq: int, driver: bool) -> Any:
    """南湖区 with enrolled dibao households and a household that is not enrolled; returns
    (cast, families by name, the outsider household, its members).

    Enrolled (case numbers from ``seq``): "single"; "trio", three members, one earning a
    wage of 600 yuan a month; "saver", a single holding 5,000 yuan of deposits (under the
    limit); with ``driver``, "driver", a single owning a car of 150,000 yuan (the rules pay it
    nothing). Not enrolled (``seq + 4``): a couple with deposits, a car and a wage of their
    own (besides the world's own families). Every household has a verification report of
    this month, which the single-household assessment reads.
    """
    c = cast(world)
    names = ["single", "trio", "saver", "driver"] if driver else ["single", "trio", "saver"]
    births = {"single": OLD, "trio": TRIO, "saver": OLD, "driver": OLD}
    families = {name: enrolled(c, seq + i, births[name]) for i, name in enumerate(names)}
    outsider, outsiders = household_with(
        c,
        seq=seq + 4,
        births=[dt.date(1949, 1, 2), dt.date(1951, 7, 8)],
        address=f"未纳入路{seq + 4}号",
    )
    month = today().replace(day=1)
    as_of = (month - dt.timedelta(days=1)).isoformat()  # the last day of the previous month
    saver, earner = families["saver"].head, families["trio"].members[2]
    _import(
        settings,
        tmp_path,
        "deposit",
        DEPOSITS,
        [
            f"{id_number(saver)},{saver.name},嘉兴银行,deposit,5000.00,{as_of}",
            f"{id_number(outsiders[0])},{outsiders[0].name},嘉兴银行,deposit,800.00,{as_of}",
        ],
        "deposits.csv",
        today=today(),
    )
    cars = [(outsiders[1], _plate(seq + 4), 90000)]
    if driver:
        cars.insert(0, (families["driver"].head, _plate(seq + 3), 150000))
    _import(
        settings,
        tmp_path,
        "vehicle",
        VEHICLES,
        [f"{id_number(p)},{p.name},{plate},car,2021-03-01,{price}" for p, plate, price in cars],
        "vehicles.csv",
        today=today(),
    )
    _import(
        settings,
        tmp_path,
        "wage_tax",
        WAGES,
        [
            f"{id_number(p)},{p.name},{add_months(month, -n):%Y-%m},wage,{amount}.00,某公司"
            for p, amount in [(earner, 600), (outsiders[1], 900)]
            for n in range(1, 13)
        ],
        "wages.csv",
        today=today(),
    )
    for household in Household.objects.order_by("id"):
        verification_report_create(actor=None, household=household, purpose="review", as_of=month)
    return c, families, outsider, outsiders
