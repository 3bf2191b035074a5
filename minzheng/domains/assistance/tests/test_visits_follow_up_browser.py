"""Browser journey of a follow-up visit (Playwright driving Debian's Chromium): the grid
worker records a visit that needs follow-up; the follow-up is on her visits and on the town
clerk's worklist with its reason, and its page links back to the visit that asked for it.
Screenshots go to var/screenshots/visits_follow_up/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from minzheng.domains.assistance.models.discovery import DiscoveryTask, Visit
from minzheng.domains.assistance.services import discovery
from minzheng.domains.assistance.tests.test_casework_support import cast, today
from minzheng.domains.assistance.tests.test_discovery_support import (
    family,
    flag,
    this_month,
    visit,
)
from minzheng.domains.assistance.tests.test_payroll_support import NANHU
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

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "visits_follow_up"


def _shot(page: Any, name: str) -> None:
    save_screenshot(page, SCREENSHOTS, name)


def test_a_follow_up_visit_from_record_to_worklist(
    browser: Any,  # noqa: F811 - the fixture imported above
    live_server: Any,
    world: Any,
    password: str,
) -> None:
    c = cast(world)
    household, _ = family(c, 86)
    flag(household, this_month(), dibao_eligible=True)
    discovery.discovery_tasks_create(actor=None, county=NANHU, month=this_month(), mpi_poor=set())
    task = DiscoveryTask.objects.get(household=household)
    scheduled = visit(c, household, this_month())
    page = open_page(browser)
    log_in(page, live_server.url, c.grid_worker.username, password)

    # 1. The discovery task's page: the household facts (the shared facts block).
    page.goto(f"{live_server.url}/assistance/discovery/tasks/{task.pk}/")
    assert "发现路86号" in page.locator("[data-testid=facts]").inner_text()
    _shot(page, "discovery-task")

    # 2. She records the visit, asking for follow-up.
    page.goto(f"{live_server.url}/assistance/discovery/visits/{scheduled.pk}/")
    assert "发现路86号" in page.locator("[data-testid=facts]").inner_text()
    _shot(page, "visit-scheduled")
    record = page.locator("[data-testid=record]")
    record.locator("input[name=visited_on]").fill(today().isoformat())
    record.get_by_label("缺少食物或生活必需品").check()
    record.locator("textarea[name=note]").fill("冰箱空了，下周送米面")
    record.locator("input[name=follow_up]").check()
    record.get_by_role("button", name="登记走访情况").click()
    page.wait_for_url("**/assistance/discovery/visits/")
    follow_up = Visit.objects.get(follow_up_of=scheduled)
    rows = page.locator("[data-testid=visits] li")
    assert rows.count() == 1
    assert today().isoformat() in rows.nth(0).locator("[data-testid=follow-up-reason]").inner_text()
    assert follow_up.due_on.isoformat() in rows.nth(0).inner_text()
    _shot(page, "visits")

    # 3. The follow-up's page says why it is due and links back to the visit.
    rows.nth(0).locator("a").first.click()
    page.wait_for_url(f"**/assistance/discovery/visits/{follow_up.pk}/")
    page.locator("[data-testid=follow-up-of] a").click()
    page.wait_for_url(f"**/assistance/discovery/visits/{scheduled.pk}/")
    assert (
        follow_up.due_on.isoformat() in page.locator("[data-testid=follow-up-visit]").inner_text()
    )
    _shot(page, "visit-done")
    page.goto(f"{live_server.url}/assistance/discovery/visits/{follow_up.pk}/")
    _shot(page, "follow-up")

    # 4. The town clerk's worklist: the follow-up under "Visits due", with its reason.
    clerk = open_page(browser)
    log_in(clerk, live_server.url, c.clerk.username, password)
    clerk.goto(f"{live_server.url}/assistance/cases/")
    due = clerk.locator("[data-testid=worklist-visits] li")
    assert due.count() == 1
    assert today().isoformat() in due.nth(0).locator("[data-testid=follow-up-reason]").inner_text()
    _shot(clerk, "worklist")
