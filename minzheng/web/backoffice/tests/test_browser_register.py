"""Browser journey: a town clerk registers a person, mistypes the ID number and corrects it."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.models import Person
from minzheng.web.backoffice.tests import test_browser as journeys
from minzheng.web.backoffice.tests.test_browser import SCREENSHOTS, log_in, open_page

browser = journeys.browser  # the Chromium fixture of the first journey

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RIGHT = make_id_number("330402", dt.date(1985, 3, 15), 101)
# The same number with two digits swapped, as a hurried clerk types it: the check fails.
WRONG = RIGHT[:14] + RIGHT[15] + RIGHT[14] + RIGHT[16:]


def test_clerk_registers_a_person_after_correcting_a_mistyped_id_number(
    browser, live_server, world, password
):
    assert WRONG != RIGHT
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = open_page(browser)
    log_in(page, live_server.url, world.town_clerk.username, password)

    # 1. From the search page she opens the register form.
    page.goto(f"{live_server.url}/search/")
    page.locator("a[href='/persons/new/']").first.click()
    page.wait_for_url(f"{live_server.url}/persons/new/")

    # 2. Name, then the 户籍 region: her town is fixed; she picks the village, then the grid.
    page.locator("#id_name").fill("赵新民")
    page.locator("#id_registered_region-1").select_option(world.regions["xinjia_village"].code)
    page.locator("#id_registered_region-2").select_option(world.regions["xinjia_grid"].code)

    # 3. She mistypes the ID number: the check says so in Chinese as soon as it is complete.
    page.locator("#id_id_number").press_sequentially(WRONG, delay=15)
    bad = page.locator("#id_id_number_check .mz-id-check.is-bad")
    bad.wait_for()
    assert "公民身份号码校验位不正确" in bad.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "register-person-id-error.png"), full_page=True)

    # 4. She corrects it: sex and birth date read from the number appear.
    page.locator("#id_id_number").fill("")
    page.locator("#id_id_number").press_sequentially(RIGHT, delay=15)
    good = page.locator("#id_id_number_check .mz-id-check.is-good")
    good.wait_for()
    assert "男 · 1985-03-15" in good.inner_text()

    # 5. She saves: the person's page opens with a confirmation; nothing was saved before.
    assert not Person.objects.filter(name="赵新民").exists()
    page.locator("form.mz-form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/persons/*/")
    page.locator(".alert-success").wait_for()
    person = Person.objects.get(name="赵新民")
    assert (person.sex, person.birth_date) == ("M", dt.date(1985, 3, 15))
    assert person.registered_region == world.regions["xinjia_grid"]
    assert "赵新民" in page.content() and RIGHT not in page.content()
    page.screenshot(path=str(SCREENSHOTS / "register-person-saved.png"), full_page=True)
    page.context.close()


def test_the_register_form_works_on_a_phone(browser, live_server, world, password):
    page = open_page(browser, width=390, height=844)
    log_in(page, live_server.url, world.town_clerk.username, password)
    page.goto(f"{live_server.url}/persons/new/")
    # Nothing is wider than the screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#id_registered_region-1").select_option(world.regions["xinjia_village"].code)
    page.locator("#id_registered_region-2").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "register-person-phone.png"), full_page=True)
    page.context.close()
