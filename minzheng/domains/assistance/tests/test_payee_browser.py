"""In Debian's Chromium: a town clerk finds an enrolment without a payee account on the
worklist, and on its case page chooses the spouse's account with a reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from minzheng.domains.assistance.tests.test_casework_support import cast
from minzheng.domains.assistance.tests.test_payroll_support import enrol, household_with
from minzheng.kernel.payments.tests.factories import account_number, open_account
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

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "payee"


def test_the_clerk_chooses_the_spouse_s_account_from_the_worklist(
    browser: Any,  # noqa: F811 - the fixture imported above
    live_server: Any,
    world: Any,
    password: str,
) -> None:
    c = cast(world)
    household, persons = household_with(
        c, seq=73, births=[dt.date(1950, 3, 1), dt.date(1952, 5, 6)], address="幸福路73号"
    )
    enrolled = enrol(c, household, persons)
    page = open_page(browser)
    log_in(page, live_server.url, c.clerk.username, password)

    # 1. The worklist lists the enrolment: no payee account yet.
    page.goto(f"{live_server.url}/assistance/cases/")
    card = page.locator("[data-testid=payee-missing]")
    assert enrolled.enrolment.case_number in card.inner_text() and "无账户" in card.inner_text()
    save_screenshot(page, SCREENSHOTS, "01-worklist")

    # 2. The spouse has an account (the head has none): the case page offers it, masked.
    spouse = open_account(persons[1], 731)
    card.get_by_role("link").first.click()
    page.wait_for_url(f"**/assistance/cases/{enrolled.enrolment.case_number}/")
    payee = page.locator("[data-testid=payee]")
    assert "未设收款账户" in payee.inner_text()
    assert account_number(731) not in page.content()
    page.locator("#id_payee-account").select_option(str(spouse.pk))
    page.locator("#id_payee-reason").fill("户主卧床，由配偶代领")
    save_screenshot(page, SCREENSHOTS, "02-choose")

    # 3. Chosen: the card shows the spouse's account masked; the worklist no longer lists it.
    page.locator("[data-testid=payee-submit]").click()
    page.locator(".alert-success").first.wait_for()
    shown = page.locator("[data-testid=payee]").inner_text()
    assert spouse.account_number_masked in shown and "未设收款账户" not in shown
    save_screenshot(page, SCREENSHOTS, "03-chosen")
    enrolled.enrolment.refresh_from_db()
    assert enrolled.enrolment.payee_account_id == spouse.pk
    page.goto(f"{live_server.url}/assistance/cases/")
    assert page.locator("[data-testid=payee-missing]").count() == 0
