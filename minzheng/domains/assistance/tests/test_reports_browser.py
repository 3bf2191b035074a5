"""Browser journey: the city administrator reads the monthly statistics with their charts,
drills down to a county and opens the overdue cases, at 1366 px (Playwright, Debian's Chromium)."""

from __future__ import annotations

from typing import Any

import pytest

from minzheng.domains.assistance.tests.test_reports import (  # noqa: F401 - the fixtures
    late,
    register,
)
from minzheng.web.backoffice.tests.test_browser import (  # noqa: F401 - the browser fixture
    SCREENSHOTS,
    browser,
    log_in,
    open_page,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_city_admin_reads_the_charts_drills_down_and_opens_overdue_cases(
    browser: Any,  # noqa: F811 - the fixture imported above
    live_server: Any,
    world: Any,
    register: Any,  # noqa: F811
    late: Any,  # noqa: F811
    password: str,
) -> None:
    page = open_page(browser, width=1366)
    log_in(page, live_server.url, world.city_admin.username, password)

    page.goto(f"{live_server.url}/assistance/reports/?month=2026-10")
    page.wait_for_selector("[data-report-chart=report-by-region] svg")
    page.wait_for_selector("[data-report-chart=report-trend] svg")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "assistance-report-monthly.png"), full_page=True)

    page.locator("[data-testid=monthly-table]").get_by_role("link", name="南湖区").first.click()
    page.wait_for_url("**region=330402**")
    table = page.locator("[data-testid=monthly-table]").inner_text()
    assert "新嘉街道" in table
    assert "秀洲区" not in table

    page.locator('.nav-tabs a[href="/assistance/reports/overdue/"]').click()
    page.wait_for_selector("[data-report-chart=report-overdue] svg")
    assert late["A"].case_number in page.locator("[data-testid=overdue-table]").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "assistance-report-overdue.png"), full_page=True)
