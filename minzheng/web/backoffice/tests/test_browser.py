"""Browser journeys through the back office: Playwright driving Debian's Chromium.

Playwright's sync API runs an event loop in this thread, which Django's ORM would refuse
without DJANGO_ALLOW_ASYNC_UNSAFE; the ORM is only used here to set up the world.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from minzheng.common import crypto
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.people.models import ID_NUMBER_PURPOSE

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread, so the data must be committed; the official
    # regions that migrations load are restored for the test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser(live_server: Any, world: Any) -> Iterator[Any]:
    """A Chromium per test, started after the database is set up.

    Playwright's sync API switches the thread's context, and Django keeps the migrated
    data to restore (serialized_rollback) on the connection of the original context.
    """
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is missing: apt-get install chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-gpu",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()
        # Queries made while Playwright runs use connections of its context: close them here.
        connections.close_all()


def open_page(browser: Any, *, width: int = 1366, height: int = 900) -> Any:
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", device_scale_factor=1
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def save_screenshot(page: Any, folder: Path, name: str) -> None:
    """The whole page as ``folder/name.png``, scrolled to the top first (else the sticky
    header lands mid-page)."""
    folder.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def log_in(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    assert "工作人员登录" in page.content()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{base_url}/")


def test_town_clerk_finds_a_household_by_pinyin_initials(browser, live_server, world, password):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    family = world.families["xinjia"]
    page = open_page(browser)

    # 1. The 新嘉街道 clerk logs in and lands on her home page.
    log_in(page, live_server.url, world.town_clerk.username, password)
    assert page.get_by_role("heading", name="我的角色与辖区").is_visible()

    # 2. She types the head's pinyin initials; the results appear as she types.
    page.get_by_role("link", name="人员与家庭").first.click()
    page.wait_for_url(f"{live_server.url}/search/")
    page.locator("#search-q").press_sequentially("zjg", delay=50)
    page.get_by_role("tab", name="家庭").wait_for()
    page.get_by_role("tab", name="家庭").click()
    page.wait_for_url("**/search/?*kind=households*")
    row = page.get_by_role("row").filter(has_text="新嘉街道幸福路11号")
    row.wait_for()
    assert "王建国" not in page.content()
    row_link = row.get_by_role("link", name="张建国")

    # 3. She opens the household.
    row_link.click()
    page.wait_for_url(f"{live_server.url}/households/{family.household.pk}/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SCREENSHOTS / "household.png"), full_page=True)

    content = page.content()
    for label in ["家庭基本信息", "户主", "现有家庭成员", "与户主关系", "历史成员", "张建国户"]:
        assert label in content, label
    for person in family.members:
        assert person.id_number_masked in content
        full = crypto.decrypt(person.id_number_ciphertext, purpose=ID_NUMBER_PURPOSE)
        assert full not in content

    # 4. The same page on a phone: the navigation folds into a menu button.
    phone = open_page(browser, width=390, height=844)
    log_in(phone, live_server.url, world.town_clerk.username, password)
    phone.goto(f"{live_server.url}/households/{family.household.pk}/")
    assert phone.get_by_role("button", name="打开导航").is_visible()
    assert not phone.locator("#mz-sidebar").is_visible()
    phone.screenshot(path=str(SCREENSHOTS / "household-phone.png"), full_page=True)
    phone.get_by_role("button", name="打开导航").click()
    phone.locator("#mz-sidebar").get_by_role("link", name="人员与家庭").wait_for()
    phone.context.close()
    page.context.close()


def test_town_clerk_reveals_an_id_number_in_place(browser, live_server, world, password):
    head = world.families["xinjia"].head
    full = crypto.decrypt(head.id_number_ciphertext, purpose=ID_NUMBER_PURPOSE)
    page = open_page(browser)
    log_in(page, live_server.url, world.town_clerk.username, password)
    page.goto(f"{live_server.url}/persons/{head.pk}/")
    assert full not in page.content()

    page.get_by_role("button", name="查看完整号码").click()
    page.get_by_label("查看事由").fill("核对申请材料")
    page.get_by_role("button", name="确认查看").click()
    page.locator(".mz-revealed").wait_for()
    assert full in page.locator("#id-number-field").inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "person-revealed.png"), full_page=True)
    assert AuditEvent.objects.filter(
        action="people.person.reveal_id_number", reason="核对申请材料"
    ).exists()
    page.context.close()
