"""Browser journey: a town clerk opens an application from the worklist, reads its timeline
and records the next step, at 1366 px (Playwright driving Debian's Chromium)."""

from __future__ import annotations

from typing import Any

import pytest

from minzheng.common.masking import mask_name
from minzheng.domains.assistance.models import ApplicationState
from minzheng.domains.assistance.tests.test_casework_support import cast, submit_online, walk_to
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


def test_town_clerk_opens_a_case_from_the_worklist_and_reviews_it(
    browser: Any,  # noqa: F811 - the fixture imported above
    live_server: Any,
    world: Any,
    password: str,
) -> None:
    c = cast(world)
    application = walk_to(c, submit_online(c), "verified")
    page = open_page(browser, width=1366)
    log_in(page, live_server.url, c.second_clerk.username, password)

    page.goto(f"{live_server.url}/assistance/cases/")
    page.get_by_role("link", name=application.case_number).click()
    page.wait_for_url(f"**/assistance/cases/{application.case_number}/")

    timeline = page.locator("[data-testid=timeline] li")
    assert timeline.count() == 4  # submit, accept, investigate, verify
    text = page.locator("main").inner_text()
    assert mask_name(application.applicant.name) in text
    assert application.applicant.name not in text
    assert page.locator("[data-step=town_review]").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "casework-application.png"), full_page=True)

    page.locator("select[name=town_review-recommendation]").select_option("approve")
    page.locator("[data-step=town_review]").click()
    page.wait_for_selector("[data-testid=timeline]")
    assert page.locator("[data-testid=timeline] li").count() == 5
    application.refresh_from_db()
    assert application.state == ApplicationState.TOWN_REVIEWED
