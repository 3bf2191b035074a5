"""Shared set-up of the casework tests (no tests here): extra staff, walking a case."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from minzheng.domains.assistance import services
from minzheng.domains.assistance.models import AssistanceApplication, Programme
from minzheng.kernel.accounts.models import Role, User
from minzheng.kernel.accounts.services import staff_create
from minzheng.kernel.regions.models import RegionLevel
from minzheng.kernel.regions.services import region_create
from minzheng.testing.world import NANHU, PASSWORD, XINJIA, Family, World, make_family

DIBAO_DOCUMENTS = ["居民身份证", "户口簿", "家庭经济状况核对授权书", "收入情况说明"]


@dataclass
class Cast:
    world: World
    clerk: User  # 周经办, town clerk of 新嘉街道
    second_clerk: User  # 杨经办, another clerk of 新嘉街道 (co-signs visits, prepares decisions)
    village_worker: User  # 陈村干, village worker of 新嘉社区 (co-signs visits)
    reviewer: User  # 冯审核, town reviewer of 新嘉街道 (delegated approvals)
    approver: User  # 郑审批, county approver of 南湖区
    second_approver: User  # 冯复核, another county approver
    grid_worker: User  # 林网格, grid worker of 新嘉社区第一网格
    resident: User


def cast(world: World) -> Cast:
    def staff(username: str, full_name: str, role: str, region_code: str) -> User:
        return staff_create(
            actor=None,
            username=username,
            full_name=full_name,
            password=PASSWORD,
            grants=[(role, world.regions[region_code])],
        )

    return Cast(
        world=world,
        clerk=world.town_clerk,
        second_clerk=staff("clerk2_xinjia", "杨经办", Role.TOWN_CLERK, XINJIA),
        village_worker=world.village_worker,
        reviewer=staff("reviewer_xinjia", "冯审核", Role.TOWN_REVIEWER, XINJIA),
        approver=world.county_approver,
        second_approver=staff("approver2_nanhu", "冯复核", Role.COUNTY_APPROVER, NANHU),
        grid_worker=staff("grid_xinjia", "林网格", Role.GRID_WORKER, "xinjia_grid"),
        resident=world.resident,
    )


@dataclass
class Neighbour:
    """A second village of 新嘉街道 with its village worker and a family of its own."""

    village_worker: User  # 黄村干, village worker of 新丰社区
    family: Family  # 刘建国's household, 新丰社区第一网格


def neighbour_village(c: Cast) -> Neighbour:
    """新丰社区 (330402009002), beside 新嘉社区 in the same town, with its worker and a family."""
    town = c.world.regions[XINJIA]
    village = region_create(
        actor=None, parent=town, code=XINJIA + "002", name="新丰社区", level=RegionLevel.VILLAGE
    )
    grid = region_create(
        actor=None,
        parent=village,
        code=XINJIA + "002001",
        name="新丰社区第一网格",
        level=RegionLevel.GRID,
    )
    worker = staff_create(
        actor=None,
        username="village2_xinjia",
        full_name="黄村干",
        password=PASSWORD,
        grants=[(Role.VILLAGE_WORKER, village)],
    )
    family = make_family(town, grid, county_code=NANHU, surname="刘", seq=41)
    return Neighbour(village_worker=worker, family=family)


def submit_counter(c: Cast, family: Family, code: str = "dibao") -> AssistanceApplication:
    """An application of `family` filed at the 新嘉街道 counter by the town clerk."""
    chosen = programme(code)
    return services.application_submit(
        actor=c.clerk,
        programme=chosen,
        household=family.household,
        channel="counter",
        applicant=family.head,
        description="失业，无收入",
        documents=chosen.required_documents,
    )


def today() -> dt.date:
    return timezone.localdate()


def programme(code: str) -> Programme:
    return Programme.objects.get(code=code)


def submit_online(c: Cast, code: str = "dibao") -> AssistanceApplication:
    family = c.world.families["xinjia"]
    chosen = programme(code)
    return services.application_submit(
        actor=c.resident,
        programme=chosen,
        household=family.household,
        channel="online",
        description="失业，无收入",
        documents=chosen.required_documents,
    )


def walk_to(c: Cast, application: AssistanceApplication, state: str) -> AssistanceApplication:
    """Walk a submitted application forward along the ordinary path up to `state`."""
    order = ["accepted", "investigated", "verified", "appraised", "town_reviewed", "notice"]
    needs_appraisal = application.programme.requires_appraisal
    for step in order[: order.index(state) + 1]:
        if step == "accepted":
            application = services.application_accept(actor=c.clerk, application=application)
        elif step == "investigated":
            application = services.application_investigate(
                actor=c.clerk,
                application=application,
                visited_on=today(),
                findings="家中无劳动收入，住房简陋",
                signers=[c.clerk, c.village_worker],
            )
        elif step == "verified":
            application = services.application_verify(actor=c.clerk, application=application)
        elif step == "appraised":
            if needs_appraisal:
                application = services.application_appraise(
                    actor=c.clerk, application=application, minutes="评议通过", outcome="agree"
                )
        elif step == "town_reviewed":
            application = services.application_town_review(
                actor=c.second_clerk, application=application, recommendation="approve"
            )
        elif step == "notice":
            application = services.application_publish_notice(
                actor=c.clerk, application=application, today=today()
            )
    return application
