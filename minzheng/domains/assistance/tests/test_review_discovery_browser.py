"""Browser journeys of dynamic management and proactive discovery (Playwright driving Debian's
Chromium): the town clerk proposes a review's outcome with its reason; the grid worker, on a
phone, opens the discovery tasks and records a visit with its findings; the town clerk's
worklist puts the overdue visit first. Screenshots go to var/screenshots/review_discovery/."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from minzheng.common.masking import mask_name
from minzheng.domains.assistance.models.discovery import (
    DiscoveryStatus,
    DiscoveryTask,
    Visit,
    VisitStatus,
)
from minzheng.domains.assistance.models.review import (
    Review,
    ReviewKind,
    ReviewOutcome,
    ReviewStatus,
)
from minzheng.domains.assistance.services import discovery
from minzheng.domains.assistance.services.review import add_months
from minzheng.domains.assistance.tests.test_casework_support import cast, today
from minzheng.domains.assistance.tests.test_discovery_support import (
    family,
    flag,
    this_month,
    visit,
)
from minzheng.domains.assistance.tests.test_payroll_support import NANHU
from minzheng.domains.assistance.tests.test_review_support import enrolled
from minzheng.web.backoffice.tests.test_browser import (  # noqa: F401 - the browser fixture
    browser,
    log_in,
    open_page,
    save_screenshot,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "review_discovery"


def _shot(page: Any, name: str) -> None:
    save_screenshot(page, SCREENSHOTS, name)


def _review(enrolment: Any, due: dt.date) -> Review:
    return Review.objects.create(
        enrolment=enrolment,
        region=enrolment.region,
        county=enrolment.county,
        kind=ReviewKind.SCHEDULED,
        period=due.replace(day=1),
        due_on=due,
    )


def _head(household: Any) -> str:
    return mask_name(household.memberships.get(relation="head").person.name)


def test_town_clerk_proposes_a_reviews_outcome_with_its_reason(
    browser: Any,  # noqa: F811 - the fixture imported above
    live_server: Any,
    world: Any,
    password: str,
) -> None:
    c = cast(world)
    later = _review(enrolled(c, 61, [dt.date(1950, 1, 1)]).enrolment, today() + dt.timedelta(20))
    overdue = _review(enrolled(c, 62, [dt.date(1951, 1, 1)]).enrolment, today() - dt.timedelta(9))
    page = open_page(browser, width=1366)
    log_in(page, live_server.url, c.clerk.username, password)

    # 1. The reviews list: the overdue review first, marked overdue.
    page.goto(f"{live_server.url}/assistance/reviews/")
    rows = page.locator("[data-testid=reviews] tbody tr")
    assert rows.count() == 2
    assert overdue.enrolment.case_number in rows.nth(0).inner_text()
    assert "已超期" in rows.nth(0).inner_text()
    assert later.enrolment.case_number in rows.nth(1).inner_text()
    assert "table-danger" in (rows.nth(0).get_attribute("class") or "")
    _shot(page, "reviews-list")

    # 2. The review page: its facts and the proposal form.
    rows.nth(0).get_by_role("link", name=overdue.enrolment.case_number).click()
    page.wait_for_url(f"**/assistance/reviews/{overdue.pk}/")
    facts = page.locator("[data-testid=facts]").inner_text()
    assert (today() - dt.timedelta(9)).isoformat() in facts and "已超期" in facts
    assert page.locator("[data-testid=propose]").is_visible()
    _shot(page, "review")

    # 3. She proposes an adjustment with its reason; the approver decides it later.
    form = page.locator("[data-testid=propose]")
    form.locator("select[name=outcome]").select_option(ReviewOutcome.ADJUST)
    form.locator("select[name=reason_code]").select_option("income_changed")
    form.locator("input[name=new_amount]").fill("500.00")
    form.locator("textarea[name=note]").fill("儿子就业，月收入增加")
    form.get_by_role("button", name="提出处理意见").click()
    page.wait_for_url(f"**/assistance/reviews/{overdue.pk}/")
    page.locator("[data-testid=status]", has_text="已提出处理意见").wait_for()

    text = page.locator("main").inner_text()
    assert "处理意见已提出，由审批人作出决定。" in text
    facts = page.locator("[data-testid=facts]").inner_text()
    assert "调整金额" in facts and "家庭收入发生变化" in facts and "儿子就业" in facts
    assert not page.locator("[data-testid=propose]").count()  # nothing more for her here
    _shot(page, "review-proposed")
    overdue.refresh_from_db()
    assert overdue.status == ReviewStatus.PROPOSED
    assert (overdue.outcome, overdue.reason_code) == ("adjust", "income_changed")
    assert overdue.proposed_by == c.clerk


def test_grid_worker_opens_discovery_tasks_and_records_a_visit_on_a_phone(
    browser: Any,  # noqa: F811 - the fixture imported above
    live_server: Any,
    world: Any,
    password: str,
) -> None:
    c = cast(world)
    flagged, _ = family(c, 63)
    flag(flagged, this_month(), dibao_eligible=True)
    discovery.discovery_tasks_create(actor=None, county=NANHU, month=this_month(), mpi_poor=set())
    task = DiscoveryTask.objects.get(household=flagged)
    visited, _ = family(c, 64)
    scheduled = visit(c, visited, add_months(this_month(), -1))
    page = open_page(browser, width=390, height=844)
    log_in(page, live_server.url, c.grid_worker.username, password)

    # 1. The discovery tasks: the flagged household, the flag, the task's page.
    page.goto(f"{live_server.url}/assistance/discovery/")
    tasks = page.locator("[data-testid=tasks] li")
    assert tasks.count() == 1
    card = tasks.nth(0).inner_text()
    assert _head(flagged) in card and "发现路63号" in card and "符合低保条件" in card
    _shot(page, "discovery-tasks")
    tasks.nth(0).locator("a").click()
    page.wait_for_url(f"**/assistance/discovery/tasks/{task.pk}/")
    assert "发现路63号" in page.locator("[data-testid=facts]").inner_text()
    assert page.locator("[data-testid=resolve]").is_visible()
    _shot(page, "discovery-task")

    # 2. The visits: the overdue visit, marked with its working days overdue.
    page.goto(f"{live_server.url}/assistance/discovery/visits/")
    visits = page.locator("[data-testid=visits] li")
    assert visits.count() == 1
    card = visits.nth(0).inner_text()
    assert "发现路64号" in card and re.search(r"已超期 \d+ 个工作日", card)
    _shot(page, "visits")

    # 3. She records the visit with two findings, a note and a follow-up.
    visits.nth(0).locator("a").click()
    page.wait_for_url(f"**/assistance/discovery/visits/{scheduled.pk}/")
    record = page.locator("[data-testid=record]")
    record.locator("input[name=visited_on]").fill(today().isoformat())
    record.get_by_label("存在安全隐患（火灾、用电、跌倒）").check()
    record.get_by_label("需照料的家庭成员无人照料").check()
    record.locator("textarea[name=note]").fill("电线老化，独居老人行动不便")
    record.locator("input[name=follow_up]").check()
    _shot(page, "visit-form")
    record.get_by_role("button", name="登记走访情况").click()
    page.wait_for_url("**/assistance/discovery/visits/")
    assert "走访情况已记录。" in page.locator("main").inner_text()
    # The follow-up she asked for is now the visit due, with its reason.
    follow_up = page.locator("[data-testid=visits] li")
    assert follow_up.count() == 1
    reason = follow_up.locator("[data-testid=follow-up-reason]").inner_text()
    assert today().isoformat() in reason
    _shot(page, "visits-after")

    scheduled.refresh_from_db()
    assert scheduled.status == VisitStatus.DONE and scheduled.visitor == c.grid_worker
    assert scheduled.findings == ["care", "safety"] and scheduled.follow_up
    page.goto(f"{live_server.url}/assistance/discovery/visits/{scheduled.pk}/")
    facts = page.locator("[data-testid=facts]").inner_text()
    assert "存在安全隐患" in facts and "电线老化" in facts and today().isoformat() in facts
    assert not page.locator("[data-testid=record]").count()
    _shot(page, "visit-done")
    assert DiscoveryTask.objects.get(pk=task.pk).status == DiscoveryStatus.OPEN


def test_town_clerks_worklist_shows_the_overdue_visit_first(
    browser: Any,  # noqa: F811 - the fixture imported above
    live_server: Any,
    world: Any,
    password: str,
) -> None:
    c = cast(world)
    soon = visit(c, family(c, 65)[0], add_months(this_month(), 2))
    late = visit(c, family(c, 66)[0], add_months(this_month(), -2))
    later = visit(c, family(c, 67)[0], add_months(this_month(), -1))
    flagged, _ = family(c, 68)
    flag(flagged, this_month(), dibao_eligible=True)
    discovery.discovery_tasks_create(actor=None, county=NANHU, month=this_month(), mpi_poor=set())
    page = open_page(browser, width=1366)
    log_in(page, live_server.url, c.clerk.username, password)

    page.goto(f"{live_server.url}/assistance/cases/")
    assert page.locator("[data-testid=visits-due-count]").inner_text() == "3"
    assert page.locator("[data-testid=discovery-tasks-count]").inner_text() == "1"
    assert page.locator("[data-testid=visits-overdue-count]").inner_text() == "已超期 2 件"
    rows = page.locator("[data-testid=worklist-visits] li")
    assert rows.count() == 3
    addresses = [rows.nth(i).locator("a").inner_text() for i in range(3)]
    assert "发现路66号" in addresses[0] and "发现路67号" in addresses[1]
    assert "发现路65号" in addresses[2]
    assert re.search(r"已超期 \d+ 个工作日", addresses[0])
    assert "list-group-item-danger" in (rows.nth(0).get_attribute("class") or "")
    assert "list-group-item-danger" not in (rows.nth(2).get_attribute("class") or "")
    assert "发现路68号" in page.locator("[data-testid=worklist-tasks]").inner_text()
    _shot(page, "worklist")

    # The same page on a phone: the sections stack, the rows stay readable.
    phone = open_page(browser, width=390, height=844)
    log_in(phone, live_server.url, c.clerk.username, password)
    phone.goto(f"{live_server.url}/assistance/cases/")
    assert phone.locator("[data-testid=worklist-visits]").is_visible()
    _shot(phone, "worklist-phone")

    # The first row opens the overdue visit; "see all" opens the visits page.
    rows.nth(0).locator("a").click()
    page.wait_for_url(f"**/assistance/discovery/visits/{late.pk}/")
    assert "已超期" in page.locator("[data-testid=facts]").inner_text()
    page.go_back()
    page.locator("[data-testid=visits-see-all]").click()
    page.wait_for_url("**/assistance/discovery/visits/")
    listed = page.locator("[data-testid=visits] li")
    assert listed.count() == 3 and "发现路66号" in listed.nth(0).inner_text()
    assert {v.pk for v in (soon, late, later)} == set(
        Visit.objects.filter(status=VisitStatus.SCHEDULED).values_list("pk", flat=True)
    )
