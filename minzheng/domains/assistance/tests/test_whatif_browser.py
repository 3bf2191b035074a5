"""Browser journey: from the what-if preview of a raised standard to the list of the
households entering dibao, at 1366 px (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from minzheng.common.masking import mask_name
from minzheng.domains.assistance.tests.test_determination import ON, import_wages, standard
from minzheng.domains.assistance.whatif import whatif_cache_clear
from minzheng.kernel.parameters.services import parameter_change_propose
from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.services import household_create, person_create
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

NANHU = "330402"
NAMES = ["陈国华", "刘美玲", "杨志强", "赵桂英"]


@pytest.fixture
def singles_above_the_line(world: Any, settings: Any, tmp_path: Any) -> list[Any]:
    """Four people living alone in 新嘉 with a wage a little above the dibao line."""
    whatif_cache_clear()
    grid = world.regions["xinjia_grid"]
    wages = []
    for index, name in enumerate(NAMES):
        id_number = make_id_number(NANHU, dt.date(1975 + index, 3, 8), 61 + 2 * index)
        person = person_create(
            actor=None,
            name=name,
            id_number=id_number,
            registered_region=grid,
            residence_region=grid,
        )
        household_create(
            actor=None,
            region=grid,
            address=f"新嘉街道和平路{index + 1}号",
            head=person,
            start_date=dt.date(2020, 1, 1),
        )
        # After the employment-cost deduction (300 yuan at this wage) the income per head
        # lies 100 to 400 yuan above the standard.
        wages.append((id_number, name, standard() + 400 + 100 * index))
    import_wages(settings, tmp_path, wages)
    yield NAMES
    whatif_cache_clear()


def test_city_admin_opens_the_households_entering_dibao(
    browser: Any,  # noqa: F811 - the fixture imported above
    live_server: Any,
    world: Any,
    password: str,
    singles_above_the_line: list[str],
) -> None:
    change = parameter_change_propose(
        actor=world.city_admin,
        path=f"assistance.dibao.standard.c{NANHU}",
        start=ON,
        value=standard() + 800,
        source_document="嘉兴市民政局《关于调整最低生活保障标准的通知》(测试)",
    )
    page = open_page(browser, width=1366)
    log_in(page, live_server.url, world.city_admin.username, password)

    page.goto(f"{live_server.url}/assistance/parameters/changes/{change.pk}/")
    page.locator("[data-whatif] tbody a.mz-flow.is-in").first.click()
    page.wait_for_selector("[data-affected]")

    assert "/households/?county=330402&programme=dibao&direction=entering" in page.url
    rows = page.locator("[data-affected] tbody tr")
    assert rows.count() == 4
    text = page.locator("[data-affected]").inner_text()
    for name in singles_above_the_line:
        assert name not in text
        assert mask_name(name) in text
    assert "新嘉街道" in text and "新嘉社区" in text
    assert page.locator("[data-download]").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "whatif-households.png"), full_page=True)

    rows.first.locator("a").first.click()
    page.wait_for_url("**/households/*/")
    assert "新嘉街道和平路" in page.content()
